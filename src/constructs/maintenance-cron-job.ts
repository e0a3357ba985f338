// A protected repository's maintenance: its own CronJob, account and delete-capable keys do retention, prune and check.
import { Construct } from 'constructs';
import { DEFAULTS } from './defaults.js';
import { runnerCronJob, type RunnerCronJobProps } from './runner-cron-job.js';

export interface MaintenanceCronJobProps extends RunnerCronJobProps {
  /**
   * Where the CronJob runs (its Secrets live there).
   * @default set.namespace
   */
  readonly namespace?: string;
  /**
   * The Job's activeDeadlineSeconds, as a duration.
   * @default DEFAULTS.maintenanceTimeout, the values schema's `repository.protection.maintenance.timeout` default
   */
  readonly timeout?: string;
}

/**
 * Runs in `repository.protection.maintenance.namespace` (default: the set's namespace) with no
 * service account token: it talks to the repository only. Never at the same time as itself; a
 * failed run is retried by the next schedule (prune and check take restic's exclusive lock).
 */
export class MaintenanceCronJob extends Construct {
  constructor(scope: Construct, id: string, props: MaintenanceCronJobProps) {
    super(scope, id);
    runnerCronJob(this, props, { component: 'maintenance', timeout: props.timeout ?? DEFAULTS.maintenanceTimeout, namespace: props.namespace });
  }
}
