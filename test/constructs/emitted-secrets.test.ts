import { describe, expect, it } from 'vitest';
import { manifestProblems } from '../../src/constructs/backup-set-chart.js';
import { ValuesError } from '../../src/errors.js';
import { makeValues, objectsOf, one, synth } from './_fixtures.js';

const SEALED = 'AgBy3i4OJSWK+PiTySYZZA9rO43cGDEq0aBcDeFgHiJkLmNoPqRsTuVwXyZ=';

describe('EmittedSecrets', () => {
  const objects = synth(
    makeValues({
      secrets: [
        {
          name: 'backup-s3',
          externalSecret: {
            secretStore: { name: 'vault' },
            data: [
              { secretKey: 'AWS_ACCESS_KEY_ID', remoteKey: 'team/s3', property: 'id' },
              { secretKey: 'AWS_SECRET_ACCESS_KEY', remoteKey: 'team/s3-secret' },
            ],
          },
        },
        { name: 'shop-restic', sealedSecret: { encryptedData: { password: SEALED } } },
      ],
    }),
  );

  it('writes an ExternalSecret that creates the referenced Secret', () => {
    const es = one(objects, 'ExternalSecret');
    expect(es.apiVersion).toBe('external-secrets.io/v1');
    expect(es.metadata).toMatchObject({ name: 'backup-s3', namespace: 'team' });
    expect(es.spec).toEqual({
      refreshInterval: '1h',
      secretStoreRef: { name: 'vault', kind: 'SecretStore' },
      target: { name: 'backup-s3', creationPolicy: 'Owner' },
      data: [
        { secretKey: 'AWS_ACCESS_KEY_ID', remoteRef: { key: 'team/s3', property: 'id' } },
        { secretKey: 'AWS_SECRET_ACCESS_KEY', remoteRef: { key: 'team/s3-secret' } },
      ],
    });
  });

  it('writes a SealedSecret carrying only ciphertext', () => {
    const ss = one(objects, 'SealedSecret');
    expect(ss.apiVersion).toBe('bitnami.com/v1alpha1');
    expect(ss.spec.encryptedData).toEqual({ password: SEALED });
    expect(ss.spec.template.metadata).toMatchObject({ name: 'shop-restic', namespace: 'team' });
  });

  it('never writes a plain Secret', () => {
    expect(objectsOf(objects, 'Secret')).toEqual([]);
  });

  it('refuses an entry with neither or both sources, and duplicate names', () => {
    const v = makeValues({ secrets: [{ name: 'a' }, { name: 'a', sealedSecret: { encryptedData: { k: SEALED } } }] });
    expect(manifestProblems(v).map((p) => p.path.join('.'))).toEqual(['secrets.0', 'secrets.1.name']);
    expect(() => synth(v)).toThrow(/exactly one of externalSecret or sealedSecret/);
  });

  it('refuses something that is not kubeseal output', () => {
    expect(() => makeValues({ secrets: [{ name: 'a', sealedSecret: { encryptedData: { password: 'hunter2' } } }] })).toThrow(ValuesError);
  });
});
