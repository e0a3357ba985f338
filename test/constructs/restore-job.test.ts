import { Yaml } from 'cdk8s';
import { describe, expect, it } from 'vitest';
import { restoreRequestId } from '../../src/contract/requests.js';
import { MAX_JOB_NAME } from '../../src/constructs/names.js';
import { ValuesError } from '../../src/errors.js';
import { makeValues, objectsOf, one, synth, type Obj } from './_fixtures.js';

const restoreJobs = (overrides: Obj) =>
  objectsOf(synth(makeValues(overrides)), 'Job').filter((j) => j.metadata.labels['app.kubernetes.io/component'] === 'restore');

describe('RestoreJob', () => {
  const values = makeValues({ restore: { snapshot: 'latest', timeout: '3h' } });
  const job = one(synth(values), 'Job');

  it('matches the golden manifest', async () => {
    await expect(Yaml.stringify(job)).toMatchFileSnapshot('./__snapshots__/restore-job.k8s.yaml');
  });

  it('exists only while a restore is requested', () => {
    expect(restoreJobs({})).toHaveLength(0);
    expect(restoreJobs({ restore: {} })).toHaveLength(1);
  });

  it('is named after the request: same request, same name; any change, a new name', () => {
    const name = (restore: Obj, extra: Obj = {}) => restoreJobs({ restore, ...extra })[0].metadata.name;
    const base = name({ snapshot: 'latest' });
    expect(base).toBe(`shop-${restoreRequestId(makeValues({ restore: { snapshot: 'latest' } }))}`);
    expect(base).toMatch(/^shop-restore-[0-9a-f]{10}$/);
    // Unchanged request (defaults spelled out, other values changed): same Job.
    expect(name({ snapshot: 'latest', dropExisting: false, timeout: '2h' })).toBe(base);
    expect(name({ snapshot: 'latest' }, { schedule: '0 4 * * *', timeout: '3h' })).toBe(base);
    // Tuning is not the request: a changed restore timeout or rollout selector keeps the Job.
    expect(name({ snapshot: 'latest', timeout: '30m', rolloutRestart: { selector: 'app=shop' } })).toBe(base);
    // A changed request: a new Job.
    const changed = [
      name({ snapshot: 'a1b2c3d4e5' }),
      name({ snapshot: 'latest', requestId: 'again-1' }),
      name({ snapshot: 'latest', components: ['db'] }),
      name({ snapshot: 'latest', dropExisting: true, confirm: 'shop' }),
    ];
    expect(new Set([base, ...changed]).size).toBe(changed.length + 1);
    // Another application with the same request: another Job.
    expect(name({ snapshot: 'latest' }, { namespace: 'other' })).not.toBe(base);
  });

  it('keeps the request hash when a long prefix has to be trimmed', () => {
    const long = 'a'.repeat(44);
    const [j] = restoreJobs({ name: long, restore: {} });
    expect(j.metadata.name.length).toBeLessThanOrEqual(MAX_JOB_NAME);
    expect(j.metadata.name).toMatch(/-restore-[0-9a-f]{10}$/);
  });

  it('is created once and never re-run by Flux, Argo CD or Helm', () => {
    const a = job.metadata.annotations;
    expect(a).toMatchObject({
      'kustomize.toolkit.fluxcd.io/ssa': 'IfNotPresent',
      'kustomize.toolkit.fluxcd.io/prune': 'disabled',
      'argocd.argoproj.io/sync-options': 'Prune=false',
      'argocd.argoproj.io/compare-options': 'IgnoreExtraneous',
      'helm.sh/resource-policy': 'keep',
      'safehold.dev/request': restoreRequestId(values),
    });
    expect(a['kustomize.toolkit.fluxcd.io/force']).toBeUndefined();
    // No sync wave: a later wave would wait on the backup CronJob's health (Degraded after a failed run in Argo CD 3.2+).
    expect(a['argocd.argoproj.io/sync-wave']).toBeUndefined();
    expect(Object.keys(a).filter((k) => k.startsWith('argocd.argoproj.io/hook') || k.startsWith('helm.sh/hook'))).toEqual([]);
    expect(a['argocd.argoproj.io/sync-options']).not.toMatch(/Replace=true|Force=true/);
    expect(job.spec.ttlSecondsAfterFinished).toBeUndefined();
  });

  it('runs `restore --config` once, within the restore timeout', () => {
    expect(job.spec.backoffLimit).toBe(0);
    expect(job.spec.activeDeadlineSeconds).toBe(3 * 3600);
    expect(job.spec.template.spec.containers[0].args).toEqual([
      'restore',
      '--config',
      '/etc/safehold/config.json',
      '--request',
      expect.stringMatching(/^restore-[0-9a-f]{10}$/),
    ]);
    expect(job.spec.template.metadata.labels['app.kubernetes.io/component']).toBe('restore');
  });

  it('is never synthesized from an unconfirmed destructive request', () => {
    expect(() => makeValues({ restore: { dropExisting: true } })).toThrow(ValuesError);
    expect(() => makeValues({ restore: { dropExisting: true, confirm: 'wrong' } })).toThrow(/confirm/);
  });
});
