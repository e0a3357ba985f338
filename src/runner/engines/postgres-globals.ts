// PostgreSQL: what a database needs to exist again (its properties and the roles it references), and the
// SQL that recreates what is missing. Pure: the capture query and the scripts; components/pg-swap.ts runs them.
import { quoteIdent } from './pg-quote.js';

export const PG_GLOBALS_FORMAT = 'safehold.pg-globals/v1';

export interface PgAcl {
  /** null = PUBLIC */
  readonly grantee: string | null;
  readonly privilege: string;
  readonly grantable: boolean;
}

export interface PgRole {
  readonly rolname: string;
  readonly oid: number;
  readonly rolsuper: boolean;
  readonly rolinherit: boolean;
  readonly rolcreaterole: boolean;
  readonly rolcreatedb: boolean;
  readonly rolcanlogin: boolean;
  readonly rolreplication: boolean;
  readonly rolbypassrls: boolean;
  readonly rolconnlimit: number;
  readonly rolvaliduntil: string | null;
  readonly rolconfig: readonly string[] | null;
  /** The password verifier; null when the role has none or when it could not be read (see passwordsReadable). */
  readonly rolpassword: string | null;
}

export interface PgMembership {
  readonly role_name: string;
  readonly member_name: string;
  readonly admin_option: boolean;
}

export interface PgGlobals {
  readonly format: typeof PG_GLOBALS_FORMAT;
  readonly serverVersionNum: number;
  /** False when the backup login could not read pg_authid: login roles then come back NOLOGIN. */
  readonly passwordsReadable: boolean;
  readonly database: {
    readonly name: string;
    readonly owner: string;
    readonly encoding: string;
    readonly collate: string;
    readonly ctype: string;
    /** c = libc, i = ICU, b = builtin (PostgreSQL 17); absent before 15. */
    readonly provider?: string;
    /** ICU locale (15–16: daticulocale) or the provider's locale (17: datlocale). */
    readonly locale?: string;
    readonly icuRules?: string;
    readonly connLimit: number;
    readonly comment: string | null;
    /** null = the default privileges. */
    readonly acl: readonly PgAcl[] | null;
    /** ALTER DATABASE … SET (role null) and ALTER ROLE … IN DATABASE … SET. */
    readonly settings: ReadonlyArray<{ readonly role: string | null; readonly config: readonly string[] }>;
  };
  readonly roles: readonly PgRole[];
  readonly memberships: readonly PgMembership[];
}

/** The first OID of user objects: lower OIDs are built in (bootstrap superuser, pg_* roles) and exist on every server. */
export const FIRST_NORMAL_OID = 16384;

/** Can the login read password verifiers? */
export const PASSWORDS_READABLE_SQL = "SELECT has_table_privilege('pg_catalog.pg_authid', 'SELECT')";

/**
 * One query, one JSON document: the current database's row, comment, ACL and settings; every role its objects,
 * ACLs, default privileges and settings reference (pg_shdepend plus catalog owners), the members of those roles
 * (the application's login is usually a member of the role that holds the grants), the roles all of them belong to.
 */
export function captureSql(passwordsReadable: boolean): string {
  // Never the bootstrap superuser's verifier (built-in OIDs): a restore never creates that role anyway.
  const password = passwordsReadable ? `(SELECT a.rolpassword FROM pg_catalog.pg_authid a WHERE a.oid = r.oid AND r.oid >= ${FIRST_NORMAL_OID})` : 'NULL::text';
  return `
WITH d AS (SELECT oid AS dboid, * FROM pg_catalog.pg_database WHERE datname = current_database()),
refs AS (
  SELECT refobjid AS oid FROM pg_catalog.pg_shdepend, d
   WHERE refclassid = 'pg_catalog.pg_authid'::regclass
     AND (dbid = d.dboid OR (dbid = 0 AND classid = 'pg_catalog.pg_database'::regclass AND objid = d.dboid))
  UNION SELECT datdba FROM d
  UNION SELECT setrole FROM pg_catalog.pg_db_role_setting, d WHERE setdatabase = d.dboid AND setrole <> 0
  UNION SELECT relowner FROM pg_catalog.pg_class
  UNION SELECT nspowner FROM pg_catalog.pg_namespace
  UNION SELECT proowner FROM pg_catalog.pg_proc
  UNION SELECT typowner FROM pg_catalog.pg_type
  UNION SELECT e.grantee FROM d, pg_catalog.aclexplode(d.datacl) e WHERE e.grantee <> 0
),
down AS (
  WITH RECURSIVE w(oid) AS (SELECT oid FROM refs UNION SELECT m.member FROM pg_catalog.pg_auth_members m JOIN w ON m.roleid = w.oid)
  SELECT oid FROM w
),
roles AS (
  WITH RECURSIVE u(oid) AS (SELECT oid FROM down UNION SELECT m.roleid FROM pg_catalog.pg_auth_members m JOIN u ON m.member = u.oid)
  SELECT oid FROM u
)
SELECT json_build_object(
  'format', '${PG_GLOBALS_FORMAT}',
  'serverVersionNum', current_setting('server_version_num')::int,
  'passwordsReadable', ${passwordsReadable ? 'true' : 'false'},
  'database', (SELECT to_jsonb(d) - 'datfrozenxid' - 'datminmxid' || jsonb_build_object(
      'owner_name', pg_catalog.pg_get_userbyid(d.datdba),
      'encoding_name', pg_catalog.pg_encoding_to_char(d.encoding),
      'comment', pg_catalog.shobj_description(d.dboid, 'pg_database'),
      'acl', (SELECT jsonb_agg(jsonb_build_object(
                 'grantee', CASE WHEN e.grantee = 0 THEN NULL ELSE pg_catalog.pg_get_userbyid(e.grantee) END,
                 'privilege', e.privilege_type, 'grantable', e.is_grantable) ORDER BY e.grantee, e.privilege_type)
              FROM pg_catalog.aclexplode(d.datacl) e),
      'settings', (SELECT coalesce(jsonb_agg(jsonb_build_object(
                 'role', CASE WHEN s.setrole = 0 THEN NULL ELSE pg_catalog.pg_get_userbyid(s.setrole) END,
                 'config', s.setconfig) ORDER BY s.setrole), '[]'::jsonb)
              FROM pg_catalog.pg_db_role_setting s WHERE s.setdatabase = d.dboid))
    FROM d),
  'roles', (SELECT coalesce(json_agg(json_build_object(
      'rolname', r.rolname, 'oid', r.oid::bigint, 'rolsuper', r.rolsuper, 'rolinherit', r.rolinherit,
      'rolcreaterole', r.rolcreaterole, 'rolcreatedb', r.rolcreatedb, 'rolcanlogin', r.rolcanlogin,
      'rolreplication', r.rolreplication, 'rolbypassrls', r.rolbypassrls, 'rolconnlimit', r.rolconnlimit,
      'rolvaliduntil', r.rolvaliduntil, 'rolconfig', r.rolconfig, 'rolpassword', ${password}) ORDER BY r.rolname), '[]'::json)
    FROM pg_catalog.pg_roles r WHERE r.oid IN (SELECT oid FROM roles)),
  'memberships', (SELECT coalesce(json_agg(json_build_object(
      'role_name', pg_catalog.pg_get_userbyid(m.roleid), 'member_name', pg_catalog.pg_get_userbyid(m.member),
      'admin_option', m.admin_option) ORDER BY 1), '[]'::json)
    FROM pg_catalog.pg_auth_members m WHERE m.member IN (SELECT oid FROM roles))
)`;
}

/** Turns the query's JSON into the recorded document (column names differ between PostgreSQL 12 and 17). */
export function parseCapture(json: string): PgGlobals {
  const raw = JSON.parse(json) as {
    serverVersionNum: number;
    passwordsReadable: boolean;
    database: Record<string, unknown>;
    roles: PgRole[];
    memberships: PgMembership[];
  };
  const d = raw.database;
  const str = (k: string) => (typeof d[k] === 'string' ? (d[k] as string) : undefined);
  return {
    format: PG_GLOBALS_FORMAT,
    serverVersionNum: raw.serverVersionNum,
    passwordsReadable: raw.passwordsReadable,
    database: {
      name: d.datname as string,
      owner: d.owner_name as string,
      encoding: d.encoding_name as string,
      collate: d.datcollate as string,
      ctype: d.datctype as string,
      ...(str('datlocprovider') ? { provider: str('datlocprovider') } : {}),
      ...((str('datlocale') ?? str('daticulocale')) ? { locale: str('datlocale') ?? str('daticulocale') } : {}),
      ...(str('daticurules') ? { icuRules: str('daticurules') } : {}),
      connLimit: d.datconnlimit as number,
      comment: (d.comment as string | null) ?? null,
      acl: (d.acl as PgAcl[] | null) ?? null,
      settings: (d.settings as PgGlobals['database']['settings']) ?? [],
    },
    roles: raw.roles,
    memberships: raw.memberships,
  };
}

/** A string literal; the scripts set standard_conforming_strings, so only quotes are doubled. */
export const quoteLiteral = (s: string): string => `'${s.replace(/'/g, "''")}'`;

/** Settings whose value is a list of items (pg_dump's GUC_LIST_QUOTE): each item is its own literal. */
const LIST_SETTINGS = new Set([
  'search_path',
  'temp_tablespaces',
  'session_preload_libraries',
  'local_preload_libraries',
  'shared_preload_libraries',
  'unix_socket_directories',
]);

/** Splits a stored list value (`app, "$user", public`) into its items, double quotes removed. */
export function splitListSetting(value: string): string[] {
  const out: string[] = [];
  let cur = '';
  let quoted = false;
  let started = false;
  for (let i = 0; i < value.length; i++) {
    const ch = value[i];
    if (quoted) {
      if (ch === '"' && value[i + 1] === '"') {
        cur += '"';
        i++;
      } else if (ch === '"') quoted = false;
      else cur += ch;
    } else if (ch === '"') {
      quoted = true;
      started = true;
    } else if (ch === ',') {
      out.push(started ? cur : cur.trim());
      cur = '';
      started = false;
    } else if (!(ch === ' ' && !cur && !started)) cur += ch;
  }
  out.push(started ? cur : cur.trim());
  return out.filter((x, i) => x !== '' || i < out.length - 1);
}

/** `name=value` as stored in setconfig/rolconfig → `name TO 'value'` (each list item quoted). */
export function settingClause(entry: string): string {
  const eq = entry.indexOf('=');
  const name = entry.slice(0, eq);
  const value = entry.slice(eq + 1);
  const items = LIST_SETTINGS.has(name.toLowerCase()) ? splitListSetting(value) : [value];
  return `${quoteIdent(name)} TO ${items.map(quoteLiteral).join(', ')}`;
}

/** Roles of the set to create on this server: not built in, and missing by name. Existing roles are never touched. */
export function missingRoles(g: Pick<PgGlobals, 'roles'>, existing: ReadonlySet<string>): PgRole[] {
  return g.roles.filter((r) => r.oid >= FIRST_NORMAL_OID && !existing.has(r.rolname));
}

export interface RoleScript {
  readonly sql: string;
  /** Login roles created NOLOGIN because their password verifier could not be read at backup time. */
  readonly noLogin: readonly string[];
}

/** CREATE ROLE for each missing role (attributes, verifier, settings), then the memberships that involve a created role. */
export function createRolesScript(
  g: Pick<PgGlobals, 'passwordsReadable' | 'memberships'>,
  create: readonly PgRole[],
  existing: ReadonlySet<string>,
): RoleScript {
  const created = new Set(create.map((r) => r.rolname));
  const noLogin: string[] = [];
  const lines: string[] = [];
  for (const r of create) {
    const login = r.rolcanlogin && (g.passwordsReadable || r.rolpassword !== null);
    if (r.rolcanlogin && !login) noLogin.push(r.rolname);
    const attrs = [
      r.rolsuper ? 'SUPERUSER' : 'NOSUPERUSER',
      r.rolinherit ? 'INHERIT' : 'NOINHERIT',
      r.rolcreaterole ? 'CREATEROLE' : 'NOCREATEROLE',
      r.rolcreatedb ? 'CREATEDB' : 'NOCREATEDB',
      login ? 'LOGIN' : 'NOLOGIN',
      r.rolreplication ? 'REPLICATION' : 'NOREPLICATION',
      r.rolbypassrls ? 'BYPASSRLS' : 'NOBYPASSRLS',
      `CONNECTION LIMIT ${Number(r.rolconnlimit)}`,
      ...(r.rolvaliduntil ? [`VALID UNTIL ${quoteLiteral(r.rolvaliduntil)}`] : []),
      ...(r.rolpassword ? [`PASSWORD ${quoteLiteral(r.rolpassword)}`] : []),
    ];
    lines.push(`CREATE ROLE ${quoteIdent(r.rolname)} WITH ${attrs.join(' ')};`);
    for (const s of r.rolconfig ?? []) lines.push(`ALTER ROLE ${quoteIdent(r.rolname)} SET ${settingClause(s)};`);
  }
  const known = (name: string) => created.has(name) || existing.has(name);
  for (const m of g.memberships) {
    if (!(created.has(m.member_name) || created.has(m.role_name)) || !known(m.member_name) || !known(m.role_name)) continue;
    lines.push(`GRANT ${quoteIdent(m.role_name)} TO ${quoteIdent(m.member_name)}${m.admin_option ? ' WITH ADMIN OPTION' : ''};`);
  }
  return { sql: lines.join('\n'), noLogin };
}

/** CREATE DATABASE with the recorded encoding, locale and provider (template0: the only template that takes them). */
export function createDatabaseSql(g: PgGlobals, name: string, owner: string, serverVersionNum: number): string {
  const d = g.database;
  const parts = [`CREATE DATABASE ${quoteIdent(name)} WITH TEMPLATE template0 OWNER ${quoteIdent(owner)} ENCODING ${quoteLiteral(d.encoding)}`];
  parts.push(`LC_COLLATE ${quoteLiteral(d.collate)} LC_CTYPE ${quoteLiteral(d.ctype)}`);
  if (d.provider && d.provider !== 'c') {
    if (serverVersionNum < 150000)
      throw new Error(`the database used the ${d.provider === 'i' ? 'ICU' : 'builtin'} locale provider, which this server (${serverVersionNum}) does not have`);
    parts.push(`LOCALE_PROVIDER ${d.provider === 'i' ? 'icu' : 'builtin'}`);
    if (d.locale) parts.push(`${d.provider === 'i' ? 'ICU_LOCALE' : 'BUILTIN_LOCALE'} ${quoteLiteral(d.locale)}`);
    if (d.icuRules && serverVersionNum >= 160000) parts.push(`ICU_RULES ${quoteLiteral(d.icuRules)}`);
  }
  parts.push(`CONNECTION LIMIT ${Number(d.connLimit)}`);
  return parts.join(' ');
}

/** Comment, ACL and settings of the database, applied to `name` (roles that do not exist here are skipped and reported). */
export function databasePropertiesScript(g: PgGlobals, name: string, roleExists: (r: string) => boolean): { sql: string; skipped: string[] } {
  const d = g.database;
  const db = quoteIdent(name);
  const lines: string[] = [];
  const skipped: string[] = [];
  if (d.comment !== null) lines.push(`COMMENT ON DATABASE ${db} IS ${quoteLiteral(d.comment)};`);
  if (d.acl) {
    lines.push(`REVOKE ALL ON DATABASE ${db} FROM PUBLIC;`);
    if (roleExists(d.owner)) lines.push(`REVOKE ALL ON DATABASE ${db} FROM ${quoteIdent(d.owner)};`);
    for (const a of d.acl) {
      if (a.grantee !== null && !roleExists(a.grantee)) {
        skipped.push(`GRANT ${a.privilege} ON DATABASE to ${a.grantee}`);
        continue;
      }
      lines.push(
        `GRANT ${a.privilege} ON DATABASE ${db} TO ${a.grantee === null ? 'PUBLIC' : quoteIdent(a.grantee)}${a.grantable ? ' WITH GRANT OPTION' : ''};`,
      );
    }
  }
  for (const s of d.settings) {
    if (s.role !== null && !roleExists(s.role)) {
      skipped.push(`settings of role ${s.role} in the database`);
      continue;
    }
    for (const entry of s.config) {
      lines.push(
        s.role === null
          ? `ALTER DATABASE ${db} SET ${settingClause(entry)};`
          : `ALTER ROLE ${quoteIdent(s.role)} IN DATABASE ${db} SET ${settingClause(entry)};`,
      );
    }
  }
  return { sql: lines.join('\n'), skipped };
}

/** The names a restore uses beside the target: PostgreSQL names are at most 63 bytes, so long names are hashed. */
export function sideNames(db: string, hash: (s: string) => string): { restoring: string; previous: string; discard: string } {
  const fit = (suffix: string) => (Buffer.byteLength(db + suffix) <= 63 ? db + suffix : `safehold-${hash(db).slice(0, 16)}${suffix}`);
  return { restoring: fit('.safehold-restoring'), previous: fit('.safehold-previous'), discard: fit('.safehold-discard') };
}
