import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Yaml } from 'cdk8s';
import { afterAll, describe, expect, it } from 'vitest';
import { stringify } from 'yaml';
import { alertRuleGroups, type AlertRuleGroup } from '../../src/constructs/alerts.js';
import { backupSetNames } from '../../src/constructs/names.js';
import { METRICS } from '../../src/contract/metrics.js';
import type { Values } from '../../src/values/schema.js';
import { exampleValues, makeValues, objectsOf, one, synth } from './_fixtures.js';

const work = mkdtempSync(join(tmpdir(), 'safehold-alerts-'));
afterAll(() => rmSync(work, { recursive: true, force: true }));

function promtool(...args: string[]): { code: number | null; out: string } {
  const r = spawnSync('promtool', args, { cwd: work, encoding: 'utf8' });
  return { code: r.status, out: `${r.stdout}${r.stderr}` };
}

function writeRules(file: string, groups: AlertRuleGroup[]): string {
  writeFileSync(join(work, file), stringify({ groups }));
  return file;
}

const monitored = makeValues({
  name: 'eventstore',
  namespace: 'monoskope',
  monitoring: { pushgateway: 'http://pushgateway.monitoring:9091', alerts: { maxAge: '24h', for: '1h', drillMaxAge: '2d' } },
  drill: { schedule: '0 5 * * 0', targets: { db: { database: 'shop_drill' } } },
});

function groupsOf(v: Values): AlertRuleGroup[] {
  return alertRuleGroups(v, backupSetNames(v));
}

function rule(groups: AlertRuleGroup[], alert: string) {
  const r = groups.flatMap((g) => g.rules).find((x) => x.alert === alert);
  if (!r) throw new Error(`no alert ${alert}`);
  return r;
}

describe('alerts (PrometheusRule)', () => {
  it('matches the golden manifest', async () => {
    await expect(Yaml.stringify(one(synth(monitored), 'PrometheusRule'))).toMatchFileSnapshot('./__snapshots__/prometheus-rule.k8s.yaml');
  });

  it('every generated rule group passes promtool check rules', () => {
    const sets = [...exampleValues().map((e) => e.values), monitored, makeValues(), makeValues({ instance: 'eu1', drill: { schedule: '0 5 * * 0', targets: { db: { database: 'd' } } } })];
    sets.forEach((v, i) => {
      const spec = one(synth(v), 'PrometheusRule').spec;
      const file = writeRules(`rules-${i}.yaml`, spec.groups);
      const r = promtool('check', 'rules', file);
      expect(r.out, `${v.namespace}/${v.name}`).toMatch(/SUCCESS/);
      expect(r.code, r.out).toBe(0);
    });
  });

  it('alerts on age, failure, absence, size drop, suspicious sets and a stale Pushgateway', () => {
    const names = groupsOf(monitored).flatMap((g) => g.rules.map((r) => r.alert));
    expect(names).toEqual([
      'SafeholdBackupTooOld', 'SafeholdBackupFailed', 'SafeholdBackupMetricsAbsent', 'SafeholdBackupSizeDropped', 'SafeholdBackupSuspicious', 'SafeholdPushgatewayStale',
      'SafeholdDrillTooOld', 'SafeholdDrillFailed', 'SafeholdDrillMetricsAbsent',
      'SafeholdBackupCronJobNoRecentSuccess',
    ]);
    expect(rule(groupsOf(monitored), 'SafeholdBackupMetricsAbsent').expr).toBe(`absent(${METRICS.backupLastSuccess}{namespace="monoskope",app="eventstore",instance=""})`);
    expect(rule(groupsOf(monitored), 'SafeholdBackupTooOld')).toMatchObject({ for: '1h', labels: { severity: 'critical' } });
  });

  it('without a Pushgateway relies on kube-state-metrics only, including its absence', () => {
    const names = groupsOf(makeValues({ drill: { schedule: '0 5 * * 0', targets: { db: { database: 'd' } } } })).flatMap((g) => g.rules.map((r) => r.alert));
    expect(names).toEqual(['SafeholdBackupCronJobNoRecentSuccess', 'SafeholdBackupCronJobNeverSucceeded', 'SafeholdDrillCronJobNoRecentSuccess']);
    expect(rule(groupsOf(makeValues()), 'SafeholdBackupCronJobNoRecentSuccess').expr).toContain('kube_cronjob_status_last_successful_time{namespace="team",cronjob="shop-backup"}');
  });

  it('emits no PrometheusRule when monitoring is off', () => {
    expect(objectsOf(synth(makeValues({ monitoring: { enabled: false } })), 'PrometheusRule')).toEqual([]);
  });

  it('promtool test rules: BackupTooOld fires after maxAge + for and not while backups succeed; DrillTooOld fires', () => {
    const groups = groupsOf(monitored);
    const rulesFile = writeRules('monitored.yaml', groups);
    const labels = { namespace: 'monoskope', app: 'eventstore', job: 'safehold', operation: 'backup' };
    const series = (metric: string, l: Record<string, string>) => `${metric}{${Object.entries(l).map(([k, v]) => `${k}="${v}"`).join(',')}}`;
    const expected = (alert: string, l: Record<string, string>) => {
      const r = rule(groups, alert);
      return [{ exp_labels: { ...l, ...r.labels }, exp_annotations: r.annotations }];
    };
    const drillLabels = { ...labels, operation: 'drill' };
    const tests = {
      rule_files: [rulesFile],
      evaluation_interval: '1m',
      tests: [
        {
          // The last success was at t=0 and never again.
          interval: '1m',
          input_series: [{ series: series(METRICS.backupLastSuccess, labels), values: '0+0x1600' }],
          alert_rule_test: [
            { eval_time: '23h', alertname: 'SafeholdBackupTooOld', exp_alerts: [] },
            { eval_time: '24h30m', alertname: 'SafeholdBackupTooOld', exp_alerts: [] }, // too old, but not yet for 1h
            { eval_time: '25h30m', alertname: 'SafeholdBackupTooOld', exp_alerts: expected('SafeholdBackupTooOld', labels) },
          ],
        },
        {
          // A backup succeeds every minute: the timestamp keeps up with time().
          interval: '1m',
          input_series: [{ series: series(METRICS.backupLastSuccess, labels), values: '0+60x1600' }],
          alert_rule_test: [{ eval_time: '25h30m', alertname: 'SafeholdBackupTooOld', exp_alerts: [] }],
        },
        {
          // Another application's series never trigger this set's alerts.
          interval: '1m',
          input_series: [{ series: series(METRICS.backupLastSuccess, { ...labels, app: 'other' }), values: '0+0x1600' }],
          alert_rule_test: [{ eval_time: '25h30m', alertname: 'SafeholdBackupTooOld', exp_alerts: [] }],
        },
        {
          // The last good drill at t=0; drillMaxAge 2d, for 1h.
          interval: '1m',
          input_series: [{ series: series(METRICS.drillLastSuccess, drillLabels), values: '0+0x3100' }],
          alert_rule_test: [
            { eval_time: '47h', alertname: 'SafeholdDrillTooOld', exp_alerts: [] },
            { eval_time: '50h', alertname: 'SafeholdDrillTooOld', exp_alerts: expected('SafeholdDrillTooOld', drillLabels) },
          ],
        },
        {
          interval: '1m',
          input_series: [
            { series: series(METRICS.backupSize, { ...labels, component: 'db' }), values: '100x10' },
            { series: series(METRICS.backupPreviousSize, { ...labels, component: 'db' }), values: '1000x10' },
          ],
          alert_rule_test: [{ eval_time: '5m', alertname: 'SafeholdBackupSizeDropped', exp_alerts: expected('SafeholdBackupSizeDropped', { ...labels, component: 'db' }) }],
        },
      ],
    };
    writeFileSync(join(work, 'tests.yaml'), stringify(tests));
    const r = promtool('test', 'rules', 'tests.yaml');
    expect(r.out).toMatch(/SUCCESS/);
    expect(r.code, r.out).toBe(0);
  });
});
