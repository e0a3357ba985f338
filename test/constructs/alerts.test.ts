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
    const sets = [
      ...exampleValues().map((e) => e.values),
      monitored,
      makeValues(),
      makeValues({ instance: 'eu1', drill: { schedule: '0 5 * * 0', targets: { db: { database: 'd' } } } }),
    ];
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
      'SafeholdBackupTooOld',
      'SafeholdBackupFailed',
      'SafeholdBackupMetricsAbsent',
      'SafeholdBackupSizeDropped',
      'SafeholdBackupSuspicious',
      'SafeholdPushgatewayStale',
      'SafeholdRetentionFailed',
      'SafeholdRefusedBesideRequest',
      'SafeholdDrillTooOld',
      'SafeholdDrillFailed',
      'SafeholdDrillMetricsAbsent',
      'SafeholdVerifyFailed',
      'SafeholdVerifyTooOld',
      'SafeholdVerifyMetricsAbsent',
      'SafeholdBackupCronJobNoRecentSuccess',
      'SafeholdBackupCronJobSuspended',
    ]);
    expect(rule(groupsOf(monitored), 'SafeholdBackupMetricsAbsent').expr).toBe(
      `(time() - kube_cronjob_created{namespace="monoskope",cronjob="eventstore-backup"} > 86400) unless on() ${METRICS.backupLastSuccess}{namespace="monoskope",app="eventstore",instance=""}`,
    );
    expect(rule(groupsOf(monitored), 'SafeholdBackupTooOld')).toMatchObject({ for: '1h', labels: { severity: 'critical' } });
  });

  it('without a Pushgateway relies on kube-state-metrics only, including its absence', () => {
    const names = groupsOf(makeValues({ drill: { schedule: '0 5 * * 0', targets: { db: { database: 'd' } } } })).flatMap((g) => g.rules.map((r) => r.alert));
    expect(names).toEqual([
      'SafeholdVerifyCronJobNeverSucceeded',
      'SafeholdVerifyCronJobLastRunFailed',
      'SafeholdBackupCronJobNoRecentSuccess',
      'SafeholdBackupCronJobSuspended',
      'SafeholdBackupCronJobNeverSucceeded',
      'SafeholdBackupCronJobLastRunFailed',
      'SafeholdDrillCronJobNoRecentSuccess',
      'SafeholdDrillCronJobNeverSucceeded',
      'SafeholdDrillCronJobLastRunFailed',
    ]);
    expect(rule(groupsOf(makeValues()), 'SafeholdBackupCronJobNoRecentSuccess').expr).toContain(
      'kube_cronjob_status_last_successful_time{namespace="team",cronjob="shop-backup"}',
    );
  });

  it('a suspend written in the values is not alerted on; restore and drop Jobs are watched while they exist', () => {
    expect(groupsOf(makeValues({ suspend: true })).flatMap((g) => g.rules.map((r) => r.alert))).not.toContain('SafeholdBackupCronJobSuspended');
    const withJobs = groupsOf(makeValues({ restore: { snapshot: 'latest' }, dropDatabase: { component: 'db', confirm: 'shop' } })).flatMap((g) =>
      g.rules.map((r) => r.alert),
    );
    expect(withJobs).toEqual(
      expect.arrayContaining(['SafeholdRestoreJobFailed', 'SafeholdRestoreJobStuck', 'SafeholdDropDatabaseJobFailed', 'SafeholdDropDatabaseJobStuck']),
    );
  });

  it('emits no PrometheusRule when monitoring is off', () => {
    expect(objectsOf(synth(makeValues({ monitoring: { enabled: false } })), 'PrometheusRule')).toEqual([]);
  });
});
