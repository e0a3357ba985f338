// The PrometheusRule: alert when backups (and drills) stop succeeding, fail, vanish, shrink or go stale.
import { ApiObject } from 'cdk8s';
import { Construct } from 'constructs';
import { METRICS, PUSH_JOB } from '../contract/metrics.js';
import { durationSeconds } from '../values/formats.js';
import type { Values } from '../values/schema.js';
import { clusterAlertRules, neverSucceeded } from './cluster-alert-rules.js';
import { copyAlertRules } from './copy-alert-rules.js';
import { standardLabels, type BackupSetNames, type SetIdentity } from './names.js';
import { verifyAlertRules } from './verify-alert-rules.js';

export interface AlertRule {
  readonly alert: string;
  readonly expr: string;
  /**
   * How long the expression must hold before the alert fires.
   * @default - at once
   */
  readonly for?: string;
  readonly labels: Record<string, string>;
  readonly annotations: { readonly summary: string; readonly description: string };
}

export interface AlertRuleGroup {
  readonly name: string;
  readonly rules: AlertRule[];
}

/**
 * Series the runner pushes carry the grouping labels namespace, app and (when set) instance
 * (contract/metrics.ts). Prometheus must scrape the Pushgateway with `honor_labels: true`, or
 * these labels arrive renamed to exported_*.
 */
function pushSelector(v: Values, extra: string[] = []): string {
  // instance="" matches series without the label: a set without instance never sees another's.
  const matchers = [`namespace="${v.namespace}"`, `app="${v.name}"`, `instance="${v.instance ?? ''}"`];
  return `{${[...matchers, ...extra].join(',')}}`;
}

/** Rule groups for one backup set: the spec of its PrometheusRule, and what promtool checks. */
export function alertRuleGroups(v: Values, names: BackupSetNames, o: { verify?: boolean } = {}): AlertRuleGroup[] {
  const a = v.monitoring.alerts;
  const maxAge = durationSeconds(a.maxAge)!;
  const drillMaxAge = durationSeconds(a.drillMaxAge)!;
  const set = `${v.namespace}/${names.prefix}`;
  const sel = pushSelector(v);
  const severe = { severity: a.severity };
  const warning = { severity: 'warning' };
  const jobs = `kubectl -n ${v.namespace} get jobs -l app.kubernetes.io/instance=${names.prefix}`;
  const groups: AlertRuleGroup[] = [];
  const pushgateway = v.monitoring.pushgateway;
  const cronJobCreated = (cronJob: string) => `kube_cronjob_created{namespace="${v.namespace}",cronjob="${cronJob}"}`;

  if (pushgateway) {
    groups.push({
      name: `safehold/${set}/backup`,
      rules: [
        {
          alert: 'SafeholdBackupTooOld',
          expr: `time() - ${METRICS.backupLastSuccess}${sel} > ${maxAge}`,
          for: a.for,
          labels: severe,
          annotations: {
            summary: `No successful backup of ${set} for more than ${a.maxAge}`,
            description: `The newest good backup set of ${set} is older than ${a.maxAge}. Look at the last runs: ${jobs}`,
          },
        },
        {
          alert: 'SafeholdBackupFailed',
          expr: `${METRICS.backupLastStatus}${sel} == 0`,
          // A failure that the Job's retry repairs within `for` does not page anyone.
          for: a.for,
          labels: severe,
          annotations: {
            summary: `The last backup of ${set} failed`,
            description: `The last run of CronJob ${v.namespace}/${names.backupCronJob} failed; its logs say why: ${jobs}`,
          },
        },
        {
          // Restart-safe: no absent() with a long for: (a Prometheus restart resets pending alerts); the CronJob's age is the clock.
          alert: 'SafeholdBackupMetricsAbsent',
          expr: neverSucceeded(cronJobCreated(names.backupCronJob), maxAge, `${METRICS.backupLastSuccess}${sel}`, ''),
          labels: severe,
          annotations: {
            summary: `No successful backup of ${set} pushed in the ${a.maxAge} since its CronJob was created`,
            description: `No successful backup of ${set} has been pushed to ${pushgateway} (or Prometheus does not scrape it with honor_labels: true). ${jobs}`,
          },
        },
        {
          alert: 'SafeholdBackupSizeDropped',
          expr: `${METRICS.backupSize}${sel} < ${a.sizeDropRatio} * ${METRICS.backupPreviousSize}${sel} and ${METRICS.backupPreviousSize}${sel} > 0`,
          labels: warning,
          annotations: {
            summary: `A component of ${set} shrank below ${a.sizeDropRatio} of its previous backup`,
            description: `The last backup of a component of ${set} is less than ${a.sizeDropRatio} times the size of the previous good one: data loss upstream or a truncated dump.`,
          },
        },
        {
          alert: 'SafeholdBackupSuspicious',
          expr: `${METRICS.backupSuspicious}${sel} == 1`,
          labels: warning,
          annotations: {
            summary: `The last backup set of ${set} was flagged suspicious`,
            description: `The last set of ${set} was stored but failed its sanity checks; retention does not count it. ${jobs}`,
          },
        },
        {
          alert: 'SafeholdPushgatewayStale',
          expr: `time() - push_time_seconds${pushSelector(v, [`job="${PUSH_JOB}"`, 'operation="backup"'])} > ${maxAge}`,
          for: a.for,
          labels: warning,
          annotations: {
            summary: `The backup runner of ${set} has not pushed metrics for ${a.maxAge}`,
            description: `No push (success or failure) from ${set} reached ${pushgateway}: the CronJob is not running, or cannot reach the Pushgateway.`,
          },
        },
        {
          alert: 'SafeholdRetentionFailed',
          expr: `${METRICS.retentionLastStatus}${sel} == 0`,
          for: a.for,
          labels: warning,
          annotations: {
            summary: `Retention of ${set} failed`,
            description: `The last backup of ${set} was stored, but forgetting old sets (or pruning) failed: the repository grows. The runner logs say why ("retention FAILED"). ${jobs}`,
          },
        },
        {
          alert: 'SafeholdRefusedBesideRequest',
          expr: `${METRICS.backupRefused}${sel} == 1 or ${METRICS.pruneRefused}${sel} == 1`,
          for: a.for,
          labels: warning,
          annotations: {
            summary: `Backups or prunes of ${set} are refused: a restore request is in progress`,
            description:
              `The last backup (operation="backup") or prune/maintenance run (operation="maintenance") of ${set} refused: a one-shot request (restore) of the application is claimed and not finished, and nothing is stored or removed meanwhile. ` +
              `Expected while a restore runs. If none runs (its pod died), check the database, then free the claim with \`safehold release --request <id>\` (the id is in the refusal and in \`safehold snapshots\`; docs/restore.md). ${jobs}`,
          },
        },
      ],
    });
    if (v.drill) {
      groups.push({
        name: `safehold/${set}/drill`,
        rules: [
          {
            alert: 'SafeholdDrillTooOld',
            expr: `time() - ${METRICS.drillLastSuccess}${sel} > ${drillMaxAge}`,
            for: a.for,
            labels: severe,
            annotations: {
              summary: `No successful restore drill of ${set} for more than ${a.drillMaxAge}`,
              description: `Nobody has proven for ${a.drillMaxAge} that the backups of ${set} restore. ${jobs}`,
            },
          },
          {
            alert: 'SafeholdDrillFailed',
            expr: `${METRICS.drillLastStatus}${sel} == 0`,
            for: a.for,
            labels: severe,
            annotations: {
              summary: `The last restore drill of ${set} failed`,
              description: `CronJob ${v.namespace}/${names.drillCronJob} could not restore or check the newest good set. ${jobs}`,
            },
          },
          {
            alert: 'SafeholdDrillMetricsAbsent',
            expr: neverSucceeded(cronJobCreated(names.drillCronJob), drillMaxAge, `${METRICS.drillLastSuccess}${sel}`, ''),
            labels: severe,
            annotations: {
              summary: `No passing restore drill of ${set} pushed in the ${a.drillMaxAge} since its CronJob was created`,
              description: `No successful drill of ${set} has been pushed to ${pushgateway}. ${jobs}`,
            },
          },
        ],
      });
    }
  }

  // Only the values file that runs the repository's verify CronJob alerts on it.
  if (o.verify ?? v.verify.enabled) groups.push({ name: `safehold/${set}/verify`, rules: verifyAlertRules(v, names, sel) });
  if (v.copies?.length) groups.push({ name: `safehold/${set}/copies`, rules: copyAlertRules(v, names, (extra) => pushSelector(v, extra)) });
  const ksm = clusterAlertRules(v, names, !!pushgateway);
  groups.push({ name: `safehold/${set}/kube-state-metrics`, rules: ksm });
  return groups;
}

export interface BackupAlertsProps {
  /** The set's prefix (labels) and namespace. */
  readonly set: SetIdentity;
  /** The PrometheusRule's name (backupSetNames: `<prefix>-safehold`). */
  readonly name: string;
  /** The rule groups (alertRuleGroups builds them from a values file). */
  readonly groups: readonly AlertRuleGroup[];
  /**
   * Labels the Prometheus operator selects rules by (`monitoring.ruleLabels`).
   * @default - none
   */
  readonly ruleLabels?: Readonly<Record<string, string>>;
}

/** A prometheus-operator PrometheusRule (monitoring.coreos.com/v1); its spec is a Prometheus rule file. */
export class BackupAlerts extends Construct {
  constructor(scope: Construct, id: string, props: BackupAlertsProps) {
    super(scope, id);
    new ApiObject(this, 'Resource', {
      apiVersion: 'monitoring.coreos.com/v1',
      kind: 'PrometheusRule',
      metadata: { name: props.name, namespace: props.set.namespace, labels: { ...props.ruleLabels, ...standardLabels(props.set, 'alerts') } },
      spec: { groups: [...props.groups] },
    });
  }
}
