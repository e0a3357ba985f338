// One CronJob per copy: `safehold copy --to NAME` with the copy operation's account and only the repositories' Secrets.
import { Construct } from 'constructs';
import { DEFAULTS } from './defaults.js';
import { standardLabels, type SetIdentity } from './names.js';
import { scheduledRunnerJob } from './scheduled-runner-job.js';
import { deadlineFor, runnerArgs, runnerPodTemplate, type RunnerPodOptions } from './runner-pod.js';

export interface CopyCronJobProps {
  /** The set's prefix (labels) and namespace. */
  readonly set: SetIdentity;
  /** The CronJob's name (copyCronJobName: `<prefix>-copy-<copy>`). */
  readonly name: string;
  /** The name of the copy under `copies:` (`safehold copy --to <copy>`). */
  readonly copy: string;
  /** Cron expression of the copy runs. */
  readonly schedule: string;
  /** @default DEFAULTS.timeZone, the values schema's `timeZone` default */
  readonly timeZone?: string;
  /** @default DEFAULTS.suspend, the values schema's `suspend` default */
  readonly suspend?: boolean;
  /** The Job's activeDeadlineSeconds, as a duration (the values schema defaults `copies[].timeout`). */
  readonly timeout: string;
  /** @default 3600 */
  readonly startingDeadlineSeconds?: number;
  /** The runner pod (no token, no data volumes: it talks to the repositories only). */
  readonly pod: RunnerPodOptions;
}

/** Talks to the repositories only (no service account token, no data volumes); a failed copy is retried by the next schedule. */
export class CopyCronJob extends Construct {
  constructor(scope: Construct, id: string, props: CopyCronJobProps) {
    super(scope, id);
    scheduledRunnerJob(this, {
      name: props.name,
      namespace: props.set.namespace,
      labels: standardLabels(props.set, 'copy'),
      schedule: props.schedule,
      timeZone: props.timeZone ?? DEFAULTS.timeZone,
      suspend: props.suspend ?? DEFAULTS.suspend,
      timeout: props.timeout,
      startingDeadlineSeconds: props.startingDeadlineSeconds,
      template: runnerPodTemplate({
        ...props.pod,
        set: props.set,
        component: 'copy',
        args: [...runnerArgs('copy'), '--to', props.copy],
        deadline: deadlineFor(props.pod, props.timeout, props.name),
      }),
    });
  }
}
