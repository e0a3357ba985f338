// The scheduled backup: one CronJob per backup set, never two runs at once, bounded history.
import { k8s } from 'cdk8s-plus-27';
import { Construct } from 'constructs';
import { ExitCode } from '../errors.js';
import { durationSeconds } from '../values/formats.js';
import { DEFAULTS } from './defaults.js';
import { standardLabels } from './names.js';
import type { RunnerCronJobProps } from './runner-cron-job.js';
import { deadlineFor, RUNNER_CONTAINER, runnerArgs, runnerPodTemplate } from './runner-pod.js';

/** The RunnerCronJobProps (set, name, schedule, timeZone, suspend, startingDeadlineSeconds, pod), and: */
export interface BackupCronJobProps extends RunnerCronJobProps {
  /**
   * The Job's activeDeadlineSeconds, as a duration (`1h`).
   * @default DEFAULTS.timeout, the values schema's `timeout` default
   */
  readonly timeout?: string;
  /** @default 3 */
  readonly successfulJobsHistoryLimit?: number;
  /** @default 3 */
  readonly failedJobsHistoryLimit?: number;
  /**
   * One retry: a backup is safe to repeat (each run makes a new snapshot, a failed one is never
   * counted) and a retry rides out a node drain or a network blip. Failures a retry cannot fix
   * (bad config, refused, repository unusable, suspicious set) fail the Job at once, see
   * `podFailurePolicy`; everything stays inside `activeDeadlineSeconds`.
   * @default 1
   */
  readonly backoffLimit?: number;
}

/** Runner exit codes that no retry can fix (src/errors.ts): fail the Job on the first one. */
export const PERMANENT_EXIT_CODES = [ExitCode.usage, ExitCode.refused, ExitCode.repository, ExitCode.suspicious];

export class BackupCronJob extends Construct {
  constructor(scope: Construct, id: string, props: BackupCronJobProps) {
    super(scope, id);
    const labels = standardLabels(props.set, 'backup');
    const timeout = props.timeout ?? DEFAULTS.timeout;
    const deadline = deadlineFor(props.pod, timeout, props.name);
    new k8s.KubeCronJob(this, 'Resource', {
      metadata: { name: props.name, namespace: props.set.namespace, labels },
      spec: {
        schedule: props.schedule,
        timeZone: props.timeZone ?? DEFAULTS.timeZone,
        suspend: props.suspend ?? DEFAULTS.suspend,
        concurrencyPolicy: 'Forbid',
        startingDeadlineSeconds: props.startingDeadlineSeconds ?? 3600,
        successfulJobsHistoryLimit: props.successfulJobsHistoryLimit ?? 3,
        failedJobsHistoryLimit: props.failedJobsHistoryLimit ?? 3,
        jobTemplate: {
          metadata: { labels },
          spec: {
            backoffLimit: props.backoffLimit ?? 1,
            activeDeadlineSeconds: durationSeconds(timeout),
            podFailurePolicy: {
              rules: [
                // onPodConditions: [] because the 1.27 schema requires the field (optional from 1.28).
                { action: 'FailJob', onExitCodes: { containerName: RUNNER_CONTAINER, operator: 'In', values: [...PERMANENT_EXIT_CODES] }, onPodConditions: [] },
                // An evicted or preempted pod does not use up the retry.
                { action: 'Ignore', onPodConditions: [{ type: 'DisruptionTarget', status: 'True' }] },
              ],
            },
            template: runnerPodTemplate({ ...props.pod, set: props.set, component: 'backup', args: runnerArgs('backup'), deadline }),
          },
        },
      },
    });
  }
}
