// promtool test rules: every alert of every kind of set has a case where it fires and one where it stays silent.
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { stringify } from 'yaml';
import { alertRuleGroups, type AlertRule } from '../../src/constructs/alerts.js';
import { backupSetNames } from '../../src/constructs/names.js';
import { METRICS } from '../../src/contract/metrics.js';
import type { Values } from '../../src/values/schema.js';
import { makeValues } from './_fixtures.js';

const work = mkdtempSync(join(tmpdir(), 'safehold-alerts-firing-'));
afterAll(() => rmSync(work, { recursive: true, force: true }));

type Labels = Record<string, string>;
interface Series {
  readonly metric: string;
  readonly labels: Labels;
  /** promtool expanding notation, one sample a minute: '0+0x3000'. */
  readonly values: string;
}
interface Case {
  readonly alert: string;
  readonly why: string;
  readonly series: readonly Series[];
  readonly at: string;
  /** The firing alert's labels beyond the rule's own; undefined = must not fire. */
  readonly fires?: Labels;
}

// Short ages keep promtool quick (it evaluates every rule each minute up to each case's eval time); the semantics do not scale.
const MINUTES = 400; // past every case's eval time
const common = {
  namespace: 'monoskope',
  timeout: '10m',
  monitoring: { alerts: { maxAge: '2h', for: '10m', drillMaxAge: '4h' } },
  drill: { schedule: '0 5 * * 0', timeout: '20m', targets: { db: { database: 'shop_drill' } } },
  restore: { snapshot: 'latest', timeout: '30m' },
  verify: { maxAge: '3h', timeout: '20m' },
  dropDatabase: { component: 'db', confirm: 'shop' },
  copies: [
    {
      name: 'offsite',
      repository: {
        s3: { endpoint: 'https://s3.other.example', bucket: 'offsite', credentials: { secretName: 'backup-s3' } },
        password: { secretName: 'offsite-restic' },
      },
      schedule: '0 6 * * *',
      timeout: '20m',
      maxLag: '3h',
    },
  ],
};
const withPushgateway = makeValues({ ...common, name: 'eventstore', monitoring: { ...common.monitoring, pushgateway: 'http://pushgateway.monitoring:9091' } });
const withoutPushgateway = makeValues({ ...common, name: 'ledger' });

function labelsFor(v: Values) {
  const n = backupSetNames(v);
  const push = (operation: string): Labels => ({ job: 'safehold', namespace: v.namespace, app: v.name, operation });
  const ksm = (extra: Labels): Labels => ({ job: 'kube-state-metrics', namespace: v.namespace, ...extra });
  return {
    n,
    backup: push('backup'),
    maintenance: push('maintenance'),
    drill: push('drill'),
    verify: push('verify'),
    verifyCron: ksm({ cronjob: n.verifyCronJob }),
    copy: { ...push('copy'), copy: 'offsite' },
    copyCron: ksm({ cronjob: `${n.prefix}-copy-offsite` }),
    backupCron: ksm({ cronjob: n.backupCronJob }),
    drillCron: ksm({ cronjob: n.drillCronJob }),
    job: (name: string, extra: Labels = {}) => ksm({ job_name: name, ...extra }),
  };
}

const s = (metric: string, labels: Labels, values: string): Series => ({ metric, labels, values });
const flat = (value: number) => `${value}+0x${MINUTES}`;
const ticking = '0+60x' + MINUTES; // a timestamp that keeps up with time()

function pushCases(v: Values): Case[] {
  const L = labelsFor(v);
  const size = (m: string, value: number) => s(m, { ...L.backup, component: 'db' }, flat(value));
  return [
    {
      alert: 'SafeholdBackupTooOld',
      why: 'last success at t=0, too old for longer than for',
      series: [s(METRICS.backupLastSuccess, L.backup, flat(0))],
      at: '2h30m',
      fires: L.backup,
    },
    { alert: 'SafeholdBackupTooOld', why: 'too old, but not yet for 10m', series: [s(METRICS.backupLastSuccess, L.backup, flat(0))], at: '2h5m' },
    { alert: 'SafeholdBackupTooOld', why: 'backups keep succeeding', series: [s(METRICS.backupLastSuccess, L.backup, ticking)], at: '2h30m' },
    {
      alert: 'SafeholdBackupTooOld',
      why: "another application's series",
      series: [s(METRICS.backupLastSuccess, { ...L.backup, app: 'other' }, flat(0))],
      at: '2h30m',
    },
    {
      alert: 'SafeholdBackupFailed',
      why: 'status 0 for longer than for',
      series: [s(METRICS.backupLastStatus, L.backup, flat(0))],
      at: '15m',
      fires: L.backup,
    },
    { alert: 'SafeholdBackupFailed', why: 'status 1', series: [s(METRICS.backupLastStatus, L.backup, flat(1))], at: '15m' },
    // Restart-safe: no `for`, so it fires at the first evaluation past the threshold (a restarted Prometheus sees it at once).
    {
      alert: 'SafeholdBackupMetricsAbsent',
      why: 'CronJob maxAge old, nothing pushed',
      series: [s('kube_cronjob_created', L.backupCron, flat(0))],
      at: '2h1m',
      fires: L.backupCron,
    },
    {
      alert: 'SafeholdBackupMetricsAbsent',
      why: 'a new CronJob, younger than maxAge',
      series: [s('kube_cronjob_created', L.backupCron, flat(0))],
      at: '1h59m',
    },
    {
      alert: 'SafeholdBackupMetricsAbsent',
      why: 'an old CronJob with a pushed success',
      series: [s('kube_cronjob_created', L.backupCron, flat(0)), s(METRICS.backupLastSuccess, L.backup, flat(0))],
      at: '3h',
    },
    {
      alert: 'SafeholdBackupSizeDropped',
      why: '100 after 1000',
      series: [size(METRICS.backupSize, 100), size(METRICS.backupPreviousSize, 1000)],
      at: '5m',
      fires: { ...L.backup, component: 'db' },
    },
    {
      alert: 'SafeholdBackupSizeDropped',
      why: '600 after 1000 (above the ratio)',
      series: [size(METRICS.backupSize, 600), size(METRICS.backupPreviousSize, 1000)],
      at: '5m',
    },
    { alert: 'SafeholdBackupSuspicious', why: 'flagged', series: [s(METRICS.backupSuspicious, L.backup, flat(1))], at: '5m', fires: L.backup },
    { alert: 'SafeholdBackupSuspicious', why: 'not flagged', series: [s(METRICS.backupSuspicious, L.backup, flat(0))], at: '5m' },
    { alert: 'SafeholdPushgatewayStale', why: 'no push since t=0', series: [s('push_time_seconds', L.backup, flat(0))], at: '2h30m', fires: L.backup },
    { alert: 'SafeholdPushgatewayStale', why: 'pushes keep coming', series: [s('push_time_seconds', L.backup, ticking)], at: '2h30m' },
    {
      alert: 'SafeholdRetentionFailed',
      why: 'retention failed for longer than for',
      series: [s(METRICS.retentionLastStatus, L.backup, flat(0))],
      at: '15m',
      fires: L.backup,
    },
    { alert: 'SafeholdRetentionFailed', why: 'retention ran', series: [s(METRICS.retentionLastStatus, L.backup, flat(1))], at: '15m' },
    {
      alert: 'SafeholdRefusedBesideRequest',
      why: 'backups refused for longer than for',
      series: [s(METRICS.backupRefused, L.backup, flat(1))],
      at: '15m',
      fires: L.backup,
    },
    {
      alert: 'SafeholdRefusedBesideRequest',
      why: 'the maintenance job refused',
      series: [s(METRICS.pruneRefused, L.maintenance, flat(1))],
      at: '15m',
      fires: L.maintenance,
    },
    {
      alert: 'SafeholdRefusedBesideRequest',
      why: 'the backup after the request stored a set (refused 0)',
      series: [s(METRICS.backupRefused, L.backup, flat(0)), s(METRICS.pruneRefused, L.maintenance, flat(0))],
      at: '15m',
    },
    // drillMaxAge 4h, for 10m: fires 4h10m after the last success (one minute of evaluation later), not 2 × 4h.
    { alert: 'SafeholdDrillTooOld', why: 'at exactly drillMaxAge + for: still pending', series: [s(METRICS.drillLastSuccess, L.drill, flat(0))], at: '4h10m' },
    {
      alert: 'SafeholdDrillTooOld',
      why: 'one evaluation after drillMaxAge + for',
      series: [s(METRICS.drillLastSuccess, L.drill, flat(0))],
      at: '4h11m',
      fires: L.drill,
    },
    { alert: 'SafeholdDrillFailed', why: 'status 0', series: [s(METRICS.drillLastStatus, L.drill, flat(0))], at: '15m', fires: L.drill },
    { alert: 'SafeholdDrillFailed', why: 'status 1', series: [s(METRICS.drillLastStatus, L.drill, flat(1))], at: '15m' },
    {
      alert: 'SafeholdDrillMetricsAbsent',
      why: 'drill CronJob 4h old, nothing pushed',
      series: [s('kube_cronjob_created', L.drillCron, flat(0))],
      at: '4h1m',
      fires: L.drillCron,
    },
    {
      alert: 'SafeholdDrillMetricsAbsent',
      why: 'a drill passed once',
      series: [s('kube_cronjob_created', L.drillCron, flat(0)), s(METRICS.drillLastSuccess, L.drill, flat(0))],
      at: '4h1m',
    },
    { alert: 'SafeholdVerifyFailed', why: 'restic check failed', series: [s(METRICS.verifyLastStatus, L.verify, flat(0))], at: '5m', fires: L.verify },
    { alert: 'SafeholdVerifyFailed', why: 'restic check passed', series: [s(METRICS.verifyLastStatus, L.verify, flat(1))], at: '5m' },
    { alert: 'SafeholdVerifyTooOld', why: 'at exactly maxAge + for: still pending', series: [s(METRICS.verifyLastSuccess, L.verify, flat(0))], at: '3h10m' },
    {
      alert: 'SafeholdVerifyTooOld',
      why: 'one evaluation after maxAge + for',
      series: [s(METRICS.verifyLastSuccess, L.verify, flat(0))],
      at: '3h11m',
      fires: L.verify,
    },
    {
      alert: 'SafeholdVerifyMetricsAbsent',
      why: 'verify CronJob maxAge old, nothing pushed',
      series: [s('kube_cronjob_created', L.verifyCron, flat(0))],
      at: '3h1m',
      fires: L.verifyCron,
    },
    { alert: 'SafeholdCopyFailed', why: 'the copy run failed', series: [s(METRICS.copyLastStatus, L.copy, flat(0))], at: '5m', fires: L.copy },
    { alert: 'SafeholdCopyFailed', why: 'the copy run passed', series: [s(METRICS.copyLastStatus, L.copy, flat(1))], at: '5m' },
    { alert: 'SafeholdCopyFailed', why: "another copy's failure", series: [s(METRICS.copyLastStatus, { ...L.copy, copy: 'other' }, flat(0))], at: '5m' },
    { alert: 'SafeholdCopyLagging', why: 'at exactly maxLag + for: still pending', series: [s(METRICS.copyNewestSet, L.copy, flat(0))], at: '3h10m' },
    { alert: 'SafeholdCopyLagging', why: 'one evaluation after maxLag + for', series: [s(METRICS.copyNewestSet, L.copy, flat(0))], at: '3h11m', fires: L.copy },
    { alert: 'SafeholdCopyLagging', why: 'new sets keep arriving in the copy', series: [s(METRICS.copyNewestSet, L.copy, ticking)], at: '3h11m' },
    {
      alert: 'SafeholdCopyMetricsAbsent',
      why: 'copy CronJob maxLag old, nothing pushed',
      series: [s('kube_cronjob_created', L.copyCron, flat(0))],
      at: '3h1m',
      fires: L.copyCron,
    },
    {
      alert: 'SafeholdCopyMetricsAbsent',
      why: 'a copy passed once',
      series: [s('kube_cronjob_created', L.copyCron, flat(0)), s(METRICS.copyLastSuccess, L.copy, flat(0))],
      at: '3h1m',
    },
    {
      alert: 'SafeholdVerifyMetricsAbsent',
      why: 'a check passed once',
      series: [s('kube_cronjob_created', L.verifyCron, flat(0)), s(METRICS.verifyLastSuccess, L.verify, flat(0))],
      at: '3h1m',
    },
  ];
}

function cronJobCases(v: Values, prefix: string, cron: Labels, maxAgePlus1m: string, deadlineSeconds: number): Case[] {
  const ended = deadlineSeconds + 600;
  const after = `${Math.ceil((1800 + ended) / 60) + 1}m`; // schedule at t=30m, then deadline + slack
  return [
    {
      alert: `${prefix}NeverSucceeded`,
      why: 'created maxAge ago, no success',
      series: [s('kube_cronjob_created', cron, flat(0))],
      at: maxAgePlus1m,
      fires: cron,
    },
    {
      alert: `${prefix}NeverSucceeded`,
      why: 'created maxAge ago, succeeded',
      series: [s('kube_cronjob_created', cron, flat(0)), s('kube_cronjob_status_last_successful_time', cron, flat(600))],
      at: maxAgePlus1m,
    },
    {
      alert: `${prefix}LastRunFailed`,
      why: 'scheduled at 30m, last success before it',
      series: [s('kube_cronjob_status_last_schedule_time', cron, flat(1800)), s('kube_cronjob_status_last_successful_time', cron, flat(900))],
      at: after,
      fires: cron,
    },
    {
      alert: `${prefix}LastRunFailed`,
      why: 'scheduled at 30m, never succeeded',
      series: [s('kube_cronjob_status_last_schedule_time', cron, flat(1800))],
      at: after,
      fires: cron,
    },
    {
      alert: `${prefix}LastRunFailed`,
      why: 'scheduled at 30m, still within its deadline',
      series: [s('kube_cronjob_status_last_schedule_time', cron, flat(1800))],
      at: '35m',
    },
    {
      alert: `${prefix}LastRunFailed`,
      why: 'scheduled at 30m, succeeded after it',
      series: [s('kube_cronjob_status_last_schedule_time', cron, flat(1800)), s('kube_cronjob_status_last_successful_time', cron, flat(2000))],
      at: after,
    },
  ];
}

function oneShotCases(prefix: string, job: (extra?: Labels) => Labels, deadlineSeconds: number): Case[] {
  const after = `${Math.ceil((deadlineSeconds + 600) / 60) + 1}m`;
  const yes = job({ condition: 'true' });
  return [
    { alert: `${prefix}JobFailed`, why: 'Failed condition true', series: [s('kube_job_failed', yes, flat(1))], at: '5m', fires: yes },
    { alert: `${prefix}JobFailed`, why: 'Failed condition not true', series: [s('kube_job_failed', yes, flat(0))], at: '5m' },
    {
      alert: `${prefix}JobStuck`,
      why: 'neither complete nor failed after the deadline',
      series: [s('kube_job_created', job(), flat(0))],
      at: after,
      fires: job(),
    },
    { alert: `${prefix}JobStuck`, why: 'complete', series: [s('kube_job_created', job(), flat(0)), s('kube_job_complete', yes, flat(1))], at: after },
    {
      alert: `${prefix}JobStuck`,
      why: 'failed (JobFailed says so)',
      series: [s('kube_job_created', job(), flat(0)), s('kube_job_failed', yes, flat(1))],
      at: after,
    },
  ];
}

function clusterCases(v: Values, pushgateway: boolean): Case[] {
  const L = labelsFor(v);
  const cases: Case[] = [
    {
      alert: 'SafeholdBackupCronJobNoRecentSuccess',
      why: 'last success at t=0',
      series: [s('kube_cronjob_status_last_successful_time', L.backupCron, flat(0))],
      at: '2h30m',
      fires: L.backupCron,
    },
    {
      alert: 'SafeholdBackupCronJobNoRecentSuccess',
      why: 'recent success',
      series: [s('kube_cronjob_status_last_successful_time', L.backupCron, ticking)],
      at: '2h30m',
    },
    {
      alert: 'SafeholdBackupCronJobSuspended',
      why: 'suspended by hand',
      series: [s('kube_cronjob_spec_suspend', L.backupCron, flat(1))],
      at: '15m',
      fires: L.backupCron,
    },
    { alert: 'SafeholdBackupCronJobSuspended', why: 'not suspended', series: [s('kube_cronjob_spec_suspend', L.backupCron, flat(0))], at: '15m' },
    ...oneShotCases('SafeholdRestore', (extra = {}) => L.job(L.n.restoreJob!, extra), 1800),
    ...oneShotCases('SafeholdDropDatabase', (extra = {}) => L.job(L.n.dropJob!, extra), 600),
  ];
  if (!pushgateway) {
    cases.push(
      ...cronJobCases(v, 'SafeholdBackupCronJob', L.backupCron, '2h1m', 600),
      ...cronJobCases(v, 'SafeholdDrillCronJob', L.drillCron, '4h1m', 1200),
      ...cronJobCases(v, 'SafeholdVerifyCronJob', L.verifyCron, '3h1m', 1200),
      ...cronJobCases(v, 'SafeholdCopyCronJob', L.copyCron, '3h1m', 1200),
      // The drill alert at exactly its threshold: drillMaxAge 4h and for 10m, not 4h + 4h.
      {
        alert: 'SafeholdDrillCronJobNoRecentSuccess',
        why: 'at exactly drillMaxAge + for: still pending',
        series: [s('kube_cronjob_status_last_successful_time', L.drillCron, flat(0))],
        at: '4h10m',
      },
      {
        alert: 'SafeholdDrillCronJobNoRecentSuccess',
        why: 'one evaluation after drillMaxAge + for',
        series: [s('kube_cronjob_status_last_successful_time', L.drillCron, flat(0))],
        at: '4h11m',
        fires: L.drillCron,
      },
    );
  }
  return cases;
}

const rulesOf = (v: Values): AlertRule[] => alertRuleGroups(v, backupSetNames(v)).flatMap((g) => g.rules);

function promtoolTest(name: string, v: Values, cases: readonly Case[]): { code: number | null; out: string } {
  const rules = rulesOf(v);
  const byName = new Map(rules.map((r) => [r.alert, r]));
  writeFileSync(join(work, `${name}.rules.yaml`), stringify({ groups: alertRuleGroups(v, backupSetNames(v)) }));
  const tests = cases.map((c) => {
    const r = byName.get(c.alert);
    if (!r) throw new Error(`${name}: no alert ${c.alert}`);
    return {
      name: `${c.alert}: ${c.why}`,
      interval: '1m',
      input_series: c.series.map((x) => ({
        series: `${x.metric}{${Object.entries(x.labels)
          .map(([k, val]) => `${k}="${val}"`)
          .join(',')}}`,
        values: x.values,
      })),
      alert_rule_test: [
        { eval_time: c.at, alertname: c.alert, exp_alerts: c.fires ? [{ exp_labels: { ...c.fires, ...r.labels }, exp_annotations: r.annotations }] : [] },
      ],
    };
  });
  writeFileSync(join(work, `${name}.tests.yaml`), stringify({ rule_files: [`${name}.rules.yaml`], evaluation_interval: '1m', tests }));
  const p = spawnSync('promtool', ['test', 'rules', `${name}.tests.yaml`], { cwd: work, encoding: 'utf8' });
  return { code: p.status, out: `${p.stdout}${p.stderr}` };
}

describe.each([
  ['with a Pushgateway', withPushgateway, true],
  ['without a Pushgateway', withoutPushgateway, false],
] as const)('alerts %s', (label, v, pushgateway) => {
  const cases = [...(pushgateway ? pushCases(v) : []), ...clusterCases(v, pushgateway)];

  it('every alert has a firing and a not-firing case', () => {
    for (const r of rulesOf(v)) {
      const mine = cases.filter((c) => c.alert === r.alert);
      expect(
        mine.some((c) => c.fires),
        `${r.alert} fires somewhere`,
      ).toBe(true);
      expect(
        mine.some((c) => !c.fires),
        `${r.alert} stays silent somewhere`,
      ).toBe(true);
    }
  });

  it('promtool test rules passes every case', () => {
    const r = promtoolTest(label.replace(/\s+/g, '-'), v, cases);
    expect(r.out).toMatch(/SUCCESS/);
    expect(r.code, r.out).toBe(0);
  });

  it('no absent() waits on a long for: (a restart would reset it)', () => {
    for (const r of rulesOf(v)) expect(r.expr, r.alert).not.toMatch(/absent\(/);
  });
});
