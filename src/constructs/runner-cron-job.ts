// What every runner CronJob construct takes (backup, drill, verify, maintenance, copy), and how the scheduled ones
// (all but backup) turn it into their CronJob: restricted runner pod, deadline from the Job's timeout.
import type { k8s } from 'cdk8s-plus-27';
import type { Construct } from 'constructs';
import { DEFAULTS } from './defaults.js';
import { standardLabels, type RunnerComponent, type SetIdentity } from './names.js';
import { deadlineFor, runnerArgs, runnerPodTemplate, type RunnerPodOptions } from './runner-pod.js';
import { scheduledRunnerJob } from './scheduled-runner-job.js';

/** The props every runner CronJob shares; each construct adds its `timeout` with its own default. */
export interface RunnerCronJobProps {
  /** The set's prefix (labels) and namespace. */
  readonly set: SetIdentity;
  /** The CronJob's name (backupSetNames names each). */
  readonly name: string;
  /** Cron expression of the runs. */
  readonly schedule: string;
  /** @default DEFAULTS.timeZone, the values schema's `timeZone` default */
  readonly timeZone?: string;
  /** @default DEFAULTS.suspend, the values schema's `suspend` default */
  readonly suspend?: boolean;
  /**
   * How late a missed run may still start; later it is skipped (cdk8s-plus would default to 10 seconds).
   * @default 3600
   */
  readonly startingDeadlineSeconds?: number;
  /** The runner pod: account, config, Secrets, volumes, scheduling. */
  readonly pod: RunnerPodOptions;
}

/** One scheduled operation's CronJob from its props, the resolved timeout and, where it differs, namespace and arguments. */
export function runnerCronJob(
  scope: Construct,
  p: RunnerCronJobProps,
  job: { readonly component: RunnerComponent; readonly timeout: string; readonly namespace?: string; readonly args?: readonly string[] },
): k8s.KubeCronJob {
  return scheduledRunnerJob(scope, {
    name: p.name,
    namespace: job.namespace ?? p.set.namespace,
    labels: standardLabels(p.set, job.component),
    schedule: p.schedule,
    timeZone: p.timeZone ?? DEFAULTS.timeZone,
    suspend: p.suspend ?? DEFAULTS.suspend,
    timeout: job.timeout,
    startingDeadlineSeconds: p.startingDeadlineSeconds,
    template: runnerPodTemplate({
      ...p.pod,
      set: p.set,
      component: job.component,
      args: job.args ?? runnerArgs(job.component),
      deadline: deadlineFor(p.pod, job.timeout, p.name),
    }),
  });
}
