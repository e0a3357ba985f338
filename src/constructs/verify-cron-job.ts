// The scheduled integrity check: restic check with a rotating share of the data read back, once per repository.
import { Construct } from 'constructs';
import type { Repository, Values } from '../values/schema.js';
import { DEFAULTS } from './defaults.js';
import { byCodeUnit } from './names.js';
import { runnerCronJob, type RunnerCronJobProps } from './runner-cron-job.js';

/** What makes two values files share a repository: the same bucket and prefix, the same claim and path, the same local path. */
export function repositoryKey(v: Values): string {
  const r: Repository = v.repository;
  if (r.s3) return `s3:${r.s3.endpoint.replace(/\/+$/, '')}/${r.s3.bucket}/${(r.s3.prefix ?? '').replace(/^\/+|\/+$/g, '')}`;
  if (r.pvc) return `pvc:${v.namespace}/${r.pvc.claimName ?? ''}/${(r.pvc.path ?? '').replace(/^\/+|\/+$/g, '')}`;
  return `local:${r.local?.path ?? ''}`;
}

/**
 * One verify CronJob per repository: among the values files that share one and have verify
 * enabled, the first by namespace/name/instance (code-unit order) runs it. Deterministic, so
 * every synth agrees; when that file goes, the next one takes over.
 */
export function verifyOwners(all: readonly Values[]): Set<Values> {
  const order = (v: Values) => `${v.namespace}/${v.name}/${v.instance ?? ''}`;
  const owners = new Map<string, Values>();
  for (const v of [...all].filter((x) => x.verify.enabled).sort((a, b) => byCodeUnit(order(a), order(b)))) {
    if (!owners.has(repositoryKey(v))) owners.set(repositoryKey(v), v);
  }
  return new Set(owners.values());
}

export interface VerifyCronJobProps extends Omit<RunnerCronJobProps, 'schedule'> {
  /**
   * Cron expression of the checks.
   * @default DEFAULTS.verifySchedule, the values schema's `verify.schedule` default
   */
  readonly schedule?: string;
  /**
   * The Job's activeDeadlineSeconds, as a duration.
   * @default DEFAULTS.verifyTimeout, the values schema's `verify.timeout` default
   */
  readonly timeout?: string;
}

/** A failed check is not retried (a damaged pack does not heal); the next scheduled run reads the next share. */
export class VerifyCronJob extends Construct {
  constructor(scope: Construct, id: string, props: VerifyCronJobProps) {
    super(scope, id);
    // verify.readDataSubsets is in the config: the runner picks today's share itself.
    runnerCronJob(
      this,
      { ...props, schedule: props.schedule ?? DEFAULTS.verifySchedule },
      { component: 'verify', timeout: props.timeout ?? DEFAULTS.verifyTimeout },
    );
  }
}
