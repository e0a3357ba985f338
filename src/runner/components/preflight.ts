// Before the first byte of a backup: every database component is connected to, versioned and checked for the
// privileges its dump needs. A failure names the component, what is missing and the fix; nothing is stored.
import { RefusedError } from '../../errors.js';
import type { Component } from '../../values/components.js';
import type { RunContext } from '../context.js';
import { endpointOf, streamEngine } from '../engines/index.js';
import { hex, mysqlLines } from '../engines/mysql-globals.js';
import { mysqlStatement, quoteMysqlIdent } from '../engines/mysql.js';
import { psql } from '../engines/postgres.js';
import { quoteIdent } from '../engines/pg-quote.js';
import { RespClient } from '../engines/resp.js';
import { tlsProblem } from '../engines/tls.js';
import type { Endpoint } from '../engines/types.js';
import { run, type ProcessSpec } from '../process/spawn.js';
import type { RestoreTarget } from './types.js';
import { targetEndpoint } from './stream.js';

/** Relations and sequences of the database the login cannot read (pg_dump would fail on the first). */
export const UNREADABLE_SQL = `SELECT coalesce(string_agg(format('%I.%I', n.nspname, c.relname), ', ' ORDER BY 1), '')
  FROM pg_catalog.pg_class c JOIN pg_catalog.pg_namespace n ON n.oid = c.relnamespace
 WHERE c.relkind IN ('r', 'p', 'S', 'v', 'm', 'f') AND n.nspname NOT IN ('pg_catalog', 'information_schema') AND n.nspname NOT LIKE 'pg\\_toast%'
   AND (NOT has_schema_privilege(n.oid, 'USAGE') OR NOT CASE WHEN c.relkind = 'S' THEN has_sequence_privilege(c.oid, 'SELECT') ELSE has_table_privilege(c.oid, 'SELECT') END)`;

async function postgresProblems(where: string, e: Endpoint): Promise<string[]> {
  const out = (await run(psql(e, `SELECT current_user || E'\\t' || (${UNREADABLE_SQL})`, e.database))).stdout.trim();
  const [login, unreadable] = out.split('\t');
  if (!unreadable) return [];
  return [
    `${where}: login ${login} cannot read ${unreadable}; grant it, e.g. GRANT pg_read_all_data TO ${quoteIdent(login)}; (PostgreSQL 14+) or GRANT USAGE ON SCHEMA … / GRANT SELECT ON ALL TABLES IN SCHEMA … TO ${quoteIdent(login)};`,
  ];
}

/** The account the server matched this login to, as information_schema writes grantees: 'user'@'host'. */
const GRANTEE = `CONCAT('''', LEFT(CURRENT_USER(), LENGTH(CURRENT_USER()) - LENGTH(SUBSTRING_INDEX(CURRENT_USER(), '@', -1)) - 1), '''@''', SUBSTRING_INDEX(CURRENT_USER(), '@', -1), '''')`;
/** A privilege held on every database (global) or on this one (a database grant, wildcards included). */
const held = (db: string, priv: string) =>
  `(EXISTS (SELECT 1 FROM information_schema.USER_PRIVILEGES WHERE GRANTEE = ${GRANTEE} AND PRIVILEGE_TYPE = '${priv}') OR EXISTS (SELECT 1 FROM information_schema.SCHEMA_PRIVILEGES WHERE GRANTEE = ${GRANTEE} AND PRIVILEGE_TYPE = '${priv}' AND ${db} LIKE TABLE_SCHEMA))`;

/**
 * What mariadb-dump --routines --triggers --events lacks for this database, comma-separated (empty: nothing). Without
 * TRIGGER or the right to read routine bodies the dump leaves triggers and routines out and still exits 0 (they are
 * invisible to the login); without SHOW VIEW or EVENT it fails midway. Then the current account and whether it is MariaDB.
 */
export function mysqlMissingPrivilegesSql(database: string): string {
  const d = hex(database);
  const routines = `(${held(d, 'SHOW CREATE ROUTINE')} OR ${held(d, 'SHOW_ROUTINE')} OR EXISTS (SELECT 1 FROM information_schema.USER_PRIVILEGES WHERE GRANTEE = ${GRANTEE} AND PRIVILEGE_TYPE = 'SELECT') OR ${held(`'mysql'`, 'SELECT')} OR EXISTS (SELECT 1 FROM information_schema.TABLE_PRIVILEGES WHERE GRANTEE = ${GRANTEE} AND TABLE_SCHEMA = 'mysql' AND TABLE_NAME = 'proc' AND PRIVILEGE_TYPE = 'SELECT'))`;
  const views = `EXISTS (SELECT 1 FROM information_schema.TABLES WHERE TABLE_SCHEMA = ${d} AND TABLE_TYPE = 'VIEW')`;
  return `SELECT CONCAT_WS(',', IF(${views} AND NOT ${held(d, 'SHOW VIEW')}, 'SHOW VIEW', NULL), IF(NOT ${held(d, 'TRIGGER')}, 'TRIGGER', NULL), IF(NOT ${held(d, 'EVENT')}, 'EVENT', NULL), IF(NOT ${routines}, 'routines', NULL)), ${GRANTEE}, VERSION() LIKE '%MariaDB%'`;
}

/** The statements that give a login what mysqlMissingPrivilegesSql found missing. */
export function mysqlGrantFix(missing: readonly string[], database: string, grantee: string, mariadb: boolean): string {
  const onDb = missing.filter((m) => m !== 'routines');
  return [
    ...(onDb.length ? [`GRANT ${onDb.join(', ')} ON ${quoteMysqlIdent(database)}.* TO ${grantee};`] : []),
    ...(missing.includes('routines') ? [mariadb ? `GRANT SELECT ON mysql.proc TO ${grantee};` : `GRANT SHOW_ROUTINE ON *.* TO ${grantee};`] : []),
  ].join(' ');
}

async function mysqlProblems(where: string, e: Endpoint): Promise<string[]> {
  // A whole server (databases: all) is dumped by a login that needs global privileges: only the connection is checked.
  if (!e.database) return run(mysqlStatement(e, 'SELECT 1')).then(() => []);
  const [line = ''] = await mysqlLines(e, mysqlMissingPrivilegesSql(e.database));
  const [missing, grantee, mariadb] = line.split('\t');
  if (!missing) return [];
  const list = missing.split(',');
  const what = list.map((m) => (m === 'routines' ? 'the right to read routines (without it they are left out of the dump)' : m));
  return [
    `${where}: login ${grantee} lacks ${what.join(', ')} for database ${e.database}; grant it: ${mysqlGrantFix(list, e.database!, grantee, mariadb === '1')}`,
  ];
}

async function redisProblems(where: string, field: string, e: Endpoint): Promise<string[]> {
  const client = await RespClient.connect({ host: e.host, port: e.port });
  try {
    await client.auth({ username: e.username, password: e.password });
    const pong = await client.call('PING');
    const text = Buffer.isBuffer(pong) ? pong.toString('utf8') : String(pong);
    if (/NOAUTH/i.test(text))
      return [`${where}: the Redis server requires a password and none was given: set ${field}.credentials: { secretName: <Secret>, passwordKey: password }`];
    return [];
  } catch (err) {
    const msg = (err as Error).message;
    if (/NOAUTH/i.test(msg))
      return [`${where}: the Redis server requires a password and none was given: set ${field}.credentials: { secretName: <Secret>, passwordKey: password }`];
    if (/WRONGPASS|invalid password|invalid username/i.test(msg)) return [`${where}: the Redis server refused the password from ${field}.credentials (${msg})`];
    throw err;
  } finally {
    client.close();
  }
}

/** Every problem of every component, collected before any dump starts. */
export async function preflight(ctx: RunContext): Promise<void> {
  const problems: string[] = [];
  for (const [i, c] of ctx.values.components.entries()) {
    if (!('host' in c) || !streamEngine(c.type)) continue;
    const field = `components[${i}]`;
    const where = `${field} (${c.name})`;
    try {
      problems.push(...(await componentProblems(c, where, field, endpointOf(c, ctx.secrets))));
    } catch (err) {
      problems.push(connectFailure(where, field, `${c.host}:${c.port}`, err));
    }
  }
  if (problems.length) throw new RefusedError(`backup refused before any dump, nothing was stored:\n  ${problems.join('\n  ')}`);
}

/** Why a connection failed: a TLS problem says which field to fix; anything else the first lines of the error. */
function connectFailure(where: string, field: string, server: string, err: unknown): string {
  const msg = (err as Error).message;
  return tlsProblem(where, field, server, msg) ?? `${where}: cannot connect to ${server}: ${msg.split('\n').slice(0, 3).join(' | ')}`;
}

/** A query every server of the type answers, in a database that exists before any restore (the target may be dropped). */
function pingSpec(c: Component, e: Endpoint): ProcessSpec | undefined {
  if (c.type === 'postgres') return psql(e, 'SELECT 1', 'postgres');
  if (c.type === 'cockroachdb') return psql(e, 'SELECT 1', 'defaultdb');
  if (c.type === 'mysql') return mysqlStatement(e, 'SELECT 1');
  return undefined;
}

/** Before a restore claims its request: every database server it writes to answers (TLS and login checked); nothing changed otherwise. */
export async function refuseUnreachable(ctx: RunContext, components: readonly Component[], targets?: Readonly<Record<string, RestoreTarget>>): Promise<void> {
  const problems: string[] = [];
  for (const c of components) {
    const i = ctx.values.components.indexOf(c);
    const e = 'host' in c ? targetEndpoint(c, ctx.secrets, targets?.[c.name]) : undefined;
    const spec = e && pingSpec(c, e);
    if (!spec || !e) continue;
    await run(spec).catch((err) => problems.push(connectFailure(`components[${i}] (${c.name})`, `components[${i}]`, `${e.host}:${e.port}`, err)));
  }
  if (problems.length) throw new RefusedError(`restore refused, nothing was changed:\n  ${problems.join('\n  ')}`);
}

async function componentProblems(c: Component, where: string, field: string, e: Endpoint): Promise<string[]> {
  if (c.type === 'postgres') return postgresProblems(where, e);
  if (c.type === 'redis') return redisProblems(where, field, e);
  // The dump's client connects the same way: TLS and login are checked here, before anything is stored, then the privileges.
  if (c.type === 'mysql') return mysqlProblems(where, e);
  return [];
}
