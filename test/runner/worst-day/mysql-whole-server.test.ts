// Whole servers, MariaDB (databases: all): three schemas and their accounts restored onto a NEW server (rows,
// charsets, accounts and grants compared one by one); one schema restored while the other two stay as they are; a
// restore of all that dies in the third schema leaves every schema as it was, and no account it created.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { backup } from '../../../src/runner/commands/backup.js';
import { restore } from '../../../src/runner/commands/restore.js';
import { bin, startMariadb, type MariadbInfo, type Stoppable } from '../../support/servers.js';
import { mariadbOn, type MariadbServer } from '../../support/server-query.js';
import { servers } from '../../support/env.js';
import { tool, withEnv } from '../../support/with-env.js';
import { makeApp, writeSecrets, type App } from '../fixture.js';

type Server = MariadbServer;
const q = mariadbOn;

const SCHEMAS = ['alpha', 'Beta Db', 'gamma'];
const ACCOUNTS = ["'shop_app'@'%'", "'reporter'@'10.0.0.%'"];

async function seed(s: Server): Promise<void> {
  for (const [i, db] of SCHEMAS.entries()) {
    await q(s, `CREATE DATABASE \`${db}\` CHARACTER SET utf8mb4 COLLATE ${i === 1 ? 'utf8mb4_unicode_ci' : 'utf8mb4_general_ci'}`);
    await q(
      s,
      `CREATE TABLE items (id INT PRIMARY KEY, name VARCHAR(50));
       INSERT INTO items SELECT seq, CONCAT('${db} item ', seq, ' 😀') FROM seq_1_to_${200 + i * 100};`,
      db,
    );
  }
  await q(
    s,
    `CREATE USER 'shop_app'@'%' IDENTIFIED BY 'app-secret'; GRANT SELECT, INSERT ON \`alpha\`.* TO 'shop_app'@'%';
     GRANT SELECT ON \`Beta Db\`.\`items\` TO 'shop_app'@'%';
     CREATE USER 'reporter'@'10.0.0.%' IDENTIFIED BY 'rep-secret' WITH MAX_QUERIES_PER_HOUR 100; GRANT SELECT ON \`gamma\`.* TO 'reporter'@'10.0.0.%';`,
  );
  await q(s, "CREATE DEFINER = 'shop_app'@'%' SQL SECURITY DEFINER VIEW first_items AS SELECT id, name FROM items WHERE id < 10", 'alpha');
}

async function schemaState(s: Server, db: string) {
  return {
    rows: await q(s, 'SELECT id, HEX(name) FROM items ORDER BY id', db),
    props: await q(s, `SELECT DEFAULT_CHARACTER_SET_NAME, DEFAULT_COLLATION_NAME FROM information_schema.SCHEMATA WHERE SCHEMA_NAME = '${db}'`),
  };
}
async function state(s: Server) {
  const out: Record<string, unknown> = {};
  for (const db of SCHEMAS) out[db] = await schemaState(s, db);
  return out;
}
/** Accounts one by one: SHOW CREATE USER (with its password hash: passwords: true) and SHOW GRANTS. */
async function accounts(s: Server) {
  const out: Record<string, string> = {};
  for (const a of ACCOUNTS) out[a] = `${await q(s, `SHOW CREATE USER ${a}`)}\n${await q(s, `SHOW GRANTS FOR ${a}`)}`;
  return out;
}
const schemas = (s: Server) =>
  q(
    s,
    "SELECT GROUP_CONCAT(SCHEMA_NAME ORDER BY SCHEMA_NAME) FROM information_schema.SCHEMATA WHERE SCHEMA_NAME NOT IN ('mysql', 'information_schema', 'performance_schema', 'sys')",
  );
const accountCount = (s: Server) => q(s, "SELECT COUNT(*) FROM mysql.user WHERE User IN ('shop_app', 'reporter')");

function pointAt(app: App, s: Server, restoreSection?: Record<string, unknown>) {
  writeSecrets(app.secretsDir, { mysql: { username: s.user, password: s.password } });
  app.update({
    components: [{ name: 'srv', type: 'mysql', host: s.host, port: s.port, databases: 'all', passwords: true, credentials: { secretName: 'mysql' } }],
    restore: restoreSection,
  });
}

describe('mariadb: a whole server, databases: all', () => {
  let source: MariadbInfo & Stoppable;
  let fresh: MariadbInfo & Stoppable;
  let app: App;
  let backedUp: Record<string, unknown>;
  let backedUpAccounts: Record<string, string>;
  const start = () => startMariadb({ baseDir: servers().tmpBase });
  beforeAll(async () => {
    [source, fresh] = await Promise.all([start(), start()]);
    await seed(source);
    backedUp = await state(source);
    backedUpAccounts = await accounts(source);
    app = await makeApp({ values: { components: [] } });
    pointAt(app, source);
    expect((await backup(app.ctx())).status).toBe('good');
  });
  afterAll(async () => {
    await Promise.allSettled([source?.stop(), fresh?.stop()]);
  });

  it('restores onto a NEW server identically: every schema row by row, every account with its password hash and grants', async () => {
    expect(await schemas(fresh)).toBe('NULL');
    pointAt(app, fresh);
    await restore(app.ctx());
    expect(await schemas(fresh)).toBe('alpha,Beta Db,gamma');
    expect(await state(fresh)).toEqual(backedUp);
    expect(await accounts(fresh)).toEqual(backedUpAccounts);
    expect(await q(fresh, 'SELECT COUNT(*) FROM first_items', 'alpha')).toBe('9');
  });

  it('restore.databases: [one] brings back that schema and leaves the other two as they are', async () => {
    pointAt(app, source);
    for (const db of SCHEMAS) await q(source, "DELETE FROM items WHERE id < 20; INSERT INTO items VALUES (9999, 'after the backup')", db);
    const live = await state(source);
    pointAt(app, source, { databases: ['Beta Db'] });
    await restore(app.ctx());
    const now = await state(source);
    expect(now['Beta Db']).toEqual(backedUp['Beta Db']);
    expect(now.alpha).toEqual(live.alpha);
    expect(now.gamma).toEqual(live.gamma);
    expect(now.alpha).not.toEqual(backedUp.alpha);
  });

  it('a restore of all that dies in the third schema leaves every schema as it was (and no account it created)', async () => {
    const other = await start();
    try {
      for (const s of [source, other]) {
        pointAt(app, s);
        const live = await state(s).catch(() => undefined);
        const names = await schemas(s);
        const accountsBefore = await accountCount(s);
        const undo = withEnv({
          SAFEHOLD_BIN_MARIADB: tool('mariadb-dies-midway.mjs'),
          SAFEHOLD_REAL_TOOL: bin('mariadb'),
          KILL_AFTER: '2000',
          DIE_ONLY_FOR: 'gamma',
          KILL_ONCE_FILE: `${app.dir}/killed-once-${s.port}`,
        });
        try {
          await expect(restore(app.ctx())).rejects.toThrow(/killed by SIGKILL/);
        } finally {
          undo();
        }
        expect(await schemas(s)).toBe(names);
        if (live) expect(await state(s)).toEqual(live);
        expect(await accountCount(s)).toBe(accountsBefore);
      }
    } finally {
      await other.stop();
    }
  });
});
