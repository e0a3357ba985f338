// A protected repository's maintenance: its own CronJob, account and delete-capable keys do retention, prune and check.
import { Construct } from 'constructs';
import { DEFAULTS } from './defaults.js';
import { standardLabels, type SetIdentity } from './names.js';
import { scheduledRunnerJob } from './scheduled-runner-job.js';
import { deadlineFor, runnerArgs, runnerPodTemplate, type RunnerPodOptions } from './runner-pod.js';

export interface MaintenanceCronJobProps {
  /** The set's prefix (labels) and namespace. */
  readonly set: SetIdentity;
  /** The CronJob's name (backupSetNames: `<prefix>-maintenance`). */
  readonly name: string;
  /**
   * Where the CronJob runs (its Secrets live there).
   * @default set.namespace
   */
  readonly namespace?: string;
  /** Cron expression of the maintenance runs. */
  readonly schedule: string;
  /** @default DEFAULTS.timeZone, the values schema's `timeZone` default */
  readonly timeZone?: string;
  /** @default DEFAULTS.suspend, the values schema's `suspend` default */
  readonly suspend?: boolean;
  /**
   * The Job's activeDeadlineSeconds, as a duration.
   * @default DEFAULTS.maintenanceTimeout, the values schema's `repository.protection.maintenance.timeout` default
   */
  readonly timeout?: string;
  /** @default 3600 */
  readonly startingDeadlineSeconds?: number;
  /** The runner pod, with the delete-capable keys among its Secrets. */
  readonly pod: RunnerPodOptions;
}

/**
 * Runs in `repository.protection.maintenance.namespace` (default: the set's namespace) with no
 * service account token: it talks to the repository only. Never at the same time as itself; a
 * failed run is retried by the next schedule (prune and check take restic's exclusive lock).
 */
export class MaintenanceCronJob extends Construct {
  constructor(scope: Construct, id: string, props: MaintenanceCronJobProps) {
    super(scope, id);
    const timeout = props.timeout ?? DEFAULTS.maintenanceTimeout;
    scheduledRunnerJob(this, {
      name: props.name,
      namespace: props.namespace ?? props.set.namespace,
      labels: standardLabels(props.set, 'maintenance'),
      schedule: props.schedule,
      timeZone: props.timeZone ?? DEFAULTS.timeZone,
      suspend: props.suspend ?? DEFAULTS.suspend,
      timeout,
      startingDeadlineSeconds: props.startingDeadlineSeconds,
      template: runnerPodTemplate({
        ...props.pod,
        set: props.set,
        component: 'maintenance',
        args: runnerArgs('maintenance'),
        deadline: deadlineFor(props.pod, timeout, props.name),
      }),
    });
  }
}
