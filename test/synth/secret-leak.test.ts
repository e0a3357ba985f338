// No credential, and no Secret with data, anywhere in what safehold writes for GitOps.
import { randomBytes } from 'node:crypto';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { stringify } from 'yaml';
import { renderManifest, synthesizeObjects } from '../../src/app.js';
import { referencedSecrets } from '../../src/contract/layout.js';
import { withEnv } from '../support/with-env.js';
import { makeValues } from '../constructs/_fixtures.js';
import { CHARTS, DIST, ROOT, distObjects, helmRender, parseManifest, tree } from './_dist.js';

/** Shapes of credentials that must never appear in a manifest. */
const CREDENTIAL_PATTERNS: Array<[string, RegExp]> = [
  ['AWS access key id', /\b(AKIA|ASIA)[A-Z0-9]{16}\b/],
  ['private key', /-----BEGIN [A-Z ]*PRIVATE KEY-----/],
  ['URL with a password', /[a-z][a-z0-9+.-]*:\/\/[^/\s:@"]+:[^/\s@"]+@/i],
  ['bearer token', /\bBearer\s+[A-Za-z0-9._-]{16,}/],
  // A credential-named key with a scalar value; kubeseal ciphertext ("Ag…") is the one exception.
  ['inline credential', /^\s*"?(password|passwd|token|secretAccessKey|accessKeyId|apiKey)"?\s*:\s*"?(?!Ag[A-Za-z0-9+/=]{40,}"?,?$)[^\s{"][^{]*$/im],
];

function leaks(text: string, where: string): string[] {
  const found: string[] = [];
  for (const [what, re] of CREDENTIAL_PATTERNS) if (re.test(text)) found.push(`${where}: ${what}`);
  for (const obj of parseManifest(text, where)) {
    if (obj.kind === 'Secret') found.push(`${where}: a Secret (${obj.metadata?.name})`);
    if ('stringData' in obj || (obj.kind !== 'ConfigMap' && 'data' in obj && obj.kind !== undefined && !['ExternalSecret'].includes(obj.kind))) {
      found.push(`${where}: ${obj.kind} ${obj.metadata?.name} carries data`);
    }
  }
  return found;
}

const outputs = () => [
  ...tree(DIST).map((f) => ({ where: `dist/${f}`, text: readFileSync(join(DIST, f), 'utf8') })),
  ...tree(CHARTS)
    .filter((f) => f.endsWith('.yaml') && f.includes('/templates/'))
    .map((f) => ({ where: `charts/${f}`, text: helmRender(readFileSync(join(CHARTS, f), 'utf8')) })),
];

describe('no secret leaves the cluster', () => {
  it('dist/ and charts/ hold no credential and no Secret data', () => {
    const found = outputs().flatMap(({ where, text }) => leaks(text, where));
    expect(found).toEqual([]);
  });

  it('only ExternalSecret and SealedSecret stand in for Secrets, and a SealedSecret holds ciphertext only', () => {
    for (const { where, text } of outputs()) {
      for (const obj of parseManifest(text, where)) {
        if (obj.kind !== 'SealedSecret') continue;
        for (const v of Object.values(obj.spec.encryptedData)) expect(v, where).toMatch(/^Ag[A-Za-z0-9+/=]{40,}$/);
      }
    }
  });

  it('secret values planted in the mounted Secrets and the environment never reach a manifest (planted canaries)', () => {
    // The values only name Secrets. Plant a distinct canary value under every key they reference (in a secrets
    // directory, where the runner would read them) and in the environment variables a careless construct could
    // copy (restic, AWS, PostgreSQL), then synthesize: not one canary may appear.
    const v = makeValues({
      hooks: { preBackup: [{ name: 'x', type: 'command', command: ['true'], env: { API_TOKEN: { secretName: 'canary-secret', key: 'canary-key' } } }] },
    });
    const dir = mkdtempSync(join(tmpdir(), 'canaries-'));
    const canaries: string[] = [];
    // Every operation's Secrets (each pod mounts only its own).
    const referenced = new Map<string, string[]>();
    for (const op of ['backup', 'restore', 'drop-database', 'drill', 'maintenance', 'verify'] as const) {
      for (const [name, keys] of referencedSecrets(v, op)) referenced.set(name, [...new Set([...(referenced.get(name) ?? []), ...keys])]);
    }
    for (const [name, keys] of referenced) {
      for (const key of keys) {
        const value = `canary-${randomBytes(6).toString('hex')}`;
        mkdirSync(join(dir, name), { recursive: true });
        writeFileSync(join(dir, name, key), value);
        canaries.push(value);
      }
    }
    const envCanaries = Object.fromEntries(
      ['RESTIC_PASSWORD', 'AWS_SECRET_ACCESS_KEY', 'AWS_ACCESS_KEY_ID', 'PGPASSWORD', 'MYSQL_PWD', 'REDISCLI_AUTH', 'API_TOKEN'].map((k) => [
        k,
        `canary-${randomBytes(6).toString('hex')}`,
      ]),
    );
    canaries.push(...Object.values(envCanaries));
    const undo = withEnv({ ...envCanaries, SAFEHOLD_SECRETS_DIR: dir });
    let text: string;
    try {
      text = renderManifest(synthesizeObjects(v), 'fixture');
    } finally {
      undo();
      rmSync(dir, { recursive: true, force: true });
    }
    expect(referenced.get('canary-secret')).toEqual(['canary-key']);
    expect(canaries.filter((c) => text.includes(c))).toEqual([]);
    expect(leaks(text, 'fixture')).toEqual([]);
    // The reference is there (the hook was rendered), its value is not.
    expect(text).toContain('canary-secret');
    expect(text).not.toMatch(/API_TOKEN.*value/);
  });

  it('no ConfigMap of dist/ carries an emitted-secret definition (ciphertext, ExternalSecret mappings): the runner never reads them', () => {
    const objects = distObjects();
    const emitted = objects.filter(({ obj }) => obj.kind === 'SealedSecret' || obj.kind === 'ExternalSecret');
    // The examples emit both kinds, so this test has something to find.
    expect(new Set(emitted.map(({ obj }) => obj.kind))).toEqual(new Set(['SealedSecret', 'ExternalSecret']));
    const telltales = emitted.flatMap(({ file, obj }) => [
      ...Object.values((obj.spec.encryptedData ?? {}) as Record<string, string>).map((c) => ({ file, text: c })),
      ...((obj.spec.data ?? []) as Array<{ remoteRef: { key: string } }>).map((d) => ({ file, text: d.remoteRef.key })),
    ]);
    expect(telltales.length).toBeGreaterThan(0);
    for (const { file, obj } of objects.filter(({ obj }) => obj.kind === 'ConfigMap')) {
      const text = JSON.stringify(obj.data);
      for (const t of telltales.filter((x) => x.file === file)) expect(text, `${file} ConfigMap ${obj.metadata.name}`).not.toContain(t.text);
      for (const config of Object.values(obj.data as Record<string, string>))
        expect(JSON.parse(config), `${file} ConfigMap ${obj.metadata.name}`).not.toHaveProperty('secrets');
    }
  });

  it('the leak check finds what it looks for', () => {
    const bad = stringify({ apiVersion: 'v1', kind: 'Secret', metadata: { name: 'x' }, stringData: { password: 'hunter2hunter2' } });
    expect(leaks(bad, 'bad').length).toBeGreaterThanOrEqual(2);
    expect(leaks('url: postgres://app:hunter2@db/app\n', 'url')).toEqual(['url: URL with a password']);
    expect(readFileSync(join(ROOT, 'values.schema.json'), 'utf8')).not.toMatch(CREDENTIAL_PATTERNS[0][1]);
  });
});
