// The scheduled integrity check: restic check with a rotating share of the data read back, once per repository.
import { Construct } from 'constructs';
import type { Repository, Values } from '../values/schema.js';
import { DEFAULTS } from './defaults.js';
import { byCodeUnit, standardLabels, type SetIdentity } from './names.js';
import { scheduledRunnerJob } from './scheduled-runner-job.js';
import { deadlineFor, runnerArgs, runnerPodTemplate, type RunnerPodOptions } from './runner-pod.js';

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
  /** The set's prefix (labels) and namespace. */
  readonly set: SetIdentity;
  /** The CronJob's name (backupSetNames: `<prefix>-verify`). */
  readonly name: string;
  /** @default DEFAULTS.verifySchedule, the values schema's `verify.schedule` default */
  readonly schedule?: string;
  /** @default DEFAULTS.timeZone, the values schema's `timeZone` default */
  readonly timeZone?: string;
  /** @default DEFAULTS.suspend, the values schema's `suspend` default */
  readonly suspend?: boolean;
  /**
   * The Job's activeDeadlineSeconds, as a duration.
   * @default DEFAULTS.verifyTimeout, the values schema's `verify.timeout` default
   */
  readonly timeout?: string;
  /** @default 3600 */
  readonly startingDeadlineSeconds?: number;
  /** The runner pod (no token and no data volumes needed: it talks to the repository only). */
  readonly pod: RunnerPodOptions;
}

/** A failed check is not retried (a damaged pack does not heal); the next scheduled run reads the next share. */
export class VerifyCronJob extends Construct {
  constructor(scope: Construct, id: string, props: VerifyCronJobProps) {
    super(scope, id);
    const timeout = props.timeout ?? DEFAULTS.verifyTimeout;
    scheduledRunnerJob(this, {
      name: props.name,
      namespace: props.set.namespace,
      labels: standardLabels(props.set, 'verify'),
      schedule: props.schedule ?? DEFAULTS.verifySchedule,
      timeZone: props.timeZone ?? DEFAULTS.timeZone,
      suspend: props.suspend ?? DEFAULTS.suspend,
      timeout,
      startingDeadlineSeconds: props.startingDeadlineSeconds,
      // verify.readDataSubsets is in the config: the runner picks today's share itself.
      template: runnerPodTemplate({
        ...props.pod,
        set: props.set,
        component: 'verify',
        args: runnerArgs('verify'),
        deadline: deadlineFor(props.pod, timeout, props.name),
      }),
    });
  }
}
