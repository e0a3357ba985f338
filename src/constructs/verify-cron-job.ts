// The scheduled integrity check: restic check with a rotating share of the data read back, once per repository.
import { Construct } from 'constructs';
import type { Repository, Values } from '../values/schema.js';
import { byCodeUnit, standardLabels, type BackupSetNames } from './names.js';
import { scheduledRunnerJob } from './scheduled-runner-job.js';
import { runnerArgs, runnerPodTemplate } from './runner-pod.js';

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

export interface VerifyCronJobProps {
  readonly values: Values;
  readonly names: BackupSetNames;
  /** @default 3600 */
  readonly startingDeadlineSeconds?: number;
}

/** A failed check is not retried (a damaged pack does not heal); the next scheduled run reads the next share. */
export class VerifyCronJob extends Construct {
  constructor(scope: Construct, id: string, props: VerifyCronJobProps) {
    super(scope, id);
    const { values: v, names } = props;
    const labels = standardLabels(names, 'verify');
    scheduledRunnerJob(this, {
      name: names.verifyCronJob,
      namespace: names.namespace,
      labels,
      schedule: v.verify.schedule,
      timeZone: v.verify.timeZone ?? v.timeZone,
      suspend: v.suspend,
      timeout: v.verify.timeout,
      startingDeadlineSeconds: props.startingDeadlineSeconds,
      template: runnerPodTemplate({
        values: v,
        names,
        component: 'verify',
        // verify.readDataSubsets is in the config: the runner picks today's share itself.
        args: runnerArgs('verify'),
        apiAccess: false,
        dataVolumes: 'none',
      }),
    });
  }
}
