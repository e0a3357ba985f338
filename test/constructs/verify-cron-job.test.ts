import { Yaml } from 'cdk8s';
import { describe, expect, it } from 'vitest';
import { synthesizeObjects } from '../../src/app.js';
import { repositoryKey, verifyOwners } from '../../src/constructs/verify-cron-job.js';
import { makeValues, objectsOf, one, synth } from './_fixtures.js';

describe('VerifyCronJob', () => {
  const values = makeValues({ verify: { schedule: '15 2 * * *', readDataSubsets: 30, timeout: '3h' } });
  const verify = one(synth(values), 'CronJob', 'shop-verify');
  const pod = verify.spec.jobTemplate.spec.template.spec;

  it('matches the golden manifest', async () => {
    await expect(Yaml.stringify(verify)).toMatchFileSnapshot('./__snapshots__/verify-cron-job.k8s.yaml');
  });

  it('runs verify with a rotating read-data share, once, never overlapping, without API access or data volumes', () => {
    expect(verify.spec).toMatchObject({ schedule: '15 2 * * *', timeZone: 'UTC', concurrencyPolicy: 'Forbid', suspend: false });
    expect(verify.spec.jobTemplate.spec).toMatchObject({ backoffLimit: 0, activeDeadlineSeconds: 3 * 3600 });
    expect(pod.containers[0].args).toEqual(['verify', '--config', '/etc/safehold/config.json']);
    expect(pod.automountServiceAccountToken).toBe(false);
    expect(pod.containers).toHaveLength(1);
  });

  it('is on by default and off with verify.enabled: false', () => {
    expect(objectsOf(synth(makeValues()), 'CronJob').map((c) => c.metadata.name)).toContain('shop-verify');
    expect(objectsOf(synth(makeValues({ verify: { enabled: false } })), 'CronJob').map((c) => c.metadata.name)).toEqual(['shop-backup']);
  });

  it('one per repository: of the values files sharing one, the first by namespace/name/instance runs it and alerts on it', () => {
    const repo = (prefix: string) => ({
      s3: { endpoint: 'https://s3.example.com', bucket: 'backups', prefix, credentials: { secretName: 'backup-s3' } },
      password: { secretName: 'shop-restic' },
    });
    const b = makeValues({ name: 'billing', repository: repo('shared') });
    const a = makeValues({ name: 'accounts', repository: repo('shared') });
    const alone = makeValues({ name: 'catalog', repository: repo('catalog') });
    const off = makeValues({ name: 'aardvark', repository: repo('shared'), verify: { enabled: false } });
    expect(repositoryKey(a)).toBe(repositoryKey(b));
    const owners = verifyOwners([b, off, alone, a]);
    expect([...owners].map((v) => v.name).sort()).toEqual(['accounts', 'catalog']);
    const objs = synthesizeObjects(b, 'billing', { verify: owners.has(b) });
    expect(objectsOf(objs, 'CronJob').map((c) => c.metadata.name)).toEqual(['billing-backup']);
    const rules = JSON.stringify(one(objs, 'PrometheusRule').spec);
    expect(rules).not.toContain('Verify');
    expect(JSON.stringify(one(synthesizeObjects(a, 'accounts', { verify: true }), 'PrometheusRule').spec)).toContain('SafeholdVerifyCronJobNeverSucceeded');
  });
});
