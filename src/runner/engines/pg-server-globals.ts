// PostgreSQL, a whole server: every role it has (attributes, memberships), its tablespaces, the databases a
// `databases:` selection takes, and the same globals as a psql script. Pure: queries and scripts; components/server/ runs them.
import { quoteIdent } from './pg-quote.js';
import { createRolesScript, FIRST_NORMAL_OID, quoteLiteral, type PgMembership, type PgRole } from './postgres-globals.js';

export const PG_SERVER_GLOBALS_FORMAT = 'safehold.pg-server-globals/v1';

export interface PgTablespace {
  readonly name: string;
  readonly owner: string;
  readonly location: string;
  readonly options: readonly string[] | null;
}

export interface PgServerGlobals {
  readonly format: typeof PG_SERVER_GLOBALS_FORMAT;
  readonly serverVersionNum: number;
  /** The values asked for password verifiers (passwords: true) and the login could read them. */
  readonly passwords: boolean;
  /** Every role the server made (no built-in role, never the bootstrap superuser). */
  readonly roles: readonly PgRole[];
  readonly memberships: readonly PgMembership[];
  readonly tablespaces: readonly PgTablespace[];
}

/** Every role above the built-in OIDs with its attributes (verifiers only when asked), their memberships, the tablespaces. */
export function serverGlobalsSql(passwords: boolean): string {
  const password = passwords ? '(SELECT a.rolpassword FROM pg_catalog.pg_authid a WHERE a.oid = r.oid)' : 'NULL::text';
  return `SELECT json_build_object(
  'format', '${PG_SERVER_GLOBALS_FORMAT}',
  'serverVersionNum', current_setting('server_version_num')::int,
  'passwords', ${passwords ? 'true' : 'false'},
  'roles', (SELECT coalesce(json_agg(json_build_object(
      'rolname', r.rolname, 'oid', r.oid::bigint, 'rolsuper', r.rolsuper, 'rolinherit', r.rolinherit,
      'rolcreaterole', r.rolcreaterole, 'rolcreatedb', r.rolcreatedb, 'rolcanlogin', r.rolcanlogin,
      'rolreplication', r.rolreplication, 'rolbypassrls', r.rolbypassrls, 'rolconnlimit', r.rolconnlimit,
      'rolvaliduntil', r.rolvaliduntil, 'rolconfig', r.rolconfig, 'rolpassword', ${password}) ORDER BY r.rolname), '[]'::json)
    FROM pg_catalog.pg_roles r WHERE r.oid >= ${FIRST_NORMAL_OID}),
  'memberships', (SELECT coalesce(json_agg(json_build_object(
      'role_name', pg_catalog.pg_get_userbyid(m.roleid), 'member_name', pg_catalog.pg_get_userbyid(m.member),
      'admin_option', m.admin_option) ORDER BY pg_catalog.pg_get_userbyid(m.roleid), pg_catalog.pg_get_userbyid(m.member)), '[]'::json)
    FROM pg_catalog.pg_auth_members m WHERE m.member >= ${FIRST_NORMAL_OID}),
  'tablespaces', (SELECT coalesce(json_agg(json_build_object(
      'name', t.spcname, 'owner', pg_catalog.pg_get_userbyid(t.spcowner), 'location', pg_catalog.pg_tablespace_location(t.oid),
      'options', t.spcoptions) ORDER BY t.spcname), '[]'::json)
    FROM pg_catalog.pg_tablespace t WHERE t.oid >= ${FIRST_NORMAL_OID})
)`;
}

/** The databases a selection may take: not templates, connectable (names are filtered further by select.ts). */
export const LIST_DATABASES_SQL =
  "SELECT coalesce(json_agg(datname ORDER BY datname), '[]'::json) FROM pg_catalog.pg_database WHERE NOT datistemplate AND datallowconn";

/** User relations and functions in the maintenance database `postgres`, which a whole-server backup leaves out (a warning). */
export const USER_OBJECTS_SQL = `SELECT (SELECT count(*) FROM pg_catalog.pg_class c JOIN pg_catalog.pg_namespace n ON n.oid = c.relnamespace
   WHERE c.relkind IN ('r', 'p', 'v', 'm', 'S', 'f') AND n.nspname NOT IN ('pg_catalog', 'information_schema') AND n.nspname NOT LIKE 'pg\\_toast%')
 + (SELECT count(*) FROM pg_catalog.pg_proc p JOIN pg_catalog.pg_namespace n ON n.oid = p.pronamespace
   WHERE n.nspname NOT IN ('pg_catalog', 'information_schema'))`;

/**
 * The globals as a psql script, what `pg_dumpall --globals-only` prints (without the bootstrap superuser, and
 * without verifiers unless the set recorded them): for people who rebuild the roles with psql alone.
 */
export function globalsScript(g: PgServerGlobals): string {
  const roles = createRolesScript({ passwordsReadable: true, memberships: g.memberships }, g.roles, new Set());
  const names = new Set(g.roles.map((r) => r.rolname));
  return [
    '-- safehold: roles, memberships and tablespaces of the server (psql -f; CREATE ROLE fails for a role that exists)',
    'SET standard_conforming_strings = on;',
    roles.sql,
    ...g.tablespaces.map((t) => `${createTablespaceSql(t, names.has(t.owner))};`),
    '',
  ].join('\n');
}

/** CREATE TABLESPACE (one statement: it cannot run inside a transaction). */
export function createTablespaceSql(t: PgTablespace, ownerExists: boolean): string {
  const options = t.options?.length ? ` WITH (${t.options.map((o) => o.replace(/[^A-Za-z0-9_.=]/g, '')).join(', ')})` : '';
  return `CREATE TABLESPACE ${quoteIdent(t.name)}${ownerExists ? ` OWNER ${quoteIdent(t.owner)}` : ''} LOCATION ${quoteLiteral(t.location)}${options}`;
}

/** Can the login read password verifiers (pg_authid)? */
export { PASSWORDS_READABLE_SQL as PASSWORDS_SQL } from './postgres-globals.js';
