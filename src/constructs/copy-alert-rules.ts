// Alerts of the copies: a copy run failed, the copy lags (its newest set too old), nothing ever pushed — or its CronJob's runs (without a Pushgateway).
import { METRICS } from '../contract/metrics.js';
import { durationSeconds } from '../values/formats.js';
import type { Values } from '../values/schema.js';
import type { AlertRule } from './alerts.js';
import { cronJobRules, neverSucceeded } from './cluster-alert-rules.js';
import { copyCronJobName, type BackupSetNames } from './names.js';

/** One rule of each kind per copy; `pushSelector(extra)` selects this set's series plus the extra matchers. */
export function copyAlertRules(v: Values, names: BackupSetNames, pushSelector: (extra: string[]) => string): AlertRule[] {
  const a = v.monitoring.alerts;
  const severe = { severity: a.severity };
  const set = `${v.namespace}/${names.prefix}`;
  return (v.copies ?? []).flatMap((c) => {
    const cronJob = copyCronJobName(names, c.name);
    const jobs = `kubectl -n ${v.namespace} get jobs -l app.kubernetes.io/instance=${names.prefix},app.kubernetes.io/component=copy`;
    const what = `copy ${c.name} of ${set}`;
    if (!v.monitoring.pushgateway)
      return cronJobRules(v, { what: `copy ${c.name}`, alertPrefix: 'SafeholdCopyCronJob', cronJob, maxAge: c.maxLag, timeout: c.timeout }, jobs, set);
    const sel = pushSelector(['operation="copy"', `copy="${c.name}"`]);
    const lag = durationSeconds(c.maxLag)!;
    return [
      {
        alert: 'SafeholdCopyFailed',
        expr: `${METRICS.copyLastStatus}${sel} == 0`,
        labels: severe,
        annotations: {
          summary: `The last run of the ${what} failed`,
          description: `safehold copy --to ${c.name} failed: the second place may not hold the newest sets. Read the copy Job's log (docs/copies.md). ${jobs}`,
        },
      },
      {
        alert: 'SafeholdCopyLagging',
        expr: `time() - ${METRICS.copyNewestSet}${sel} > ${lag}`,
        for: a.for,
        labels: severe,
        annotations: {
          summary: `The newest set in the ${what} is older than ${c.maxLag}`,
          description: `A restore from copy ${c.name} would lose more than ${c.maxLag} of data: copies fail, do not run, or the source has no newer good set. ${jobs}`,
        },
      },
      {
        alert: 'SafeholdCopyMetricsAbsent',
        expr: neverSucceeded(`kube_cronjob_created{namespace="${v.namespace}",cronjob="${cronJob}"}`, lag, `${METRICS.copyLastSuccess}${sel}`, ''),
        labels: severe,
        annotations: {
          summary: `No successful ${what} pushed in the ${c.maxLag} since its CronJob was created`,
          description: `No successful run of CronJob ${v.namespace}/${cronJob} has reached the Pushgateway. ${jobs}`,
        },
      },
    ];
  });
}
