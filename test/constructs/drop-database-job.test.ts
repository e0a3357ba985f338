import { Yaml } from 'cdk8s';
import { describe, expect, it } from 'vitest';
import { dropRequestId } from '../../src/contract/requests.js';
import { ValuesError } from '../../src/errors.js';
import { makeValues, objectsOf, one, synth } from './_fixtures.js';

describe('DropDatabaseJob', () => {
  const values = makeValues({ dropDatabase: { component: 'db', confirm: 'shop' }, restore: {} });
  const objects = synth(values);
  const drop = one(objects, 'Job', `shop-${dropRequestId(values)}`);

  it('matches the golden manifest', async () => {
    await expect(Yaml.stringify(drop)).toMatchFileSnapshot('./__snapshots__/drop-database-job.k8s.yaml');
  });

  it('exists only when requested and confirmed with the database name', () => {
    expect(objectsOf(synth(makeValues()), 'Job')).toHaveLength(0);
    expect(() => makeValues({ dropDatabase: { component: 'db', confirm: 'shop2' } })).toThrow(ValuesError);
    expect(() => makeValues({ dropDatabase: { component: 'db' } })).toThrow(ValuesError);
    // The drop is the first step of a restore request: never alone.
    expect(() => makeValues({ dropDatabase: { component: 'db', confirm: 'shop' } })).toThrow(/needs a restore: section/);
    expect(() => makeValues({ dropDatabase: { component: 'db', confirm: 'shop' }, restore: { components: [] } })).toThrow(
      /must be restored by the same request/,
    );
  });

  it('is named after its request and runs `drop-database --config` once', () => {
    expect(drop.metadata.name).toMatch(/^shop-drop-[0-9a-f]{10}$/);
    expect(drop.spec.backoffLimit).toBe(0);
    expect(drop.spec.ttlSecondsAfterFinished).toBeUndefined();
    expect(drop.spec.template.spec.containers[0].args).toEqual([
      'drop-database',
      '--config',
      '/etc/safehold/config.json',
      '--request',
      expect.stringMatching(/^drop-[0-9a-f]{10}$/),
    ]);
    const again = makeValues({ dropDatabase: { component: 'db', confirm: 'shop', requestId: 'second' }, restore: {} });
    expect(dropRequestId(again)).not.toBe(dropRequestId(values));
    expect(drop.metadata.name.slice(-10)).toBe(
      objectsOf(objects, 'Job')
        .find((j) => j !== drop)!
        .metadata.name.slice(-10),
    );
  });

  it('syncs with the restore Job (the runner orders them) and is created once', () => {
    const restore = objectsOf(objects, 'Job').find((j) => j.metadata.labels['app.kubernetes.io/component'] === 'restore')!;
    expect(drop.metadata.annotations['argocd.argoproj.io/sync-wave']).toBeUndefined();
    expect(restore.metadata.annotations['argocd.argoproj.io/sync-wave']).toBeUndefined();
    expect(objects.indexOf(drop)).toBeLessThan(objects.indexOf(restore));
    expect(drop.metadata.annotations).toMatchObject({ 'kustomize.toolkit.fluxcd.io/ssa': 'IfNotPresent', 'argocd.argoproj.io/sync-options': 'Prune=false' });
  });

  it('never mounts the application volumes', () => {
    const v = makeValues({
      components: [
        { name: 'db', type: 'postgres', host: 'pg', database: 'shop', credentials: { secretName: 'shop-db' } },
        { name: 'files', type: 'files', paths: ['/data'], volumes: [{ claimName: 'data', mountPath: '/data' }] },
      ],
      dropDatabase: { component: 'db', confirm: 'shop' },
      restore: { components: ['db'] },
    });
    const job = synth(v).find((o) => o.kind === 'Job' && o.metadata.labels['app.kubernetes.io/component'] === 'drop-database')!;
    expect(job.spec.template.spec.volumes.some((x: { persistentVolumeClaim?: unknown }) => x.persistentVolumeClaim)).toBe(false);
  });
});
