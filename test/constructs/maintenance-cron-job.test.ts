// Protected repositories in manifests: delete-capable keys only in the maintenance pod, which runs apart with no token;
// and the validate checks: Object Lock long enough, S3 only, separate keys, warnings.
import { describe, expect, it } from 'vitest';
import { GRACE_ENV, graceSeconds, WORKLOAD_ENV } from '../../src/contract/deadline.js';
import { ValuesError } from '../../src/errors.js';
import { requiredLockDays, securityWarnings } from '../../src/values/security-rules.js';
import { BASE, makeValues, objectsOf, podTemplates, synth, type Obj } from './_fixtures.js';

const protection = (extra: Obj = {}) => ({ maintenance: { schedule: '0 4 * * 0', credentials: { secretName: 'maintenance-s3' }, ...extra } });
const withProtection = (p: Obj, overrides: Obj = {}) => ({ repository: { ...BASE.repository, protection: p }, ...overrides });

function problemsOf(overrides: Obj): string[] {
  try {
    makeValues(overrides);
    return [];
  } catch (e) {
    if (!(e instanceof ValuesError)) throw e;
    return e.problems.map((p) => `${p.path}: ${p.message}`);
  }
}

const secrets = (t: Obj): string[] =>
  t.spec.volumes
    .filter((x: Obj) => x.secret)
    .map((x: Obj) => x.secret.secretName)
    .sort();

describe('MaintenanceCronJob (protected repository)', () => {
  const v = makeValues(withProtection(protection({ namespace: 'backup-admin' }), { drill: { schedule: '0 5 * * 0' }, restore: {} }));
  const objects = synth(v);
  const pods = podTemplates(objects).map((p) => ({ ...p, op: p.template.metadata.labels['app.kubernetes.io/component'] as string }));

  it('only the maintenance pod mounts the delete-capable keys; backup, drill and restore pods get the append-only ones', () => {
    expect(pods.map((p) => p.op).sort()).toEqual(['backup', 'drill', 'maintenance', 'restore', 'verify']);
    for (const p of pods) {
      if (p.op === 'maintenance') expect(secrets(p.template)).toEqual(['maintenance-s3', 'shop-restic']);
      else {
        expect(secrets(p.template), p.op).not.toContain('maintenance-s3');
        expect(secrets(p.template), p.op).toContain('backup-s3');
      }
    }
  });

  it('runs in its own namespace with its own account, config copy and no token', () => {
    const cron = objectsOf(objects, 'CronJob').find((c) => c.metadata.name === 'shop-maintenance')!;
    expect(cron.metadata.namespace).toBe('backup-admin');
    expect(cron.spec.concurrencyPolicy).toBe('Forbid');
    const t = cron.spec.jobTemplate.spec.template;
    expect(t.spec.containers[0].args).toEqual(['maintenance', '--config', '/etc/safehold/config.json']);
    expect(t.spec.serviceAccountName).toBe('shop-safehold-maintenance');
    expect(t.spec.automountServiceAccountToken).toBe(false);
    const sa = objectsOf(objects, 'ServiceAccount').find((s) => s.metadata.name === 'shop-safehold-maintenance')!;
    expect(sa.metadata.namespace).toBe('backup-admin');
    expect(
      objectsOf(objects, 'ConfigMap')
        .map((c) => c.metadata.namespace)
        .sort(),
    ).toEqual(['backup-admin', 'team']);
    expect(objectsOf(objects, 'Role').some((r) => r.metadata.name === 'shop-safehold-maintenance')).toBe(false);
  });

  it("takes its grace period from its own timeout and names its workload, so a killed run's prune lock is cleared by the next", () => {
    // The set's timeout (1h) would give 60 s of grace; the maintenance run's own 3 minutes give 36 s.
    const short = synth(makeValues(withProtection(protection({ timeout: '3m' }))));
    const cron = objectsOf(short, 'CronJob').find((c) => c.metadata.name === 'shop-maintenance')!;
    const t = cron.spec.jobTemplate.spec.template;
    expect(cron.spec.jobTemplate.spec.activeDeadlineSeconds).toBe(180);
    expect(t.spec.terminationGracePeriodSeconds).toBe(graceSeconds(180));
    const env = Object.fromEntries(t.spec.containers[0].env.map((e: Obj) => [e.name, e.value]));
    expect(env[GRACE_ENV]).toBe(String(graceSeconds(180)));
    expect(env[WORKLOAD_ENV]).toBe('shop-maintenance');
  });

  it('is absent unless repository.protection is set', () => {
    const plain = synth(makeValues());
    expect(objectsOf(plain, 'CronJob').map((c) => c.metadata.name)).toEqual(['shop-backup', 'shop-verify']);
  });

  it('validate: the declared Object Lock period must cover the retention horizon plus the maintenance interval', () => {
    // keepLast 7 daily backups = 7 days, plus a weekly maintenance = 7 days: 14 days.
    expect(requiredLockDays(makeValues(withProtection(protection())))).toBe(14);
    expect(problemsOf(withProtection({ ...protection(), objectLock: { days: 14 } }))).toEqual([]);
    expect(problemsOf(withProtection({ ...protection(), objectLock: { days: 13 } }))).toEqual([
      'repository.protection.objectLock.days: must cover the retention horizon plus the maintenance interval: at least 14 days, got 13',
    ]);
    expect(problemsOf(withProtection({ ...protection(), objectLock: { days: 30 } }, { retention: { keepDaily: 7, keepWeekly: 4 } }))).toEqual([
      'repository.protection.objectLock.days: must cover the retention horizon plus the maintenance interval: at least 35 days, got 30',
    ]);
  });

  it('validate: S3 only, separate keys, and a warning without Object Lock', () => {
    expect(problemsOf({ repository: { local: { path: '/r' }, password: { secretName: 'k' }, protection: protection() } })).toEqual([
      'repository.protection: needs repository.s3: a filesystem repository cannot refuse deletes to the pod that writes it',
    ]);
    expect(problemsOf(withProtection(protection({ credentials: { secretName: 'backup-s3' } })))[0]).toMatch(
      /^repository\.protection\.maintenance\.credentials\.secretName: must name another Secret/,
    );
    expect(securityWarnings(makeValues(withProtection(protection()))).map((w) => w.path.join('.'))).toEqual(['repository.protection']);
    expect(securityWarnings(makeValues(withProtection({ ...protection(), objectLock: { days: 14 } })))).toEqual([]);
  });

  it('validate: Secrets by label are refused unless allowListSecrets, which warns', () => {
    const k8s = (extra: Obj) => ({
      components: [{ name: 'objs', type: 'kubernetes', resources: [{ apiVersion: 'v1', kind: 'Secret', labelSelector: 'app=shop', ...extra }] }],
    });
    expect(problemsOf(k8s({}))).toEqual([expect.stringMatching(/^components\[0\]\.resources\[0\]: Secrets selected by label .* allowListSecrets: true$/)]);
    expect(problemsOf(k8s({ allowListSecrets: true }))).toEqual([]);
    expect(securityWarnings(makeValues(k8s({ allowListSecrets: true }))).map((w) => w.message)).toEqual([
      'the pods of this set may read every Secret in namespace team',
    ]);
  });
});
