// TLS to the databases: servers started by the test with certificates made by openssl (a CA, a server certificate
// for 127.0.0.1/localhost, a client certificate, a wrong CA). verify-full with the CA round-trips; a wrong CA is
// refused before anything is stored or changed, with a message that names the component, the server and the field.
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { readPushgateway } from '../../src/runner/metrics/read.js';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { backup } from '../../src/runner/commands/backup.js';
import { restore } from '../../src/runner/commands/restore.js';
import { chooseServer, mysqlQuery, pgExec, pgQuery, servers, tmpDir } from '../support/env.js';
import { MATRIX, useImageTools, type Variant } from '../support/matrix.js';
import {
  startMariadb,
  startPostgres,
  startPushgateway,
  type MariadbInfo,
  type PostgresInfo,
  type PushgatewayInfo,
  type Stoppable,
} from '../support/servers.js';
import { makeTestCerts, type TestCerts } from '../support/tls-certs.js';
import { makeApp, uniqueName, writeSecrets } from './fixture.js';

let certs: TestCerts;
beforeAll(async () => {
  certs = await makeTestCerts(await tmpDir('certs'));
});

/** The Secrets a TLS app reads: the login, the right CA, the wrong CA, the client certificate (a kubernetes.io/tls Secret). */
function tlsSecrets(dir: string, login: { user: string; password: string }): void {
  writeSecrets(dir, {
    login: { username: login.user, password: login.password },
    'db-ca': { 'ca.crt': readFileSync(certs.caFile, 'utf8') },
    'other-ca': { 'ca.crt': readFileSync(certs.wrongCaFile, 'utf8') },
    'db-client': { 'tls.crt': readFileSync(certs.clientCertFile, 'utf8'), 'tls.key': readFileSync(certs.clientKeyFile, 'utf8') },
  });
}

/** A TLS server of the variant's major: the host's, or the image's Debian release (its root filesystem). */
const startOptions = (v: Variant) => ({
  baseDir: servers().tmpBase,
  ...(v.newer ? { root: servers().image.root } : {}),
  tls: { certFile: certs.serverCertFile, keyFile: certs.serverKeyFile, caFile: certs.caFile },
});

describe.each(MATRIX.postgres.map((v) => [v.name, v] as const))("PostgreSQL over TLS (%s, the image's clients)", (_name, variant) => {
  let pg: PostgresInfo & Stoppable;
  useImageTools();
  beforeAll(async () => {
    pg = await startPostgres(startOptions(variant));
    chooseServer('postgres', pg);
  });
  afterAll(async () => {
    chooseServer('postgres', undefined);
    await pg?.stop();
  });

  async function app(db: string, tls: Record<string, unknown>, same?: { name: string; repo: string }) {
    const sslMode = 'verify-full';
    const a = await makeApp({
      ...same,
      values: {
        components: [{ name: 'db', type: 'postgres', host: pg.host, port: pg.port, database: db, credentials: { secretName: 'login' }, sslMode, tls }],
        restore: { snapshot: 'latest' },
      },
    });
    tlsSecrets(a.secretsDir, { user: pg.user, password: pg.password });
    return a;
  }

  it('verify-full with the CA: backs up and restores row by row over TLS', async () => {
    const db = uniqueName('pgtls');
    await pgExec(`CREATE DATABASE ${db}`);
    await pgExec('CREATE TABLE t (id int primary key, body text); INSERT INTO t SELECT g, md5(g::text) FROM generate_series(1, 500) g;', db);
    const before = await pgQuery('SELECT id, body FROM t ORDER BY id', db);
    const a = await app(db, { caCert: { secretName: 'db-ca' } });
    expect((await backup(a.ctx())).status).toBe('good');
    await pgExec('DELETE FROM t WHERE id % 3 = 0', db);
    await restore(a.ctx());
    expect(await pgQuery('SELECT id, body FROM t ORDER BY id', db)).toBe(before);
    // No certificate path or key material reached the logs.
    expect(a.logs.join('')).not.toMatch(/BEGIN|PRIVATE KEY|db-client/);
  });

  it('a wrong CA refuses the backup before any dump and the restore before any change, naming component, server and field', async () => {
    const db = uniqueName('pgtls');
    await pgExec(`CREATE DATABASE ${db}`);
    await pgExec('CREATE TABLE t (id int); INSERT INTO t VALUES (1), (2)', db);
    const same = { name: uniqueName('pgtls'), repo: `${await tmpDir('repo')}/r` };
    const good = await app(db, { caCert: { secretName: 'db-ca' } }, same);
    await backup(good.ctx());
    const wrong = await app(db, { caCert: { secretName: 'other-ca' } }, same);
    const expected = new RegExp(
      `components\\[0\\] \\(db\\): the certificate of 127\\.0\\.0\\.1:${pg.port} was not trusted: components\\[0\\]\\.tls\\.caCert must hold the CA bundle that signed the server's certificate \\(.*certificate verify failed`,
    );
    await expect(backup(wrong.ctx())).rejects.toThrow(expected);
    await pgExec('DELETE FROM t WHERE id = 2', db);
    // The same app and repository: only the CA differs.
    await expect(restore(wrong.ctx())).rejects.toThrow(expected);
    expect(await pgQuery('SELECT count(*) FROM t', db)).toBe('1');
  });

  it('sslMode verify-full without tls.caCert is refused by the values rules, naming the field', async () => {
    const a = await app('x', {});
    expect(() => a.ctx()).toThrow(/components\[0\]\.tls\.caCert.*sslMode verify-full checks the server's certificate against a CA/s);
  });
});

describe.each(MATRIX.mariadb.map((v) => [v.name, v] as const))("MariaDB over TLS (%s, the image's clients)", (_name, variant) => {
  let my: MariadbInfo & Stoppable;
  useImageTools();
  beforeAll(async () => {
    my = await startMariadb(startOptions(variant));
    chooseServer('mariadb', my);
  });
  afterAll(async () => {
    chooseServer('mariadb', undefined);
    await my?.stop();
  });

  async function app(
    db: string,
    tls: Record<string, unknown>,
    login: { user: string; password: string } = { user: my.user, password: my.password },
    same?: { name: string; repo: string },
  ) {
    const a = await makeApp({
      ...same,
      values: {
        components: [
          { name: 'shop', type: 'mysql', host: my.host, port: my.port, database: db, credentials: { secretName: 'login' }, sslMode: 'verify-full', tls },
        ],
        restore: { snapshot: 'latest' },
      },
    });
    tlsSecrets(a.secretsDir, login);
    return a;
  }

  it('verify-full with the CA and a login that REQUIRE X509 (client certificate): round trip over TLS', async () => {
    const db = uniqueName('mytls');
    const user = uniqueName('x509');
    await mysqlQuery(`CREATE DATABASE ${db}; CREATE TABLE ${db}.items (id INT PRIMARY KEY, name VARCHAR(40)); INSERT INTO ${db}.items VALUES (1, 'a'), (2, 'b'), (3, 'c');
      CREATE USER '${user}'@'127.0.0.1' IDENTIFIED BY 'pw-${user}' REQUIRE X509; GRANT ALL ON *.* TO '${user}'@'127.0.0.1';`);
    const before = await mysqlQuery('SELECT * FROM items ORDER BY id', db);
    const withoutCert = await app(db, { caCert: { secretName: 'db-ca' } }, { user, password: `pw-${user}` });
    await expect(backup(withoutCert.ctx())).rejects.toThrow(/components\[0\] \(shop\): cannot connect to .*Access denied/);
    const a = await app(db, { caCert: { secretName: 'db-ca' }, clientCert: { secretName: 'db-client' } }, { user, password: `pw-${user}` });
    expect((await backup(a.ctx())).status).toBe('good');
    await mysqlQuery('DELETE FROM items WHERE id > 1', db);
    await restore(a.ctx());
    expect(await mysqlQuery('SELECT * FROM items ORDER BY id', db)).toBe(before);
    expect(a.logs.join('')).not.toMatch(/BEGIN|PRIVATE KEY/);
  });

  it('a wrong CA refuses the backup and the restore, naming component, server and field; nothing changed', async () => {
    const db = uniqueName('mytls');
    await mysqlQuery(`CREATE DATABASE ${db}; CREATE TABLE ${db}.items (id INT); INSERT INTO ${db}.items VALUES (1), (2);`);
    const same = { name: uniqueName('mytls'), repo: `${await tmpDir('repo')}/r` };
    const login = { user: my.user, password: my.password };
    const good = await app(db, { caCert: { secretName: 'db-ca' } }, login, same);
    await backup(good.ctx());
    const wrong = await app(db, { caCert: { secretName: 'other-ca' } }, login, same);
    const expected = new RegExp(
      `components\\[0\\] \\(shop\\): the certificate of 127\\.0\\.0\\.1:${my.port} was not trusted: components\\[0\\]\\.tls\\.caCert must hold the CA bundle`,
    );
    await expect(backup(wrong.ctx())).rejects.toThrow(expected);
    await mysqlQuery('DELETE FROM items WHERE id = 2', db);
    await expect(restore(wrong.ctx())).rejects.toThrow(expected);
    expect(await mysqlQuery('SELECT count(*) FROM items', db)).toBe('1');
  });
});

describe('Pushgateway over https (--web.config.file with tls_server_config)', () => {
  let gw: PushgatewayInfo & Stoppable;
  beforeAll(async () => {
    gw = await startPushgateway({ baseDir: servers().tmpBase, tls: { certFile: certs.serverCertFile, keyFile: certs.serverKeyFile, caFile: certs.caFile } });
  });
  afterAll(async () => gw?.stop());

  async function filesApp(caSecret: string) {
    const data = await tmpDir('pgw-data');
    writeFileSync(join(data, 'a.txt'), 'a');
    const a = await makeApp({
      values: { components: [{ name: 'files', type: 'files', paths: [data] }], monitoring: { pushgateway: gw.url, caCert: { secretName: caSecret } } },
    });
    tlsSecrets(a.secretsDir, { user: 'unused', password: 'unused' });
    return a;
  }

  it('pushes the metrics over https trusting monitoring.caCert; a wrong CA logs which field to fix and the backup stays good', async () => {
    const a = await filesApp('db-ca');
    expect((await backup(a.ctx())).status).toBe('good');
    const read = await readPushgateway(gw.url, readFileSync(certs.caFile));
    expect(read.error).toBeUndefined();
    const group = [...read.groups!.values()].find((g) => g.has('safehold_backup_last_success_timestamp_seconds'));
    expect(a.logs.join('')).toContain('"metrics pushed"');
    expect(group).toBeDefined();

    const wrong = await filesApp('other-ca');
    expect((await backup(wrong.ctx())).status).toBe('good');
    const failed = wrong.logs.map((l) => JSON.parse(l) as { msg: string; error?: string }).find((l) => l.msg.startsWith('metrics push failed'));
    expect(failed?.error).toMatch(/certificate.*; the Pushgateway's certificate was not trusted: monitoring\.caCert must hold the CA bundle that signed it/);
  });
});
