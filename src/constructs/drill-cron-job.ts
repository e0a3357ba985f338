// The restore drill: on its own schedule, restore the newest good set into scratch targets and check it.
import { Construct } from 'constructs';
import { DEFAULTS } from './defaults.js';
import { standardLabels, type SetIdentity } from './names.js';
import { deadlineFor, runnerArgs, runnerPodTemplate, type RunnerPodOptions } from './runner-pod.js';
import { scheduledRunnerJob } from './scheduled-runner-job.js';

export interface DrillCronJobProps {
  /** The set's prefix (labels) and namespace. */
  readonly set: SetIdentity;
  /** The CronJob's name (backupSetNames: `<prefix>-drill`). */
  readonly name: string;
  /** Cron expression of the drills. */
  readonly schedule: string;
  /** @default DEFAULTS.timeZone, the values schema's `timeZone` default */
  readonly timeZone?: string;
  /** @default DEFAULTS.suspend, the values schema's `suspend` default */
  readonly suspend?: boolean;
  /**
   * The Job's activeDeadlineSeconds, as a duration.
   * @default DEFAULTS.drillTimeout, the values schema's `drill.timeout` default
   */
  readonly timeout?: string;
  /** @default 3600 */
  readonly startingDeadlineSeconds?: number;
  /** The runner pod; scratch servers go in `pod.sidecars` (drillSidecars builds them from a values file). */
  readonly pod: RunnerPodOptions;
}

/**
 * Scratch servers run as sidecars in the drill pod. Kubernetes 1.27 has no native sidecars, so the
 * pod shares its process namespace and the runner stops them when the drill ends; the drill's
 * `activeDeadlineSeconds` ends the pod in any case. A failed drill is not retried: it is the
 * finding, and the next scheduled drill runs anyway.
 */
export class DrillCronJob extends Construct {
  constructor(scope: Construct, id: string, props: DrillCronJobProps) {
    super(scope, id);
    const timeout = props.timeout ?? DEFAULTS.drillTimeout;
    scheduledRunnerJob(this, {
      name: props.name,
      namespace: props.set.namespace,
      labels: standardLabels(props.set, 'drill'),
      schedule: props.schedule,
      timeZone: props.timeZone ?? DEFAULTS.timeZone,
      suspend: props.suspend ?? DEFAULTS.suspend,
      timeout,
      startingDeadlineSeconds: props.startingDeadlineSeconds,
      template: runnerPodTemplate({
        ...props.pod,
        set: props.set,
        component: 'drill',
        args: runnerArgs('drill'),
        deadline: deadlineFor(props.pod, timeout, props.name),
      }),
    });
  }
}
