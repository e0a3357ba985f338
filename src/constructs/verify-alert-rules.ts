// Alerts of the scheduled repository check: failed, too old, never passed (with a Pushgateway) or its CronJob's runs (without).
import { METRICS } from '../contract/metrics.js';
import { durationSeconds } from '../values/formats.js';
import type { Values } from '../values/schema.js';
import type { AlertRule } from './alerts.js';
import { cronJobRules, neverSucceeded } from './cluster-alert-rules.js';
import type { BackupSetNames } from './names.js';

export function verifyAlertRules(v: Values, names: BackupSetNames, pushSelector: string): AlertRule[] {
  const a = v.monitoring.alerts;
  const severe = { severity: a.severity };
  const set = `${v.namespace}/${names.prefix}`;
  const jobs = `kubectl -n ${v.namespace} get jobs -l app.kubernetes.io/instance=${names.prefix},app.kubernetes.io/component=verify`;
  const maxAge = v.verify.maxAge;
  if (!v.monitoring.pushgateway) {
    return cronJobRules(
      v,
      { what: 'verify', alertPrefix: 'SafeholdVerifyCronJob', cronJob: names.verifyCronJob, maxAge, timeout: v.verify.timeout },
      jobs,
      set,
    );
  }
  const created = `kube_cronjob_created{namespace="${v.namespace}",cronjob="${names.verifyCronJob}"}`;
  return [
    {
      alert: 'SafeholdVerifyFailed',
      expr: `${METRICS.verifyLastStatus}${pushSelector} == 0`,
      labels: severe,
      annotations: {
        summary: `The integrity check of the repository of ${set} failed`,
        description: `restic check (or a set's manifest) found a problem in the repository that ${set} verifies: backups in it may not restore. Read the verify Job's log, then see docs/troubleshooting.md. ${jobs}`,
      },
    },
    {
      alert: 'SafeholdVerifyTooOld',
      expr: `time() - ${METRICS.verifyLastSuccess}${pushSelector} > ${durationSeconds(maxAge)!}`,
      for: a.for,
      labels: severe,
      annotations: {
        summary: `No passing integrity check of the repository of ${set} for ${maxAge}`,
        description: `The verify CronJob ${v.namespace}/${names.verifyCronJob} has not passed for ${maxAge}. ${jobs}`,
      },
    },
    {
      alert: 'SafeholdVerifyMetricsAbsent',
      expr: neverSucceeded(created, durationSeconds(maxAge)!, `${METRICS.verifyLastSuccess}${pushSelector}`, ''),
      labels: severe,
      annotations: {
        summary: `No passing integrity check of the repository of ${set} pushed in the ${maxAge} since its CronJob was created`,
        description: `No successful verify of ${set} has reached the Pushgateway. ${jobs}`,
      },
    },
  ];
}
