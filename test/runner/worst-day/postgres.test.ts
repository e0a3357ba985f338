// The worst day, PostgreSQL: the database dropped, a brand-new server, a restore killed midway, and the way back.
// Every case starts from the damaged state and compares rows, owners, grants, settings and comment afterwards.
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { backup } from '../../../src/runner/commands/backup.js';
import { restore } from '../../../src/runner/commands/restore.js';
import { undoRestore } from '../../../src/runner/commands/restore-undo.js';
import { startPostgres, type PostgresInfo, type Stoppable } from '../../support/servers.js';
import { pgLiteral, pgOn, type PgServer } from '../../support/server-query.js';
import { servers } from '../../support/env.js';
import { onVariant, rows } from '../../support/matrix.js';
import { tool, withEnv } from '../../support/with-env.js';
import { makeApp, uniqueName, writeSecrets } from '../fixture.js';

type Server = PgServer;
const lit = pgLiteral;
const q = pgOn;

const main = () => servers().postgres;
/** A brand-new server of the variant's major: fresh initdb, no roles but its superuser, no databases. */
const newServer = (newer: boolean) => startPostgres({ baseDir: servers().tmpBase, ...(newer ? { root: servers().image.root } : {}) });
const pgSecret = (s: Server, username = 'postgres', password = s.password) => ({ pg: { username, password } });

interface Fixture {
  db: string;
  roles: { owner: string; reader: string; app: string };
}

async function seed(s: Server): Promise<Fixture> {
  const u = uniqueName('');
  const db = `Shop Db.${u} ü`;
  const roles = { owner: `owner_${u}`, reader: `reader_${u}`, app: `App_${u}` };
  const [o, r, a] = [roles.owner, roles.reader, roles.app].map((x) => `"${x}"`);
  await q(s, `CREATE ROLE ${o} NOLOGIN; CREATE ROLE ${r} NOLOGIN; CREATE ROLE ${a} LOGIN PASSWORD 'app-secret' CONNECTION LIMIT 7 IN ROLE ${r};`);
  await q(s, `CREATE DATABASE "${db}" OWNER ${o} TEMPLATE template0 ENCODING 'UTF8' LC_COLLATE 'C' LC_CTYPE 'C.UTF-8'`);
  await q(
    s,
    `COMMENT ON DATABASE "${db}" IS 'the shop''s data';
    ALTER DATABASE "${db}" SET search_path TO app, "$user", public;
    ALTER ROLE ${r} IN DATABASE "${db}" SET work_mem TO '8MB';
    REVOKE CONNECT ON DATABASE "${db}" FROM PUBLIC; GRANT CONNECT ON DATABASE "${db}" TO ${r};`,
  );
  await q(
    s,
    `CREATE SCHEMA app AUTHORIZATION ${o};
    GRANT USAGE ON SCHEMA app TO ${r};
    CREATE TABLE app.orders (id serial PRIMARY KEY, item text NOT NULL, qty int, at timestamptz DEFAULT '2026-01-01');
    CREATE TABLE app."Line Items" (order_id int REFERENCES app.orders, note text);
    INSERT INTO app.orders (item, qty) SELECT 'item ' || g || ' ✓', g % 11 FROM generate_series(1, 800) g;
    INSERT INTO app."Line Items" SELECT g, repeat('n', g % 5) FROM generate_series(1, 800, 3) g;
    CREATE SEQUENCE app.invoice_no START 1000; SELECT nextval('app.invoice_no'), nextval('app.invoice_no');
    CREATE VIEW app.big_orders AS SELECT id, item FROM app.orders WHERE qty > 5;
    CREATE FUNCTION app.touch() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN NEW.at := now(); RETURN NEW; END $$;
    CREATE TRIGGER orders_touch BEFORE UPDATE ON app.orders FOR EACH ROW EXECUTE FUNCTION app.touch();
    ALTER TABLE app.orders OWNER TO ${o}; ALTER TABLE app."Line Items" OWNER TO ${o}; ALTER SEQUENCE app.invoice_no OWNER TO ${o};
    ALTER VIEW app.big_orders OWNER TO ${o}; ALTER FUNCTION app.touch() OWNER TO ${o};
    GRANT SELECT ON app.orders, app.big_orders TO ${r};
    ALTER DEFAULT PRIVILEGES FOR ROLE ${o} IN SCHEMA app GRANT SELECT ON TABLES TO ${r};`,
    db,
  );
  return { db, roles };
}

/** Everything a restore must bring back, as text: rows and table checksums, owners, ACLs, database properties, roles. */
async function state(s: Server, f: Fixture): Promise<Record<string, string>> {
  const db = f.db;
  const acl = (col: string) => `coalesce((SELECT string_agg(x::text, ',' ORDER BY x::text) FROM unnest(${col}) x), '-')`;
  const roleNames = Object.values(f.roles).map(lit).join(',');
  return {
    rows: await q(s, 'SELECT id, item, qty, at FROM app.orders ORDER BY id', db),
    checksums: await q(
      s,
      `SELECT (SELECT md5(string_agg(t::text, ';' ORDER BY t::text)) FROM app.orders t) || ' ' || (SELECT md5(string_agg(t::text, ';' ORDER BY t::text)) FROM app."Line Items" t)`,
      db,
    ),
    owners: await q(
      s,
      `SELECT n.nspname || '.' || c.relname || ' ' || c.relkind::text || ' ' || pg_get_userbyid(c.relowner) || ' ' || ${acl('c.relacl')} FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace WHERE n.nspname = 'app' ORDER BY 1`,
      db,
    ),
    schemas: await q(
      s,
      `SELECT nspname || ' ' || pg_get_userbyid(nspowner) || ' ' || ${acl('nspacl')} FROM pg_namespace WHERE nspname IN ('app', 'public') ORDER BY 1`,
      db,
    ),
    defaultAcl: await q(s, `SELECT pg_get_userbyid(defaclrole) || ' ' || defaclobjtype::text || ' ' || ${acl('defaclacl')} FROM pg_default_acl ORDER BY 1`, db),
    sequence: await q(s, 'SELECT last_value FROM app.invoice_no', db),
    view: await q(s, "SELECT pg_get_viewdef('app.big_orders'::regclass)", db),
    func: await q(s, "SELECT pg_get_userbyid(proowner) || ' ' || prosrc FROM pg_proc WHERE proname = 'touch'", db),
    triggers: await q(s, 'SELECT tgname FROM pg_trigger WHERE NOT tgisinternal ORDER BY 1', db),
    database: await q(
      s,
      `SELECT encoding || ' ' || datcollate || ' ' || datctype || ' ' || pg_get_userbyid(datdba) || ' ' || ${acl('datacl')} || ' ' || coalesce(shobj_description(oid, 'pg_database'), '-') FROM pg_database WHERE datname = ${lit(db)}`,
    ),
    settings: await q(
      s,
      `SELECT CASE WHEN setrole = 0 THEN '*' ELSE pg_get_userbyid(setrole) END || ' ' || setconfig::text FROM pg_db_role_setting WHERE setdatabase = (SELECT oid FROM pg_database WHERE datname = ${lit(db)}) ORDER BY 1`,
    ),
    roles: await q(
      s,
      `SELECT rolname || ' ' || rolcanlogin || ' ' || rolconnlimit || ' ' || coalesce(rolpassword, '-') FROM pg_authid WHERE rolname IN (${roleNames}) ORDER BY 1`,
    ),
    members: await q(
      s,
      `SELECT pg_get_userbyid(roleid) || ' > ' || pg_get_userbyid(member) FROM pg_auth_members WHERE pg_get_userbyid(member) IN (${roleNames}) ORDER BY 1`,
    ),
  };
}

const dbList = (s: Server, f: Fixture) => q(s, `SELECT datname FROM pg_database WHERE datname LIKE ${lit(`${f.db}%`)} ORDER BY 1`);

async function appFor(f: Fixture, s: Server) {
  return makeApp({ values: { components: [{ name: 'db', type: 'postgres', host: s.host, port: s.port, database: f.db, credentials: { secretName: 'pg' } }] } });
}

describe.each(rows('postgres'))("postgres: the worst day (%s, the image's clients, restic 0.18)", (_name, variant) => {
  onVariant(variant);
  let fresh: PostgresInfo & Stoppable;
  beforeAll(async () => {
    fresh = await newServer(variant.newer);
  });
  afterAll(async () => {
    await fresh?.stop();
  });

  it('(a) the database was dropped: a plain restore (no dropExisting) brings back rows, owners, grants, settings, comment', async () => {
    const f = await seed(main());
    const before = await state(main(), f);
    const app = await appFor(f, main());
    expect((await backup(app.ctx())).status).toBe('good');
    await q(main(), `DROP DATABASE "${f.db}"`);

    const plan = await restore(app.ctx());
    expect(plan.steps.join('\n')).toMatch(/does not exist: rename/);
    expect(await state(main(), f)).toEqual(before);
    expect(await dbList(main(), f)).toBe(f.db); // no side database, no previous (there was nothing to keep)
  });

  it('(b) a brand-new server (fresh initdb: no roles, no database): roles, owners, password verifier and properties come back', async () => {
    const f = await seed(main());
    const before = await state(main(), f);
    const app = await appFor(f, main());
    await backup(app.ctx());
    writeSecrets(app.secretsDir, pgSecret(fresh));
    app.update({ components: [{ name: 'db', type: 'postgres', host: fresh.host, port: fresh.port, database: f.db, credentials: { secretName: 'pg' } }] });
    expect(await q(fresh, `SELECT count(*) FROM pg_roles WHERE rolname LIKE '%${f.roles.owner.slice(6)}'`)).toBe('0');

    const plan = await restore(app.ctx(), { planOnly: true });
    const planned = plan.steps.join('\n');
    expect(planned).toContain(`create roles that do not exist on this server: ${[f.roles.app, f.roles.owner, f.roles.reader].sort().join(', ')}`);
    // The order they run in: roles, side database, properties, rename.
    expect(planned.indexOf('create roles')).toBeLessThan(planned.indexOf('create side database'));
    expect(planned.indexOf('create side database')).toBeLessThan(planned.indexOf('rename'));

    await restore(app.ctx());
    expect(await state(fresh, f)).toEqual(before);
    expect(before.roles).toMatch(/SCRAM-SHA-256\$/); // the verifier, not a placeholder, was carried over
  });

  it('(c) a restore that dies midway (pg_restore killed half through) leaves the live database exactly as it was', async () => {
    const f = await seed(main());
    const app = await appFor(f, main());
    await backup(app.ctx());
    // The live database moved on after the backup: a failed restore must keep these changes.
    await q(
      main(),
      `INSERT INTO app.orders (item, qty) VALUES ('after the backup', 1); UPDATE app."Line Items" SET note = 'changed' WHERE order_id < 100`,
      f.db,
    );
    const live = await state(main(), f);

    const realTool = process.env.SAFEHOLD_BIN_PG_RESTORE ?? join(main().binDir, 'pg_restore');
    const undo = withEnv({ SAFEHOLD_BIN_PG_RESTORE: tool('pg-restore-dies-midway.mjs'), SAFEHOLD_REAL_TOOL: realTool });
    try {
      await expect(restore(app.ctx())).rejects.toThrow(/killed by SIGKILL/);
    } finally {
      undo();
    }
    expect(await state(main(), f)).toEqual(live);
    expect(await dbList(main(), f)).toBe(f.db); // the half-loaded side database is gone
  });

  it('(c2) the repository hands out other bytes than the manifest recorded: the streamed load is thrown away with its side database; live database unchanged', async () => {
    const f = await seed(main());
    const app = await appFor(f, main());
    await backup(app.ctx());
    await q(main(), `INSERT INTO app.orders (item, qty) VALUES ('after the backup', 2)`, f.db);
    const live = await state(main(), f);
    // 16 bytes after the archive's end: pg_restore loads it all, only the manifest's sha256 and length can tell.
    const undo = withEnv({ SAFEHOLD_BIN_RESTIC: tool('restic-dump-appends.mjs'), SAFEHOLD_REAL_TOOL: process.env.SAFEHOLD_BIN_RESTIC ?? 'restic' });
    try {
      // Into a server as new as pg_restore the data streams into the side database and is checked there; into an older
      // one (pg_restore's SQL filtered for psql) it is spooled and checked first, before any side database exists.
      await expect(restore(app.ctx())).rejects.toThrow(
        variant.newer
          ? /db: the stored dump does not match its manifest \(sha256 \w+ ≠ \w+, (\d+) of (?!\1)\d+ bytes\); the side database is removed, nothing was changed/
          : /db: the stored dump does not match its manifest \(sha256 \w+ ≠ \w+\); nothing was changed/,
      );
    } finally {
      undo();
    }
    expect(await state(main(), f)).toEqual(live);
    expect(await dbList(main(), f)).toBe(f.db); // no side database left
  });

  it('(c) a role that cannot be created (login without CREATEROLE, new server): refused before any database is made; target unchanged', async () => {
    const f = await seed(main());
    const app = await appFor(f, main());
    await backup(app.ctx());
    const other = await newServer(variant.newer);
    try {
      const login = uniqueName('restorer');
      await q(other, `CREATE ROLE ${login} LOGIN CREATEDB PASSWORD 'restorer-pw'; CREATE DATABASE "${f.db}" OWNER ${login}`);
      await q(other, 'CREATE TABLE keep (id int); INSERT INTO keep VALUES (1), (2), (3)', f.db);
      writeSecrets(app.secretsDir, pgSecret(other, login, 'restorer-pw'));
      app.update({ components: [{ name: 'db', type: 'postgres', host: other.host, port: other.port, database: f.db, credentials: { secretName: 'pg' } }] });
      await expect(restore(app.ctx())).rejects.toThrow(/permission denied to create role/);
      expect(await q(other, "SELECT string_agg(id::text, ',' ORDER BY id) FROM keep", f.db)).toBe('1,2,3');
      expect(await dbList(other, f)).toBe(f.db);
      expect(await q(other, `SELECT count(*) FROM pg_roles WHERE rolname IN (${Object.values(f.roles).map(lit).join(',')})`)).toBe('0');
    } finally {
      await other.stop();
    }
  });

  it('restore.owners: login onto a brand-new server: rows come back, every object belongs to the restore login, no role is created', async () => {
    const f = await seed(main());
    const before = await state(main(), f);
    const app = await appFor(f, main());
    await backup(app.ctx());
    const other = await newServer(variant.newer);
    try {
      writeSecrets(app.secretsDir, pgSecret(other));
      app.update({
        components: [{ name: 'db', type: 'postgres', host: other.host, port: other.port, database: f.db, credentials: { secretName: 'pg' } }],
        restore: { owners: 'login' },
      });
      await restore(app.ctx());
      const after = await state(other, f);
      expect(after.rows).toBe(before.rows);
      expect(after.checksums).toBe(before.checksums);
      expect(after.sequence).toBe(before.sequence);
      expect(after.roles).toBe('');
      expect(await q(other, `SELECT count(*) FROM pg_roles WHERE rolname IN (${Object.values(f.roles).map(lit).join(',')})`)).toBe('0');
      const owners = await q(
        other,
        `SELECT DISTINCT pg_get_userbyid(c.relowner) FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace WHERE n.nspname = 'app'
         UNION SELECT pg_get_userbyid(nspowner) FROM pg_namespace WHERE nspname = 'app' UNION SELECT pg_get_userbyid(datdba) FROM pg_database WHERE datname = ${lit(f.db)}`,
        f.db,
      );
      expect(owners).toBe('postgres');
    } finally {
      await other.stop();
    }
  });

  it('(d) the way back: after a successful restore, `restore --undo` returns the exact pre-restore state (and again undoes the undo)', async () => {
    const f = await seed(main());
    const app = await appFor(f, main());
    await backup(app.ctx());
    const backedUp = await state(main(), f);
    await q(
      main(),
      `DELETE FROM app.orders WHERE id > 400 AND id NOT IN (SELECT order_id FROM app."Line Items"); INSERT INTO app.orders (item, qty) VALUES ('written after the backup', 3); COMMENT ON DATABASE "${f.db}" IS 'changed'`,
      f.db,
    );
    const preRestore = await state(main(), f);

    const plan = await restore(app.ctx());
    expect(plan.steps.join('\n')).toContain(`${f.db}.safehold-previous is kept`);
    expect(await state(main(), f)).toEqual(backedUp);
    expect(await dbList(main(), f)).toBe([f.db, `${f.db}.safehold-previous`].sort().join('\n'));

    expect(await undoRestore(app.ctx())).toEqual([`db: ${f.db} is the previous database again; the one it replaced is kept as ${f.db}.safehold-previous`]);
    expect(await state(main(), f)).toEqual(preRestore);
    await undoRestore(app.ctx());
    expect(await state(main(), f)).toEqual(backedUp);
  });
});
