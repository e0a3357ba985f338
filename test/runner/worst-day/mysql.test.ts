// The worst day, MariaDB: the default charset survives drop + restore; onto a brand-new server the accounts that
// DEFINERs and grants name come back with their grants, and a routine runs as its definer again.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { backup } from '../../../src/runner/commands/backup.js';
import { restore } from '../../../src/runner/commands/restore.js';
import { startMariadb, type MariadbInfo, type Stoppable } from '../../support/servers.js';
import { mariadbOn, type MariadbServer } from '../../support/server-query.js';
import { servers } from '../../support/env.js';
import { makeApp, uniqueName, writeSecrets } from '../fixture.js';

type Server = MariadbServer;
const q = mariadbOn;

let fresh: MariadbInfo & Stoppable;
beforeAll(async () => {
  fresh = await startMariadb({ baseDir: servers().tmpBase });
});
afterAll(async () => {
  await fresh?.stop();
});

async function seed(s: Server) {
  const u = uniqueName('');
  const db = `Shop Db.${u}`;
  const account = `shop_app_${u}`;
  await q(s, `CREATE DATABASE \`${db}\` CHARACTER SET utf8mb4 COLLATE utf8mb4_unicode_ci`);
  await q(s, `CREATE USER '${account}'@'%' IDENTIFIED BY 'app-secret'; GRANT SELECT, INSERT, EXECUTE ON \`${db}\`.* TO '${account}'@'%';`);
  await q(
    s,
    `CREATE TABLE items (id INT PRIMARY KEY, name VARCHAR(50)) ; INSERT INTO items VALUES (1, 'emoji 😀'), (2, 'plain');
    CREATE DEFINER = '${account}'@'%' PROCEDURE count_items() SQL SECURITY DEFINER SELECT COUNT(*) FROM items;`,
    db,
  );
  return { db, account };
}

const props = (s: Server, db: string) =>
  q(s, `SELECT DEFAULT_CHARACTER_SET_NAME, DEFAULT_COLLATION_NAME FROM information_schema.SCHEMATA WHERE SCHEMA_NAME = '${db}'`);
const rows = (s: Server, db: string) => q(s, 'SELECT id, HEX(name) FROM items ORDER BY id', db);

describe('mariadb: the worst day', () => {
  it('utf8mb4 default charset and collation survive dropExisting + restore (a bare CREATE DATABASE would take latin1)', async () => {
    const m = servers().mariadb;
    const f = await seed(m);
    await q(m, 'SET GLOBAL character_set_server = latin1; SET GLOBAL collation_server = latin1_swedish_ci');
    try {
      const before = { props: await props(m, f.db), rows: await rows(m, f.db) };
      expect(before.props).toBe('utf8mb4\tutf8mb4_unicode_ci');
      const app = await makeApp({
        values: {
          components: [{ name: 'db', type: 'mysql', host: m.host, port: m.port, database: f.db, credentials: { secretName: 'mysql' } }],
          restore: { dropExisting: true, confirm: f.db },
        },
      });
      await backup(app.ctx());
      await q(m, 'DELETE FROM items', f.db);
      await restore(app.ctx());
      expect({ props: await props(m, f.db), rows: await rows(m, f.db) }).toEqual(before);
      // A table created later (as a plugin would) takes the database default: 4-byte characters fit.
      await q(m, "CREATE TABLE later (t VARCHAR(10)); INSERT INTO later VALUES ('🎉')", f.db);
      expect(await q(m, 'SELECT HEX(t) FROM later', f.db)).toBe('F09F8E89');
    } finally {
      await q(m, 'SET GLOBAL character_set_server = utf8mb4; SET GLOBAL collation_server = utf8mb4_general_ci');
    }
  });

  it('onto a brand-new server: the database is created, the account comes back with its grants, the DEFINER routine runs', async () => {
    const m = servers().mariadb;
    const f = await seed(m);
    const before = await rows(m, f.db);
    const grantsBefore = await q(m, `SHOW GRANTS FOR '${f.account}'@'%'`);
    const app = await makeApp({
      values: { components: [{ name: 'db', type: 'mysql', host: m.host, port: m.port, database: f.db, credentials: { secretName: 'mysql' } }] },
    });
    await backup(app.ctx());
    writeSecrets(app.secretsDir, { mysql: { username: fresh.user, password: fresh.password } });
    app.update({ components: [{ name: 'db', type: 'mysql', host: fresh.host, port: fresh.port, database: f.db, credentials: { secretName: 'mysql' } }] });
    expect(await q(fresh, `SELECT COUNT(*) FROM mysql.user WHERE User = '${f.account}'`)).toBe('0');

    await restore(app.ctx());
    expect(await rows(fresh, f.db)).toBe(before);
    expect(await props(fresh, f.db)).toBe('utf8mb4\tutf8mb4_unicode_ci');
    expect(await q(fresh, `SHOW GRANTS FOR '${f.account}'@'%'`)).toBe(grantsBefore);
    expect(await q(fresh, 'CALL count_items()', f.db)).toBe('2');
    expect(await q(fresh, `SELECT DEFINER FROM information_schema.ROUTINES WHERE ROUTINE_SCHEMA = '${f.db}'`)).toBe(`${f.account}@%`);
  });
});
