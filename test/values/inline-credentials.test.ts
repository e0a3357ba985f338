// Credentials are never written inline: every kind refused with its path, and every hint names a field the schema accepts.
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { stringify, parse } from 'yaml';
import { describe, expect, it } from 'vitest';
import { ValuesError } from '../../src/errors.js';
import { parseValues } from '../../src/values/load.js';
import { values as schema } from '../../src/values/schema.js';
import { findInlineSecrets } from '../../src/values/secrets.js';
import { secretHintFor } from '../../src/values/secret-hints.js';

const BASE = {
  name: 'shop',
  namespace: 'prod',
  schedule: '0 2 * * *',
  repository: { s3: { endpoint: 'https://s3.example.com', bucket: 'backups', credentials: { secretName: 's3' } }, password: { secretName: 'k' } },
  components: [
    { name: 'db', type: 'postgres', host: 'pg', database: 'shop', credentials: { secretName: 'db' } },
    { name: 'cache', type: 'redis', host: 'redis' },
    { name: 'maria', type: 'mysql', host: 'maria', database: 'shop', credentials: { secretName: 'maria' } },
  ],
  hooks: {
    preBackup: [
      { name: 'cmd', type: 'command', command: ['date'] },
      { name: 'web', type: 'http', url: 'https://hooks.example.com/x' },
      { name: 'ex', type: 'exec', selector: 'app=shop', command: ['true'] },
    ],
  },
  drill: { schedule: '0 5 * * 0', targets: { db: { database: 'scratch' } } },
} as const;

type Doc = Record<string, any>;
const doc = (edit: (d: Doc) => void): Doc => {
  const d = structuredClone(BASE) as Doc;
  edit(d);
  return d;
};

function problems(d: Doc) {
  try {
    parseValues(stringify(d), 'v.yaml');
  } catch (e) {
    if (e instanceof ValuesError) return e.problems;
    throw e;
  }
  return [];
}

/** One case per way a credential can be written inline: where it goes and the path it must be reported at. */
const CASES: ReadonlyArray<{ kind: string; path: string; edit: (d: Doc) => void }> = [
  { kind: 'argv --password=', path: 'hooks.preBackup[0].command[1]', edit: (d) => (d.hooks.preBackup[0].command = ['mariadb', '--password=hunter2']) },
  { kind: 'argv --password x', path: 'hooks.preBackup[0].command[2]', edit: (d) => (d.hooks.preBackup[0].command = ['tool', '--password', 'hunter2']) },
  { kind: 'argv mysql -p', path: 'hooks.preBackup[0].command[2]', edit: (d) => (d.hooks.preBackup[0].command = ['mysqldump', '-uroot', '-phunter2', 'shop']) },
  {
    kind: 'script mysql -p',
    path: 'hooks.preBackup[0].command[2]',
    edit: (d) => (d.hooks.preBackup[0].command = ['sh', '-c', 'mariadb -uroot -phunter2 -e "FLUSH TABLES"']),
  },
  { kind: 'env literal in argv', path: 'hooks.preBackup[0].command[1]', edit: (d) => (d.hooks.preBackup[0].command = ['env', 'PGPASSWORD=hunter2', 'psql']) },
  { kind: 'env value', path: 'hooks.preBackup[0].env.MYSQL_PWD', edit: (d) => (d.hooks.preBackup[0].env = { MYSQL_PWD: 'hunter2' }) },
  { kind: 'postgres URL', path: 'hooks.preBackup[0].command[1]', edit: (d) => (d.hooks.preBackup[0].command = ['psql', 'postgres://u:pw@h/db']) },
  {
    kind: 'redis URL without user',
    path: 'hooks.preBackup[0].command[2]',
    edit: (d) => (d.hooks.preBackup[0].command = ['redis-cli', '-u', 'redis://:pw@h:6379']),
  },
  {
    kind: 'libpq connection string',
    path: 'hooks.preBackup[0].command[2]',
    edit: (d) => (d.hooks.preBackup[0].command = ['psql', '-d', 'host=pg user=app password=hunter2 dbname=shop']),
  },
  {
    kind: 'ADO connection string',
    path: 'hooks.preBackup[0].command[1]',
    edit: (d) => (d.hooks.preBackup[0].command = ['tool', 'Server=db;User Id=sa;Password=hunter2;']),
  },
  {
    kind: 'curl Authorization header',
    path: 'hooks.preBackup[0].command[2]',
    edit: (d) => (d.hooks.preBackup[0].command = ['curl', '-H', 'Authorization: Bearer abc.def.ghi123', 'https://x']),
  },
  {
    kind: 'curl -u user:pass',
    path: 'hooks.preBackup[0].command[2]',
    edit: (d) => (d.hooks.preBackup[0].command = ['curl', '-u', 'admin:hunter2', 'https://x']),
  },
  {
    kind: 'URL query token in argv',
    path: 'hooks.preBackup[0].command[1]',
    edit: (d) => (d.hooks.preBackup[0].command = ['curl', 'https://x.example.com/p?access_token=abc123']),
  },
  { kind: 'AWS access key id', path: 'hooks.preBackup[0].command[1]', edit: (d) => (d.hooks.preBackup[0].command = ['aws', 'AKIAIOSFODNN7EXAMPLE']) },
  {
    kind: 'GCP service account key',
    path: 'hooks.preBackup[0].command[2]',
    edit: (d) => (d.hooks.preBackup[0].command = ['gcloud', '--key', '{"type": "service_account", "private_key": "-----BEGIN PRIVATE KEY-----\\nMII"}']),
  },
  {
    kind: 'http header literal',
    path: 'hooks.preBackup[1].headers.Authorization.value',
    edit: (d) => (d.hooks.preBackup[1].headers = { Authorization: { value: 'Bearer abc.def.ghi123' } }),
  },
  { kind: 'http URL userinfo', path: 'hooks.preBackup[1].url', edit: (d) => (d.hooks.preBackup[1].url = 'https://u:pw@hooks.example.com/x') },
  { kind: 'http URL query token', path: 'hooks.preBackup[1].url', edit: (d) => (d.hooks.preBackup[1].url = 'https://hooks.example.com/x?token=abc') },
  { kind: 'http body header', path: 'hooks.preBackup[1].body', edit: (d) => (d.hooks.preBackup[1].body = 'X-Api-Key: 0123456789abcdef') },
  { kind: 'exec hook argv', path: 'hooks.preBackup[2].command[1]', edit: (d) => (d.hooks.preBackup[2].command = ['mariadb-dump', '--password=hunter2']) },
  {
    kind: 'drill check hook',
    path: 'drill.checks[0].hook.command[1]',
    edit: (d) => (d.drill.checks = [{ hook: { name: 'c', type: 'command', command: ['psql', 'postgresql://app:pw@db/shop'] } }]),
  },
  { kind: 'component password field', path: 'components[0].password', edit: (d) => (d.components[0].password = 'hunter2') },
  { kind: 'redis password field', path: 'components[1].password', edit: (d) => (d.components[1].password = 'hunter2') },
  { kind: 'repository password field', path: 'repository.password', edit: (d) => (d.repository.password = 'hunter2') },
  { kind: 's3 secret key field', path: 'repository.s3.secretAccessKey', edit: (d) => (d.repository.s3.secretAccessKey = 'wJalrXUtnFEMI') },
  { kind: 'pushgateway URL', path: 'monitoring.pushgateway', edit: (d) => (d.monitoring = { pushgateway: 'https://u:pw@pgw.example.com' }) },
  { kind: 'drill target password', path: 'drill.targets.db.password', edit: (d) => (d.drill.targets.db.password = 'hunter2') },
];

describe('inline credentials', () => {
  it('the base document is valid', () => {
    expect(problems(doc(() => {}))).toEqual([]);
  });

  for (const c of CASES) {
    it(`refuses ${c.kind} at ${c.path}`, () => {
      const p = problems(doc(c.edit));
      const here = p.find((x) => x.path === c.path);
      expect(here, JSON.stringify(p)).toBeDefined();
      expect(here!.message).toMatch(/must not be written in a values file/);
      expect(here!.message).not.toMatch(/hunter2|abc123|wJalr/);
    });
  }

  it('references, placeholders and look-alikes pass', () => {
    const d = doc((x) => {
      x.hooks.preBackup[0].command = [
        'sh',
        '-c',
        'mysqldump -p"$MYSQL_PWD" --password-file=/s/p --tokenizer=simple -P 3306 shop; curl -H "Content-Type: application/json" https://x/a?page=2',
      ];
      x.hooks.preBackup[0].env = { PGPASSWORD: { secretName: 'db', key: 'password' } };
      x.hooks.preBackup[1].headers = { Authorization: { secretName: 'api', key: 'token' }, 'Content-Type': { value: 'application/json' } };
      x.hooks.preBackup[2].command = ['psql', '-p', '5432', '-c', 'SELECT 1', 'PGPASSWORD=$PGPASSWORD', 'postgres://app@db/shop'];
    });
    expect(problems(d)).toEqual([]);
  });

  it('every hint names a field the schema accepts: writing the example there gives a valid document', () => {
    const checked = new Set<string>();
    for (const c of CASES) {
      const d = doc(c.edit);
      for (const f of findInlineSecrets(d)) {
        const h = secretHintFor(d, f.path);
        if (!h.at || !h.example) {
          expect(h.note, c.kind).toBeTruthy();
          continue;
        }
        // Apply the hint to the untouched base document: the reference alone must be valid.
        const fixed = doc(() => {}) as any;
        let cur = fixed;
        h.at.slice(0, -1).forEach((k, i) => (cur = cur[k] ??= typeof h.at![i + 1] === 'number' ? [] : {}));
        const last = h.at[h.at.length - 1];
        if (last === 'env' && h.at.includes('checks')) Object.assign(cur, { name: 'c', type: 'command', command: ['true'] });
        cur[last] = typeof cur[last] === 'object' && !Array.isArray(cur[last]) && !('secretName' in h.example) ? { ...cur[last], ...h.example } : h.example;
        const r = schema.safeParse(fixed);
        expect(
          r.success,
          `${c.kind}: ${h.at.join('.')} ${JSON.stringify(h.example)}: ${r.error?.issues.map((i) => `${i.path.join('.')} ${i.message}`).join('; ')}`,
        ).toBe(true);
        checked.add(h.at.filter((k) => typeof k === 'string').join('.'));
      }
    }
    expect([...checked].sort()).toEqual(
      [
        'components.credentials',
        'drill.targets.db.credentials',
        'hooks.preBackup.env',
        'hooks.preBackup.headers',
        'drill.checks.hook.env',
        'repository.password',
        'repository.s3.credentials',
      ].sort(),
    );
  });

  it('every example values file is free of findings', () => {
    for (const f of readdirSync('values').filter((x) => x.endsWith('.yaml'))) {
      expect(findInlineSecrets(parse(readFileSync(join('values', f), 'utf8'))), f).toEqual([]);
    }
  });

  it('validate exits 2 naming the path for each of the four credentials of the acceptance list, one file at a time', () => {
    const dir = mkdtempSync(join(tmpdir(), 'inline-'));
    const files = {
      argv: ['hooks.preBackup[0].command[1]', doc((d) => (d.hooks.preBackup[0].command = ['mariadb', '--password=x']))],
      env: ['hooks.preBackup[0].command[1]', doc((d) => (d.hooks.preBackup[0].command = ['env', 'PGPASSWORD=x', 'psql']))],
      'env-map': ['hooks.preBackup[0].env.PGPASSWORD', doc((d) => (d.hooks.preBackup[0].env = { PGPASSWORD: 'x' }))],
      url: ['hooks.preBackup[0].command[1]', doc((d) => (d.hooks.preBackup[0].command = ['psql', 'postgres://u:pw@h/db']))],
      bearer: ['hooks.preBackup[0].command[2]', doc((d) => (d.hooks.preBackup[0].command = ['curl', '-H', 'Authorization: Bearer abcdef123456', 'https://x']))],
    } as const;
    // Each file alone: a file the check let through would exit 0, whatever the others do.
    for (const [name, [path, d]] of Object.entries(files)) {
      const file = join(dir, `${name}.yaml`);
      writeFileSync(file, stringify({ ...d, name }));
      const r = spawnSync(process.execPath, ['--import', 'tsx', 'src/cli.ts', 'validate', file], {
        encoding: 'utf8',
        env: { ...process.env, NODE_NO_WARNINGS: '1' },
      });
      expect(r.status, `${name}: ${r.stdout}${r.stderr}`).toBe(2);
      const line = r.stderr.split('\n').find((l) => l.includes(`${name}.yaml:`) && l.includes(` ${path}: `)) ?? '';
      expect(line, `${name}: ${r.stderr}`).toMatch(/must not be written in a values file/);
    }
  });
});
