// Alerts from kube-state-metrics alone: they hold even when the runner never starts or cannot push.
import { durationSeconds } from '../values/formats.js';
import type { Values } from '../values/schema.js';
import type { AlertRule } from './alerts.js';
import type { BackupSetNames } from './names.js';

/** Slack after a Job's activeDeadlineSeconds for kube-state-metrics and the scrape to see its end. */
export const JOB_END_SLACK_SECONDS = 600;

const sel = (labels: Record<string, string>) =>
  `{${Object.entries(labels)
    .map(([k, v]) => `${k}="${v}"`)
    .join(',')}}`;

/**
 * "Never succeeded" without `absent()` and a long `for:` (whose pending state a Prometheus restart
 * loses): the object's age is a series of its own, so the rule holds from its first evaluation.
 */
export function neverSucceeded(createdSeries: string, maxAgeSeconds: number, successSeries: string, on: string): string {
  return `(time() - ${createdSeries} > ${maxAgeSeconds}) unless on(${on}) ${successSeries}`;
}

/** The last scheduled run of a CronJob ended (its deadline passed) without a success after it. */
function lastRunFailed(cronJob: string, namespace: string, deadlineSeconds: number): string {
  const s = sel({ namespace, cronjob: cronJob });
  const scheduled = `kube_cronjob_status_last_schedule_time${s}`;
  const succeeded = `kube_cronjob_status_last_successful_time${s}`;
  return (
    `(time() - ${scheduled} > ${deadlineSeconds + JOB_END_SLACK_SECONDS}) and on(namespace, cronjob) ` +
    `((${scheduled} > on(namespace, cronjob) ${succeeded}) or (${scheduled} unless on(namespace, cronjob) ${succeeded}))`
  );
}

export interface CronJobWatch {
  readonly what: string;
  readonly alertPrefix: string;
  readonly cronJob: string;
  readonly maxAge: string;
  readonly timeout: string;
}

export function cronJobRules(v: Values, w: CronJobWatch, jobs: string, set: string): AlertRule[] {
  const a = v.monitoring.alerts;
  const severe = { severity: a.severity };
  const s = sel({ namespace: v.namespace, cronjob: w.cronJob });
  const maxAge = durationSeconds(w.maxAge)!;
  return [
    {
      alert: `${w.alertPrefix}NeverSucceeded`,
      expr: neverSucceeded(`kube_cronjob_created${s}`, maxAge, `kube_cronjob_status_last_successful_time${s}`, 'namespace, cronjob'),
      labels: severe,
      annotations: {
        summary: `CronJob ${v.namespace}/${w.cronJob} has had no successful run in the ${w.maxAge} since it was created`,
        description: `kube-state-metrics has reported no successful ${w.what} Job of ${set}. ${jobs}`,
      },
    },
    {
      alert: `${w.alertPrefix}LastRunFailed`,
      expr: lastRunFailed(w.cronJob, v.namespace, durationSeconds(w.timeout)!),
      labels: severe,
      annotations: {
        summary: `The last scheduled ${w.what} run of ${set} did not succeed`,
        description: `The last Job of CronJob ${v.namespace}/${w.cronJob} ended (its ${w.timeout} deadline passed) without succeeding. ${jobs}`,
      },
    },
  ];
}

/** A one-shot Job (restore, drop) that failed, or that neither finished nor failed long after its deadline. */
function oneShotJobRules(v: Values, what: string, alertPrefix: string, jobName: string, timeout: string, jobs: string): AlertRule[] {
  const severe = { severity: v.monitoring.alerts.severity };
  const s = (extra: Record<string, string> = {}) => sel({ namespace: v.namespace, job_name: jobName, ...extra });
  const ended = `(kube_job_complete${s({ condition: 'true' })} == 1 or kube_job_failed${s({ condition: 'true' })} == 1)`;
  return [
    {
      alert: `${alertPrefix}JobFailed`,
      expr: `kube_job_failed${s({ condition: 'true' })} == 1`,
      labels: severe,
      annotations: {
        summary: `The ${what} Job ${v.namespace}/${jobName} failed`,
        description: `The one-shot ${what} Job failed; it is not retried. Read its logs and the runbook before changing the request. ${jobs}`,
      },
    },
    {
      alert: `${alertPrefix}JobStuck`,
      expr: `(time() - kube_job_created${s()} > ${durationSeconds(timeout)! + JOB_END_SLACK_SECONDS}) unless on(namespace, job_name) ${ended}`,
      labels: severe,
      annotations: {
        summary: `The ${what} Job ${v.namespace}/${jobName} has neither finished nor failed ${timeout} after it was created`,
        description: `Its pod may never have started (quota, image pull, admission) or the Job controller is not running. kubectl -n ${v.namespace} describe job ${jobName}`,
      },
    },
  ];
}

/** Rules over kube-state-metrics series: always the recent-success and suspend checks, the rest where nothing else watches. */
export function clusterAlertRules(v: Values, names: BackupSetNames, hasPushgateway: boolean): AlertRule[] {
  const a = v.monitoring.alerts;
  const set = `${v.namespace}/${names.prefix}`;
  const jobs = `kubectl -n ${v.namespace} get jobs -l app.kubernetes.io/instance=${names.prefix}`;
  const severe = { severity: a.severity };
  const backup = sel({ namespace: v.namespace, cronjob: names.backupCronJob });
  const rules: AlertRule[] = [
    {
      alert: 'SafeholdBackupCronJobNoRecentSuccess',
      expr: `time() - kube_cronjob_status_last_successful_time${backup} > ${durationSeconds(a.maxAge)!}`,
      for: a.for,
      labels: severe,
      annotations: {
        summary: `CronJob ${v.namespace}/${names.backupCronJob} has not succeeded for ${a.maxAge}`,
        description: `kube-state-metrics reports no successful backup Job of ${set} in ${a.maxAge}. ${jobs}`,
      },
    },
  ];
  // A suspend written in the values is a decision in git; one set by hand is not.
  if (!v.suspend) {
    rules.push({
      alert: 'SafeholdBackupCronJobSuspended',
      expr: `kube_cronjob_spec_suspend${backup} == 1`,
      for: a.for,
      labels: { severity: 'warning' },
      annotations: {
        summary: `CronJob ${v.namespace}/${names.backupCronJob} is suspended, but its values file says suspend: false`,
        description: `Someone suspended the backups of ${set} outside git (kubectl patch / edit): no backup runs. Resume it, or write suspend: true in the values file.`,
      },
    });
  }
  if (!hasPushgateway) {
    rules.push(
      ...cronJobRules(
        v,
        { what: 'backup', alertPrefix: 'SafeholdBackupCronJob', cronJob: names.backupCronJob, maxAge: a.maxAge, timeout: v.timeout },
        jobs,
        set,
      ),
    );
    if (v.drill) {
      const drill = sel({ namespace: v.namespace, cronjob: names.drillCronJob });
      rules.push({
        alert: 'SafeholdDrillCronJobNoRecentSuccess',
        expr: `time() - kube_cronjob_status_last_successful_time${drill} > ${durationSeconds(a.drillMaxAge)!}`,
        for: a.for,
        labels: severe,
        annotations: {
          summary: `CronJob ${v.namespace}/${names.drillCronJob} has not succeeded for ${a.drillMaxAge}`,
          description: `No successful restore drill of ${set} in ${a.drillMaxAge}. ${jobs}`,
        },
      });
      rules.push(
        ...cronJobRules(
          v,
          { what: 'drill', alertPrefix: 'SafeholdDrillCronJob', cronJob: names.drillCronJob, maxAge: a.drillMaxAge, timeout: v.drill.timeout },
          jobs,
          set,
        ),
      );
    }
  }
  if (v.restore && names.restoreJob) rules.push(...oneShotJobRules(v, 'restore', 'SafeholdRestore', names.restoreJob, v.restore.timeout, jobs));
  if (v.dropDatabase && names.dropJob) rules.push(...oneShotJobRules(v, 'drop-database', 'SafeholdDropDatabase', names.dropJob, v.timeout, jobs));
  return rules;
}
