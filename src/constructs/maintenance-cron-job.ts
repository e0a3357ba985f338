// A protected repository's maintenance: its own CronJob, account and delete-capable keys do retention, prune and check.
import { Construct } from 'constructs';
import type { Values } from '../values/schema.js';
import { standardLabels, type BackupSetNames } from './names.js';
import { scheduledRunnerJob } from './scheduled-runner-job.js';
import { runnerArgs, runnerPodTemplate } from './runner-pod.js';

export interface MaintenanceCronJobProps {
  readonly values: Values;
  readonly names: BackupSetNames;
  /** @default 3600 */
  readonly startingDeadlineSeconds?: number;
}

/**
 * Runs in `repository.protection.maintenance.namespace` (default: the set's namespace) with no
 * service account token: it talks to the repository only. Never at the same time as itself; a
 * failed run is retried by the next schedule (prune and check take restic's exclusive lock).
 */
export class MaintenanceCronJob extends Construct {
  constructor(scope: Construct, id: string, props: MaintenanceCronJobProps) {
    super(scope, id);
    const { values: v, names } = props;
    const m = v.repository.protection?.maintenance;
    if (!m) throw new Error('MaintenanceCronJob needs values.repository.protection');
    const labels = standardLabels(names, 'maintenance');
    scheduledRunnerJob(this, {
      name: names.maintenanceCronJob,
      namespace: names.maintenanceNamespace,
      labels,
      schedule: m.schedule,
      timeZone: m.timeZone ?? v.timeZone,
      suspend: v.suspend,
      timeout: m.timeout,
      startingDeadlineSeconds: props.startingDeadlineSeconds,
      template: runnerPodTemplate({ values: v, names, component: 'maintenance', args: runnerArgs('maintenance'), apiAccess: false, dataVolumes: 'none' }),
    });
  }
}
