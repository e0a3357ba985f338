// Whole servers, PostgreSQL (databases: all): a server with three databases and roles restored onto a NEW server
// (rows, owners, grants, properties compared database by database, roles attribute by attribute); one database
// restored while the other two stay as they are; a restore of all that dies on the third leaves every one as it was.
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { backup } from '../../../src/runner/commands/backup.js';
import { restore } from '../../../src/runner/commands/restore.js';
import { readManifest } from '../../../src/runner/commands/manifest.js';
import { undoRestore } from '../../../src/runner/commands/restore-undo.js';
import { baseFilter, groupSets } from '../../../src/runner/sets.js';
import { startPostgres, type PostgresInfo, type Stoppable } from '../../support/servers.js';
import { pgLiteral, pgOn, type PgServer } from '../../support/server-query.js';
import { servers } from '../../support/env.js';
import { onVariant, rows } from '../../support/matrix.js';
import { tool, withEnv } from '../../support/with-env.js';
import { makeApp, writeSecrets, type App } from '../fixture.js';

type Server = PgServer & Pick<PostgresInfo, 'binDir'>;
const lit = pgLiteral;
const q = pgOn;

const DATABASES = ['alpha', 'Beta Db ü', 'gamma'];
const ROLES = ['shop_owner', 'shop_reader', 'shop_app', 'auditor'];

async function seed(s: Server): Promise<void> {
  await q(
    s,
    `CREATE ROLE shop_owner NOLOGIN; CREATE ROLE shop_reader NOLOGIN;
     CREATE ROLE shop_app LOGIN PASSWORD 'app-secret' CONNECTION LIMIT 7 IN ROLE shop_reader;
     ALTER ROLE shop_app SET statement_timeout TO '5s';
     CREATE ROLE auditor NOLOGIN CREATEDB VALID UNTIL '2030-01-01 00:00:00+00';
     GRANT shop_reader TO auditor WITH ADMIN OPTION;`,
  );
  for (const [i, db] of DATABASES.entries()) {
    await q(s, `CREATE DATABASE "${db}" OWNER shop_owner TEMPLATE template0 ENCODING 'UTF8' LC_COLLATE 'C' LC_CTYPE 'C.UTF-8'`);
    await q(
      s,
      `COMMENT ON DATABASE "${db}" IS 'database ${i}'; REVOKE CONNECT ON DATABASE "${db}" FROM PUBLIC; GRANT CONNECT ON DATABASE "${db}" TO shop_reader;`,
    );
    await q(
      s,
      `CREATE SCHEMA app AUTHORIZATION shop_owner;
       CREATE TABLE app.orders (id serial PRIMARY KEY, item text NOT NULL, qty int);
       INSERT INTO app.orders (item, qty) SELECT '${db} item ' || g, g % ${i + 5} FROM generate_series(1, ${300 + i * 100}) g;
       ALTER TABLE app.orders OWNER TO shop_owner; ALTER SEQUENCE app.orders_id_seq OWNER TO shop_owner;
       GRANT USAGE ON SCHEMA app TO shop_reader; GRANT SELECT ON app.orders TO shop_reader;`,
      db,
    );
  }
}

/** One database as text: rows, owners and ACLs, the sequence, the database's own properties. */
async function dbState(s: Server, db: string): Promise<Record<string, string>> {
  const acl = (col: string) => `coalesce((SELECT string_agg(x::text, ',' ORDER BY x::text) FROM unnest(${col}) x), '-')`;
  return {
    rows: await q(s, 'SELECT id, item, qty FROM app.orders ORDER BY id', db),
    owners: await q(
      s,
      `SELECT c.relname || ' ' || pg_get_userbyid(c.relowner) || ' ' || ${acl('c.relacl')} FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace WHERE n.nspname = 'app' ORDER BY 1`,
      db,
    ),
    sequence: await q(s, 'SELECT last_value FROM app.orders_id_seq', db),
    database: await q(
      s,
      `SELECT pg_encoding_to_char(encoding) || ' ' || datcollate || ' ' || pg_get_userbyid(datdba) || ' ' || ${acl('datacl')} || ' ' || coalesce(shobj_description(oid, 'pg_database'), '-') FROM pg_database WHERE datname = ${lit(db)}`,
    ),
  };
}

async function serverState(s: Server, dbs = DATABASES) {
  const out: Record<string, unknown> = {};
  for (const db of dbs) out[db] = await dbState(s, db);
  return out;
}

/** Every role of the set, attribute by attribute (verifiers apart), and their memberships. */
const roleState = async (s: Server) => ({
  roles: await q(
    s,
    `SELECT rolname, rolsuper, rolinherit, rolcreaterole, rolcreatedb, rolcanlogin, rolreplication, rolbypassrls, rolconnlimit, rolvaliduntil, rolconfig FROM pg_roles WHERE rolname IN (${ROLES.map(lit).join(',')}) ORDER BY 1`,
  ),
  members: await q(
    s,
    `SELECT pg_get_userbyid(roleid) || ' > ' || pg_get_userbyid(member) || ' ' || admin_option FROM pg_auth_members WHERE pg_get_userbyid(member) IN (${ROLES.map(lit).join(',')}) ORDER BY 1`,
  ),
});

const databases = (s: Server) => q(s, "SELECT string_agg(datname, ',' ORDER BY datname) FROM pg_database WHERE NOT datistemplate AND datname <> 'postgres'");
const pointAt = (app: App, s: Server, restoreSection?: Record<string, unknown>) => {
  writeSecrets(app.secretsDir, { pg: { username: 'postgres', password: s.password } });
  app.update({
    components: [{ name: 'srv', type: 'postgres', host: s.host, port: s.port, databases: 'all', credentials: { secretName: 'pg' } }],
    restore: restoreSection,
  });
};

describe.each(rows('postgres'))('postgres: a whole server, databases: all (%s)', (_name, variant) => {
  onVariant(variant);
  const start = () => startPostgres({ baseDir: servers().tmpBase, ...(variant.newer ? { root: servers().image.root } : {}) });
  let source: PostgresInfo & Stoppable;
  let fresh: PostgresInfo & Stoppable;
  let app: App;
  let backedUp: Record<string, unknown>;
  let backedUpRoles: Awaited<ReturnType<typeof roleState>>;
  beforeAll(async () => {
    [source, fresh] = await Promise.all([start(), start()]);
    await seed(source);
    backedUp = await serverState(source);
    backedUpRoles = await roleState(source);
    app = await makeApp({ values: { components: [] } });
    pointAt(app, source);
    expect((await backup(app.ctx())).status).toBe('good');
  });
  afterAll(async () => {
    await Promise.allSettled([source?.stop(), fresh?.stop()]);
  });

  it('the set holds one stream per database plus the globals, and no password verifier', async () => {
    const ctx = app.ctx();
    const [set] = groupSets(await ctx.restic.openListing({ create: false }, baseFilter(ctx.values)));
    const m = await readManifest(ctx, set);
    const rec = m.components[0];
    expect(rec.server!.databases.map((d) => d.database)).toEqual(['Beta Db ü', 'alpha', 'gamma']);
    const json = await ctx.restic.dumpText(rec.server!.globals.snapshotId, rec.server!.globals.fileName);
    const sql = await ctx.restic.dumpText(rec.server!.sql!.snapshotId, rec.server!.sql!.fileName);
    expect(JSON.parse(json).roles.map((r: { rolname: string }) => r.rolname)).toEqual(['auditor', 'shop_app', 'shop_owner', 'shop_reader']);
    expect(sql).toMatch(/CREATE ROLE "shop_app" WITH NOSUPERUSER INHERIT NOCREATEROLE NOCREATEDB LOGIN NOREPLICATION NOBYPASSRLS CONNECTION LIMIT 7;/);
    expect(sql).toContain('GRANT "shop_reader" TO "auditor" WITH ADMIN OPTION;');
    for (const d of rec.server!.databases)
      expect(await ctx.restic.dumpText(d.globals!.snapshotId, d.globals!.fileName)).not.toMatch(/SCRAM-SHA-256|md5[0-9a-f]{32}/);
    expect(`${json}\n${sql}`).not.toMatch(/SCRAM-SHA-256|md5[0-9a-f]{32}/);
  });

  it('restores onto a NEW server identically: every database row by row, every role attribute by attribute', async () => {
    expect(await databases(fresh)).toBe('');
    pointAt(app, fresh);
    const plan = await restore(app.ctx(), { planOnly: true });
    expect(plan.steps.join('\n')).toContain('create roles that do not exist on this server: auditor, shop_app, shop_owner, shop_reader');

    await restore(app.ctx());
    expect(await databases(fresh)).toBe(['Beta Db ü', 'alpha', 'gamma'].join(','));
    expect(await serverState(fresh)).toEqual(backedUp);
    expect(await roleState(fresh)).toEqual(backedUpRoles);
    // No verifier was stored: the login role is back as LOGIN without a password (pg_dumpall --no-role-passwords).
    expect(await q(fresh, "SELECT rolpassword IS NULL FROM pg_authid WHERE rolname = 'shop_app'")).toBe('t');
  });

  it('restore.databases: [one] brings back that database and leaves the other two as they are', async () => {
    pointAt(app, source);
    for (const db of DATABASES) await q(source, `INSERT INTO app.orders (item, qty) VALUES ('after the backup', 1); DELETE FROM app.orders WHERE id < 20`, db);
    const live = await serverState(source);
    pointAt(app, source, { databases: ['Beta Db ü'] });
    const plan = await restore(app.ctx());
    expect(plan.steps.join('\n')).toContain('restore 1 of the set');
    const now = (await serverState(source)) as Record<string, unknown>;
    expect(now['Beta Db ü']).toEqual(backedUp['Beta Db ü']);
    expect(now.alpha).toEqual(live.alpha);
    expect(now.gamma).toEqual(live.gamma);
    expect(now.alpha).not.toEqual(backedUp.alpha);

    // The way back: --undo swaps the restored database and the kept previous one, and again swaps forth.
    expect(await undoRestore(app.ctx())).toEqual([
      `srv/Beta Db ü: Beta Db ü is the previous database again; the one it replaced is kept as Beta Db ü.safehold-previous`,
    ]);
    expect(((await serverState(source)) as Record<string, unknown>)['Beta Db ü']).toEqual(live['Beta Db ü']);
    await undoRestore(app.ctx());
    expect(((await serverState(source)) as Record<string, unknown>)['Beta Db ü']).toEqual(backedUp['Beta Db ü']);
  });

  it('a restore of all that dies in the third database leaves every database as it was (and creates no role)', async () => {
    pointAt(app, source);
    await q(source, "UPDATE app.orders SET item = 'changed again' WHERE id < 50", 'alpha');
    const live = await serverState(source);
    const names = await databases(source);
    const realTool = process.env.SAFEHOLD_BIN_PG_RESTORE ?? join(source.binDir, 'pg_restore');
    const undo = withEnv({ SAFEHOLD_BIN_PG_RESTORE: tool('pg-restore-dies-midway.mjs'), SAFEHOLD_REAL_TOOL: realTool, SAFEHOLD_DIE_ONLY_FOR: 'srv.gamma' });
    try {
      await expect(restore(app.ctx())).rejects.toThrow(/killed by SIGKILL/);
      expect(await serverState(source)).toEqual(live);
      expect(await databases(source)).toBe(names); // no side database left behind

      // The same onto a new server: nothing is left there, not even the roles the restore created.
      const other = await start();
      try {
        pointAt(app, other);
        await expect(restore(app.ctx())).rejects.toThrow(/killed by SIGKILL/);
        expect(await databases(other)).toBe('');
        expect(await q(other, `SELECT count(*) FROM pg_roles WHERE rolname IN (${ROLES.map(lit).join(',')})`)).toBe('0');
      } finally {
        await other.stop();
      }
    } finally {
      undo();
    }
  });
});
