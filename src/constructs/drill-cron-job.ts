// The restore drill: on its own schedule, restore the newest good set into scratch targets and check it.
import { Construct } from 'constructs';
import { DEFAULTS } from './defaults.js';
import { runnerCronJob, type RunnerCronJobProps } from './runner-cron-job.js';

export interface DrillCronJobProps extends RunnerCronJobProps {
  /**
   * The Job's activeDeadlineSeconds, as a duration.
   * @default DEFAULTS.drillTimeout, the values schema's `drill.timeout` default
   */
  readonly timeout?: string;
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
    runnerCronJob(this, props, { component: 'drill', timeout: props.timeout ?? DEFAULTS.drillTimeout });
  }
}
