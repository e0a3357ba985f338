// One CronJob per copy: `safehold copy --to NAME` with the copy operation's account and only the repositories' Secrets.
import { Construct } from 'constructs';
import { runnerCronJob, type RunnerCronJobProps } from './runner-cron-job.js';
import { runnerArgs } from './runner-pod.js';

export interface CopyCronJobProps extends RunnerCronJobProps {
  /** The name of the copy under `copies:` (`safehold copy --to <copy>`). */
  readonly copy: string;
  /** The Job's activeDeadlineSeconds, as a duration (the values schema defaults `copies[].timeout`). */
  readonly timeout: string;
}

/** Talks to the repositories only (no service account token, no data volumes); a failed copy is retried by the next schedule. */
export class CopyCronJob extends Construct {
  constructor(scope: Construct, id: string, props: CopyCronJobProps) {
    super(scope, id);
    runnerCronJob(this, props, { component: 'copy', timeout: props.timeout, args: [...runnerArgs('copy'), '--to', props.copy] });
  }
}
