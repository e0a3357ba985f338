// The pure parts of PostgreSQL restores: the SQL that recreates roles and database properties, old-server drops, names.
import { createHash } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { dropDatabaseSql } from '../../../src/runner/engines/postgres.js';
import { dbConninfo, quoteIdent } from '../../../src/runner/engines/pg-quote.js';
import {
  createDatabaseSql,
  createRolesScript,
  databasePropertiesScript,
  missingRoles,
  settingClause,
  sideNames,
  splitListSetting,
  type PgGlobals,
  type PgRole,
} from '../../../src/runner/engines/postgres-globals.js';

const role = (rolname: string, o: Partial<PgRole> = {}): PgRole => ({
  rolname,
  oid: 20000,
  rolsuper: false,
  rolinherit: true,
  rolcreaterole: false,
  rolcreatedb: false,
  rolcanlogin: false,
  rolreplication: false,
  rolbypassrls: false,
  rolconnlimit: -1,
  rolvaliduntil: null,
  rolconfig: null,
  rolpassword: null,
  ...o,
});
const globals = (o: Partial<PgGlobals> = {}): PgGlobals => ({
  format: 'safehold.pg-globals/v1',
  serverVersionNum: 150000,
  passwordsReadable: true,
  database: {
    name: 'shop',
    owner: 'owner',
    encoding: 'UTF8',
    collate: 'C',
    ctype: 'C.UTF-8',
    provider: 'c',
    connLimit: -1,
    comment: null,
    acl: null,
    settings: [],
  },
  roles: [],
  memberships: [],
  ...o,
});

describe('postgres globals SQL', () => {
  it('list settings keep their items (search_path with "$user"), others are one literal', () => {
    expect(splitListSetting('app, "$user", public')).toEqual(['app', '$user', 'public']);
    expect(splitListSetting('"a,b", "x""y"')).toEqual(['a,b', 'x"y']);
    expect(settingClause('search_path=app, "$user", public')).toBe(`"search_path" TO 'app', '$user', 'public'`);
    expect(settingClause('work_mem=8MB')).toBe(`"work_mem" TO '8MB'`);
    expect(settingClause("application_name=it's")).toBe(`"application_name" TO 'it''s'`);
  });

  it('creates only missing, non-built-in roles; a login whose verifier could not be read comes back NOLOGIN', () => {
    const g = globals({
      passwordsReadable: false,
      roles: [role('postgres', { oid: 10 }), role('exists'), role('app', { rolcanlogin: true }), role('grp')],
      memberships: [
        { role_name: 'grp', member_name: 'app', admin_option: false },
        { role_name: 'grp', member_name: 'exists', admin_option: true },
      ],
    });
    const existing = new Set(['postgres', 'exists']);
    const missing = missingRoles(g, existing);
    expect(missing.map((r) => r.rolname)).toEqual(['app', 'grp']);
    const s = createRolesScript(g, missing, existing);
    expect(s.noLogin).toEqual(['app']);
    expect(s.sql).toContain('CREATE ROLE "app" WITH NOSUPERUSER INHERIT NOCREATEROLE NOCREATEDB NOLOGIN');
    expect(s.sql).toContain('GRANT "grp" TO "app";');
    expect(s.sql).toContain('GRANT "grp" TO "exists" WITH ADMIN OPTION;');
    expect(s.sql).not.toMatch(/ALTER ROLE "exists"|CREATE ROLE "exists"|CREATE ROLE "postgres"/);
  });

  it('a readable verifier is carried as is (in the script on stdin, never argv)', () => {
    const g = globals({ roles: [role('app', { rolcanlogin: true, rolpassword: 'SCRAM-SHA-256$4096:abc' })] });
    const s = createRolesScript(g, g.roles, new Set());
    expect(s.noLogin).toEqual([]);
    expect(s.sql).toContain("LOGIN NOREPLICATION NOBYPASSRLS CONNECTION LIMIT -1 PASSWORD 'SCRAM-SHA-256$4096:abc'");
  });

  it('CREATE DATABASE carries encoding, collation and provider; the ICU provider needs PostgreSQL 15', () => {
    expect(createDatabaseSql(globals(), 'a "b"', 'owner', 150000)).toBe(
      `CREATE DATABASE "a ""b""" WITH TEMPLATE template0 OWNER "owner" ENCODING 'UTF8' LC_COLLATE 'C' LC_CTYPE 'C.UTF-8' CONNECTION LIMIT -1`,
    );
    const icu = globals({ database: { ...globals().database, provider: 'i', locale: 'de-DE' } });
    expect(createDatabaseSql(icu, 'x', 'o', 170000)).toContain(`LOCALE_PROVIDER icu ICU_LOCALE 'de-DE'`);
    expect(() => createDatabaseSql(icu, 'x', 'o', 140000)).toThrow(/ICU locale provider/);
  });

  it('database ACL replaces the defaults; grants to roles missing here are skipped and reported', () => {
    const g = globals({
      database: {
        ...globals().database,
        comment: "it's",
        acl: [
          { grantee: null, privilege: 'TEMPORARY', grantable: false },
          { grantee: 'reader', privilege: 'CONNECT', grantable: false },
          { grantee: 'gone', privilege: 'CONNECT', grantable: true },
        ],
        settings: [
          { role: null, config: ['search_path=app'] },
          { role: 'gone', config: ['work_mem=1MB'] },
        ],
      },
    });
    const p = databasePropertiesScript(g, 'side', (r) => r !== 'gone');
    expect(p.sql.split('\n')).toEqual([
      `COMMENT ON DATABASE "side" IS 'it''s';`,
      'REVOKE ALL ON DATABASE "side" FROM PUBLIC;',
      'REVOKE ALL ON DATABASE "side" FROM "owner";',
      'GRANT TEMPORARY ON DATABASE "side" TO PUBLIC;',
      'GRANT CONNECT ON DATABASE "side" TO "reader";',
      `ALTER DATABASE "side" SET "search_path" TO 'app';`,
    ]);
    expect(p.skipped).toEqual(['GRANT CONNECT ON DATABASE to gone', 'settings of role gone in the database']);
  });

  it('PostgreSQL 12 (no WITH (FORCE)): sessions are ended, then the database dropped', () => {
    expect(dropDatabaseSql('a b', 120000)).toEqual([
      `SELECT count(pg_terminate_backend(pid)) FROM pg_stat_activity WHERE datname = 'a b' AND pid <> pg_backend_pid()`,
      'DROP DATABASE IF EXISTS "a b"',
    ]);
    expect(dropDatabaseSql('a b', 130000)).toEqual(['DROP DATABASE IF EXISTS "a b" WITH (FORCE)']);
  });

  it('side names fit 63 bytes; names libpq would misread are passed as conninfo', () => {
    const h = (s: string) => createHash('sha256').update(s).digest('hex');
    expect(sideNames('shop', h).previous).toBe('shop.safehold-previous');
    const long = 'ü'.repeat(30);
    const n = sideNames(long, h);
    for (const x of Object.values(n)) expect(Buffer.byteLength(x)).toBeLessThanOrEqual(63);
    expect(new Set(Object.values(n)).size).toBe(3);
    expect(dbConninfo("a=b 'c' \\d")).toBe("dbname='a=b \\'c\\' \\\\d'");
    expect(quoteIdent('Mixed "Case"')).toBe('"Mixed ""Case"""');
  });
});
