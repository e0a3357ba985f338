import { describe, expect, it } from 'vitest';
import { runnerConfigJson } from '../../src/contract/config.js';
import { parseConfig } from '../../src/values/load.js';
import { makeValues, one, synth } from './_fixtures.js';

describe('RunnerConfig', () => {
  const values = makeValues({ restore: {} });
  const cm = one(synth(values), 'ConfigMap');

  it('holds the canonical runner config under config.json', () => {
    expect(cm.metadata).toMatchObject({ name: 'shop-safehold-config', namespace: 'team' });
    expect(Object.keys(cm.data)).toEqual(['config.json']);
    expect(cm.data['config.json']).toBe(runnerConfigJson(values));
  });

  it('is read back by the runner as the same values', () => {
    expect(parseConfig(cm.data['config.json'], 'config.json')).toEqual(values);
  });

  it('carries no emitted-secret definition (ciphertext, ExternalSecret mappings): the runner never reads them', () => {
    const sealed = 'AgBy3i4OJSWK+PiTySYZZA9rO43cGDEq0aBcDeFgHiJkLmNoPqRsTuVwXyZ=';
    const external = { secretStore: { name: 'vault' }, data: [{ secretKey: 'AWS_ACCESS_KEY_ID', remoteKey: 'team/s3-remote-key' }] };
    const emitting = makeValues({
      secrets: [
        { name: 'backup-s3', externalSecret: external },
        { name: 'shop-restic', sealedSecret: { encryptedData: { password: sealed } } },
      ],
    });
    const config = one(synth(emitting), 'ConfigMap').data['config.json'];
    expect(JSON.parse(config)).not.toHaveProperty('secrets');
    expect(config).not.toContain(sealed);
    expect(config).not.toContain('team/s3-remote-key');
  });

  it('references Secrets, never holds their values', () => {
    expect(cm.data['config.json']).toContain('"secretName": "shop-db"');
    expect(cm.data['config.json']).not.toMatch(/"(password|token|accessKey|secretAccessKey)"\s*:\s*"/i);
  });
});
