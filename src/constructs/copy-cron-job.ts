// One CronJob per copy: `safehold copy --to NAME` with the copy operation's account and only the repositories' Secrets.
import { Construct } from 'constructs';
import type { Values } from '../values/schema.js';
import { copyCronJobName, standardLabels, type BackupSetNames } from './names.js';
import { scheduledRunnerJob } from './scheduled-runner-job.js';
import { runnerArgs, runnerPodTemplate } from './runner-pod.js';

export interface CopyCronJobProps {
  readonly values: Values;
  readonly names: BackupSetNames;
  /** The name of the copy under `copies:`. */
  readonly copy: string;
  /** @default 3600 */
  readonly startingDeadlineSeconds?: number;
}

/** Talks to the repositories only (no service account token, no data volumes); a failed copy is retried by the next schedule. */
export class CopyCronJob extends Construct {
  constructor(scope: Construct, id: string, props: CopyCronJobProps) {
    super(scope, id);
    const { values: v, names } = props;
    const c = v.copies?.find((x) => x.name === props.copy);
    if (!c) throw new Error(`CopyCronJob: no copy named ${props.copy} in values.copies`);
    const name = copyCronJobName(names, c.name);
    scheduledRunnerJob(this, {
      name,
      namespace: names.namespace,
      labels: standardLabels(names, 'copy'),
      schedule: c.schedule,
      timeZone: c.timeZone ?? v.timeZone,
      suspend: v.suspend,
      timeout: c.timeout,
      startingDeadlineSeconds: props.startingDeadlineSeconds,
      template: runnerPodTemplate({
        values: v,
        names,
        component: 'copy',
        args: [...runnerArgs('copy'), '--to', c.name],
        apiAccess: false,
        // A claim repository of the source is mounted by the template; copies are never claims (rules).
        dataVolumes: 'none',
        schedule: { timeout: c.timeout, workload: name },
      }),
    });
  }
}
