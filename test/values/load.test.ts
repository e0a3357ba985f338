// The loader: every problem of a file at once, each with line, column, path and what was expected.
import { describe, expect, it } from 'vitest';
import { ValuesError } from '../../src/errors.js';
import { parseValues } from '../../src/values/load.js';

const valid = `name: shop
namespace: prod
schedule: "0 2 * * *"
repository:
  local: { path: /backups }
  password: { secretName: restic-key }
components:
  - name: db
    type: postgres
    host: pg
    database: shop
    credentials: { secretName: shop-db }
`;

function problems(text: string) {
  try {
    parseValues(text, 'v.yaml');
  } catch (e) {
    if (e instanceof ValuesError) return e.problems;
    throw e;
  }
  return [];
}

describe('values loader', () => {
  it('accepts a valid file and fills defaults', () => {
    const v = parseValues(valid, 'v.yaml');
    expect(v.timeZone).toBe('UTC');
    expect(v.components[0]).toMatchObject({ port: 5432, credentials: { usernameKey: 'username', passwordKey: 'password' } });
    expect(v.retention).toEqual({ keepLast: 7, prune: true });
  });

  it('reports three distinct mistakes at once, each with line and path', () => {
    const text = valid
      .replace('schedule: "0 2 * * *"', 'schedule: "0 25 * * *"')
      .replace('host: pg', 'host: pg\n    port: 70000')
      .replace('name: db', 'name: DB');
    const p = problems(text);
    expect(p.map((x) => [x.line, x.path])).toEqual([
      [3, 'schedule'],
      [8, 'components[0].name'],
      [11, 'components[0].port'],
    ]);
    expect(p[0].message).toMatch(/hour field "25" must be within 0-23/);
    expect(p[2].message).toMatch(/1–65535, got number 70000/);
  });

  it('refuses a plaintext credential and says how to reference a Secret', () => {
    const p = problems(valid.replace('credentials: { secretName: shop-db }', 'password: hunter2'));
    expect(p).toHaveLength(2);
    expect(p.find((x) => x.path === 'components[0].password')?.message).toMatch(
      /write components\[0\]\.credentials: \{ secretName: my-secret, usernameKey: username, passwordKey: password \} instead/,
    );
    expect(p.find((x) => x.path === 'components[0].credentials')?.message).toMatch(/required/);
  });

  it('refuses a password inside a URL and a literal Authorization header', () => {
    const hook = `hooks:\n  preBackup:\n    - name: ping\n      type: http\n      url: https://user:pw@example.com/x\n      headers:\n        Authorization: "Bearer abc"\n`;
    const p = problems(valid + hook);
    expect(p.map((x) => x.path)).toEqual(['hooks.preBackup[0].url', 'hooks.preBackup[0].headers.Authorization']);
  });

  it('refuses credential-bearing header values and URL query tokens, in every form', () => {
    const hook = `hooks:\n  preBackup:\n    - name: ping\n      type: http\n      url: https://example.com/x?access_token=abc&page=2\n      headers:\n        X-Vault-Token: { value: s3cr3t }\n        PRIVATE-TOKEN: { value: glpat }\n        Content-Type: { value: application/json }\n        X-Api-Key: { secretName: api, key: key }\n`;
    const p = problems(valid + hook);
    expect(p.map((x) => x.path)).toEqual([
      'hooks.preBackup[0].url',
      'hooks.preBackup[0].headers.X-Vault-Token.value',
      'hooks.preBackup[0].headers.PRIVATE-TOKEN.value',
    ]);
  });

  it('refuses a files path that restic would store under another name (trailing slash, dot parts)', () => {
    const files = `  - name: data\n    type: files\n    paths: [/data/, /srv/./x, /ok]\n`;
    expect(problems(valid + files).map((x) => x.path)).toEqual(['components[1].paths[0]', 'components[1].paths[1]']);
  });

  it('names unknown fields and unknown component types', () => {
    const p = problems(valid.replace('type: postgres', 'type: mongo').replace('namespace: prod', 'namespace: prod\nnamepsace: x'));
    expect(p.map((x) => `${x.line}:${x.path}`)).toEqual(['3:namepsace', '10:components[0].type']);
    expect(p[1].message).toMatch(/one of postgres, mysql, redis/);
  });

  it('checks cross-field rules: dropExisting needs the database typed out', () => {
    const p = problems(`${valid}restore:\n  dropExisting: true\n  confirm: shopp\n`);
    expect(p).toHaveLength(1);
    expect(p[0]).toMatchObject({ path: 'restore.confirm', line: 15 });
    expect(p[0].message).toMatch(/confirm: "shop"/);
  });

  it('refuses a drill aimed at the production database', () => {
    const p = problems(`${valid}drill:\n  schedule: "0 5 * * 0"\n  targets:\n    db: { database: shop }\n`);
    expect(p[0].message).toMatch(/must not be the production database/);
  });

  it('reports YAML syntax errors and duplicate keys with positions', () => {
    expect(problems('name: a\nname: b\n')[0]).toMatchObject({ line: 2, message: expect.stringMatching(/YAML syntax: .*unique/i) });
    expect(problems('name: [a\n')[0].message).toMatch(/YAML syntax/);
  });

  it('refuses alias bombs without expanding them', () => {
    const bomb = [
      'a: &a ["x","x","x","x","x","x","x","x","x"]',
      ...Array.from(
        { length: 8 },
        (_, i) =>
          `${String.fromCharCode(98 + i)}: &${String.fromCharCode(98 + i)} [*${String.fromCharCode(97 + i)},*${String.fromCharCode(97 + i)},*${String.fromCharCode(97 + i)},*${String.fromCharCode(97 + i)},*${String.fromCharCode(97 + i)},*${String.fromCharCode(97 + i)},*${String.fromCharCode(97 + i)},*${String.fromCharCode(97 + i)},*${String.fromCharCode(97 + i)}]`,
      ),
    ].join('\n');
    const started = Date.now();
    expect(problems(bomb)[0].message).toMatch(/alias/i);
    expect(Date.now() - started).toBeLessThan(2000);
  });
});
