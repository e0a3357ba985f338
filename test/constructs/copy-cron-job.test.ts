import { Yaml } from 'cdk8s';
import { describe, expect, it } from 'vitest';
import { makeValues, objectsOf, one, synth, type Obj } from './_fixtures.js';

const offsite = {
  name: 'offsite',
  repository: {
    s3: { endpoint: 'https://s3.other.example:9000', bucket: 'offsite', credentials: { secretName: 'backup-s3' } },
    password: { secretName: 'offsite-restic' },
  },
  schedule: '0 6 * * *',
  timeout: '3h',
};
const nas = {
  name: 'nas',
  repository: { local: { path: '/mnt/nas/restic' }, password: { secretName: 'nas-restic' } },
  schedule: '30 6 * * *',
  timeZone: 'Europe/Berlin',
};
const secretsOf = (pod: Obj) =>
  pod.volumes
    .filter((v: Obj) => v.secret)
    .map((v: Obj) => v.secret.secretName)
    .sort();

describe('CopyCronJob', () => {
  const values = makeValues({ copies: [offsite, nas], networkPolicy: true });
  const objects = synth(values);
  const job = one(objects, 'CronJob', 'shop-copy-offsite');
  const pod = job.spec.jobTemplate.spec.template.spec;

  it('matches the golden manifest', async () => {
    await expect(Yaml.stringify(job)).toMatchFileSnapshot('./__snapshots__/copy-cron-job.k8s.yaml');
  });

  it('one CronJob per copy, each running copy --to NAME on its own schedule and deadline', () => {
    expect(
      objectsOf(objects, 'CronJob')
        .map((c) => c.metadata.name)
        .filter((n: string) => n.includes('-copy-')),
    ).toEqual(['shop-copy-offsite', 'shop-copy-nas']);
    expect(pod.containers[0].args).toEqual(['copy', '--config', '/etc/safehold/config.json', '--to', 'offsite']);
    expect(job.spec).toMatchObject({ schedule: '0 6 * * *', timeZone: 'UTC', concurrencyPolicy: 'Forbid' });
    expect(job.spec.jobTemplate.spec.activeDeadlineSeconds).toBe(3 * 3600);
    expect(pod.containers[0].env).toContainEqual({ name: 'SAFEHOLD_WORKLOAD', value: 'shop-copy-offsite' });
    expect(one(objects, 'CronJob', 'shop-copy-nas').spec).toMatchObject({ schedule: '30 6 * * *', timeZone: 'Europe/Berlin' });
  });

  it("its own ServiceAccount with no token and no Role; only the repositories' Secrets, never a database login", () => {
    expect(pod.serviceAccountName).toBe('shop-safehold-copy');
    expect(pod.automountServiceAccountToken).toBe(false);
    expect(one(objects, 'ServiceAccount', 'shop-safehold-copy')).toBeDefined();
    expect(objectsOf(objects, 'Role').map((r) => r.metadata.name)).not.toContain('shop-safehold-copy');
    expect(secretsOf(pod)).toEqual(['backup-s3', 'nas-restic', 'offsite-restic', 'shop-restic']);
    // The backup pods never see a copy's password.
    expect(secretsOf(one(objects, 'CronJob', 'shop-backup').spec.jobTemplate.spec.template.spec)).not.toContain('offsite-restic');
  });

  it("a restore from a copy mounts that copy's password, and the NetworkPolicy lets pods reach the copy's S3 port", () => {
    const restoring = synth(makeValues({ copies: [offsite, nas], restore: { from: 'offsite' } }));
    const restorePod = objectsOf(restoring, 'Job')[0].spec.template.spec;
    expect(secretsOf(restorePod)).toContain('offsite-restic');
    expect(secretsOf(restorePod)).not.toContain('nas-restic');
    const egress = JSON.stringify(one(objects, 'NetworkPolicy').spec.egress);
    expect(egress).toContain('9000');
  });
});
