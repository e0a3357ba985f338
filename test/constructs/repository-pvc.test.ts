import { describe, expect, it } from 'vitest';
import { makeValues, objectsOf, one, synth } from './_fixtures.js';

const pvcRepo = (pvc: Record<string, unknown>) => ({ pvc, password: { secretName: 'shop-restic' } });

describe('RepositoryPvc', () => {
  it('creates the claim only when a size is given', () => {
    expect(objectsOf(synth(makeValues({ repository: pvcRepo({ claimName: 'existing' }) })), 'PersistentVolumeClaim')).toEqual([]);
    const pvc = one(synth(makeValues({ repository: pvcRepo({ claimName: 'shop-repo', size: '10Gi', storageClass: 'fast' }) })), 'PersistentVolumeClaim');
    expect(pvc.metadata).toMatchObject({ name: 'shop-repo', namespace: 'team' });
    expect(pvc.spec).toEqual({ accessModes: ['ReadWriteOnce'], storageClassName: 'fast', resources: { requests: { storage: '10Gi' } } });
  });

  it('is never pruned or deleted by a controller or helm uninstall: it holds every backup', () => {
    const pvc = one(synth(makeValues({ repository: pvcRepo({ claimName: 'shop-repo', size: '10Gi' }) })), 'PersistentVolumeClaim');
    expect(pvc.metadata.annotations).toEqual({
      'argocd.argoproj.io/compare-options': 'IgnoreExtraneous',
      'argocd.argoproj.io/sync-options': 'Prune=false,Delete=false',
      'helm.sh/resource-policy': 'keep',
      'kustomize.toolkit.fluxcd.io/prune': 'disabled',
    });
  });
});
