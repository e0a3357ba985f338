// What the runner hands the database clients for TLS (pure argument and environment building), what the pods
// mount for it, and the message a TLS failure turns into. The round trips against TLS servers are in tls.test.ts.
import { mkdirSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { referencedSecrets } from '../../src/contract/layout.js';
import { endpointOf } from '../../src/runner/engines/index.js';
import { mysql } from '../../src/runner/engines/mysql.js';
import { postgres } from '../../src/runner/engines/postgres.js';
import { mysqlTlsArgs, tlsProblem } from '../../src/runner/engines/tls.js';
import { SecretStore } from '../../src/runner/secrets.js';
import { parseValues } from '../../src/values/load.js';
import { stringify } from 'yaml';
import { tmpDir } from '../support/env.js';

const KEY = '-----BEGIN PRIVATE KEY-----\nnot-a-real-key\n-----END PRIVATE KEY-----\n';

async function store(): Promise<SecretStore> {
  const dir = await tmpDir('tls-secrets');
  for (const [name, files] of Object.entries({
    login: { username: 'u', password: 'p' },
    ca: { 'ca.crt': 'CA' },
    client: { 'tls.crt': 'CERT', 'tls.key': KEY },
  })) {
    mkdirSync(join(dir, 'secrets', name), { recursive: true });
    for (const [k, v] of Object.entries(files)) writeFileSync(join(dir, 'secrets', name, k), v, { mode: 0o644 });
  }
  return new SecretStore(join(dir, 'secrets'), join(dir, 'scratch'));
}

const values = (component: Record<string, unknown>, extra: Record<string, unknown> = {}) =>
  parseValues(
    stringify({
      name: 'shop',
      namespace: 'team',
      schedule: '0 3 * * *',
      repository: { pvc: { claimName: 'r' }, password: { secretName: 'restic' } },
      components: [component],
      ...extra,
    }),
    'tls.yaml',
  );

const TLS = { caCert: { secretName: 'ca' }, clientCert: { secretName: 'client' } };

describe('TLS files for the clients', () => {
  it('PostgreSQL: sslmode, root cert, client cert and a 0600 copy of the key in the environment; nothing of it in argv', async () => {
    const s = await store();
    const v = values({ name: 'db', type: 'postgres', host: 'pg', database: 'shop', credentials: { secretName: 'login' }, sslMode: 'verify-full', tls: TLS });
    const e = endpointOf(v.components[0], s);
    const spec = postgres.dump(e);
    expect(spec.env).toMatchObject({
      PGSSLMODE: 'verify-full',
      PGSSLROOTCERT: join(s.dir, 'ca', 'ca.crt'),
      PGSSLCERT: join(s.dir, 'client', 'tls.crt'),
      PGSSLKEY: join(s.scratchDir!, 'private-keys', 'client.tls.key'),
    });
    expect(statSync(spec.env!.PGSSLKEY).mode & 0o777).toBe(0o600);
    expect(statSync(join(s.scratchDir!, 'private-keys')).mode & 0o777).toBe(0o700);
    expect(spec.args.join(' ')).not.toMatch(/ssl|tls|BEGIN/i);
  });

  it('MariaDB: --ssl-ca/--ssl-cert/--ssl-key paths; verify-full checks the server, require only encrypts, disable turns TLS off', async () => {
    const s = await store();
    const v = values({ name: 'shop', type: 'mysql', host: 'my', database: 'shop', credentials: { secretName: 'login' }, sslMode: 'verify-full', tls: TLS });
    const e = endpointOf(v.components[0], s);
    const args = mysql.dump(e).args;
    expect(args).toEqual(
      expect.arrayContaining([
        '--ssl',
        '--ssl-verify-server-cert',
        `--ssl-ca=${join(s.dir, 'ca', 'ca.crt')}`,
        `--ssl-cert=${join(s.dir, 'client', 'tls.crt')}`,
        `--ssl-key=${join(s.scratchDir!, 'private-keys', 'client.tls.key')}`,
      ]),
    );
    expect(args[0]).toBe('--no-defaults');
    expect(args.join(' ')).not.toContain('BEGIN');
    expect(mysqlTlsArgs({ host: 'h', port: 1, sslMode: 'require' })).toEqual(['--ssl', '--skip-ssl-verify-server-cert']);
    expect(mysqlTlsArgs({ host: 'h', port: 1, sslMode: 'disable' })).toEqual(['--skip-ssl']);
    expect(mysqlTlsArgs({ host: 'h', port: 1 })).toEqual([]);
  });

  it('CockroachDB client certificates go through psql as for PostgreSQL', async () => {
    const s = await store();
    const v = values({ name: 'events', type: 'cockroachdb', host: 'crdb', database: 'events', credentials: { secretName: 'login' }, tls: TLS });
    const { cockroachdb } = await import('../../src/runner/engines/cockroachdb.js');
    expect(cockroachdb.dump(endpointOf(v.components[0], s)).env).toMatchObject({
      PGSSLMODE: 'verify-full',
      PGSSLCERT: join(s.dir, 'client', 'tls.crt'),
      PGSSLKEY: expect.stringMatching(/private-keys\/client\.tls\.key$/),
    });
  });

  it('every operation that connects mounts the CA and the client certificate; the Pushgateway CA goes where metrics are pushed', () => {
    const v = values(
      { name: 'db', type: 'postgres', host: 'pg', database: 'shop', credentials: { secretName: 'login' }, sslMode: 'verify-full', tls: TLS },
      {
        monitoring: { pushgateway: 'https://pgw.monitoring:9091', caCert: { secretName: 'pgw-ca' } },
        dropDatabase: { component: 'db', confirm: 'shop' },
        restore: {},
      },
    );
    for (const op of ['backup', 'restore', 'drill', 'drop-database'] as const) {
      expect(referencedSecrets(v, op).get('ca'), op).toEqual(['ca.crt']);
      expect(referencedSecrets(v, op).get('client'), op).toEqual(['tls.crt', 'tls.key']);
    }
    expect(referencedSecrets(v, 'backup').get('pgw-ca')).toEqual(['ca.crt']);
    expect(referencedSecrets(v, 'drop-database').has('pgw-ca')).toBe(false);
    expect(referencedSecrets(v, 'maintenance').has('client')).toBe(false);
  });
});

describe('TLS failures', () => {
  it('name the component, the server and the field to fix', () => {
    const where = 'components[0] (db)';
    expect(
      tlsProblem(
        where,
        'components[0]',
        'pg:5432',
        'psql: error: connection to server at "pg" (10.0.0.1), port 5432 failed: SSL error: certificate verify failed',
      ),
    ).toBe(
      'components[0] (db): the certificate of pg:5432 was not trusted: components[0].tls.caCert must hold the CA bundle that signed the server\'s certificate (psql: error: connection to server at "pg" (10.0.0.1), port 5432 failed: SSL error: certificate verify failed)',
    );
    expect(tlsProblem(where, 'components[0]', 'pg:5432', 'psql: error: … root certificate file "/root/.postgresql/root.crt" does not exist')).toMatch(
      /no CA bundle to verify the certificate of pg:5432: set components\[0\]\.tls\.caCert/,
    );
    expect(tlsProblem(where, 'components[0]', 'pg:5432', 'server certificate for "other" does not match host name "pg"')).toMatch(
      /does not name that host: connect by a name the certificate holds \(components\[0\]\.host\)/,
    );
    expect(tlsProblem(where, 'components[0]', 'pg:5432', 'FATAL: password authentication failed for user "u"')).toBeUndefined();
  });

  it('a verifying sslMode without tls.caCert is a values error naming the field', () => {
    expect(() => values({ name: 'db', type: 'postgres', host: 'pg', database: 'shop', credentials: { secretName: 'login' }, sslMode: 'verify-ca' })).toThrow(
      /components\[0\]\.tls\.caCert.*sslMode verify-ca checks the server's certificate against a CA/s,
    );
  });
});
