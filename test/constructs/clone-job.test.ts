import { describe, expect, it } from 'vitest';
import { cloneRequestId } from '../../src/contract/requests.js';
import { makeValues, objectsOf, synth, type Obj } from './_fixtures.js';

const source = { local: { path: '/prod-repo' }, password: { secretName: 'prod-restic' } };
const clone = { from: { namespace: 'prod', name: 'shop', repository: source }, mask: [{ component: 'db', sql: 'UPDATE users SET email = NULL' }] };
const cloneJobs = (overrides: Obj) =>
  objectsOf(synth(makeValues(overrides)), 'Job').filter((j) => j.metadata.labels['app.kubernetes.io/component'] === 'clone');

describe('CloneJob', () => {
  it('exists only while a clone is requested, named after the request, running `safehold clone` as the restore operation', () => {
    expect(cloneJobs({})).toHaveLength(0);
    const [job] = cloneJobs({ clone });
    const id = cloneRequestId(makeValues({ clone }))!;
    expect(job.metadata.name).toBe(`shop-${id}`);
    expect(job.metadata.annotations['safehold.dev/request']).toBe(id);
    expect(job.spec.backoffLimit).toBe(0);
    expect(job.spec.activeDeadlineSeconds).toBe(7200);
    const pod = job.spec.template.spec;
    expect(pod.serviceAccountName).toBe('shop-safehold-restore');
    expect(pod.containers[0].args).toEqual(['clone', '--config', '/etc/safehold/config.json', '--request', id]);
    // The source repository's password is mounted; no secret is in the arguments or the environment.
    const secrets = pod.volumes.filter((v: Obj) => v.secret).map((v: Obj) => v.secret.secretName);
    expect(secrets).toContain('prod-restic');
    expect(pod.containers[0].env.map((e: Obj) => e.name)).toEqual(['HOME', 'SAFEHOLD_SECRETS_DIR', 'SAFEHOLD_GRACE_SECONDS', 'SAFEHOLD_WORKLOAD']);
  });

  it('is emitted the same way twice (deterministic)', () => {
    expect(JSON.stringify(synth(makeValues({ clone })))).toBe(JSON.stringify(synth(makeValues({ clone }))));
  });
});
