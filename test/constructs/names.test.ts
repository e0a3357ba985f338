import { describe, expect, it } from 'vitest';
import { backupSetNames, dnsLabelFrom, MAX_CRON_JOB_NAME, nameProblems } from '../../src/constructs/names.js';
import { makeValues } from './_fixtures.js';

describe('names', () => {
  it('prefixes every object with name and instance', () => {
    const n = backupSetNames(makeValues({ instance: 'eu1', restore: {} }));
    expect(n).toMatchObject({
      prefix: 'shop-eu1',
      runner: 'shop-eu1-safehold',
      config: 'shop-eu1-safehold-config',
      ledger: 'shop-eu1-safehold-ledger',
      backupCronJob: 'shop-eu1-backup',
      drillCronJob: 'shop-eu1-drill',
    });
    expect(n.restoreJob).toMatch(/^shop-eu1-restore-[0-9a-f]{10}$/);
    expect(n.dropJob).toBeUndefined();
  });

  it('reports a CronJob name Kubernetes would refuse, naming the field to shorten', () => {
    const v = makeValues({ name: 'a'.repeat(40), instance: 'b'.repeat(10) });
    const [problem] = nameProblems(v);
    expect(problem.path).toEqual(['instance']);
    expect(problem.message).toContain(`allows ${MAX_CRON_JOB_NAME}`);
    expect(nameProblems(makeValues({ name: 'a'.repeat(45) }))).toEqual([]);
  });

  it('derives DNS labels from free names, hashing what does not fit', () => {
    expect(dnsLabelFrom('secret-', 'db.creds')).toBe('secret-db-creds');
    const long = dnsLabelFrom('secret-', `${'x'.repeat(80)}.y`);
    expect(long.length).toBeLessThanOrEqual(63);
    expect(long).toMatch(/^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/);
    expect(dnsLabelFrom('secret-', `${'x'.repeat(80)}.z`)).not.toBe(long);
  });
});
