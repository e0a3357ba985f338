// What a drill runs against a scratch target (pure): SQL through psql / mariadb, table lists, dump tables of contents.
import { BINARIES, binaryPath } from '../binaries.js';
import { mysqlEnv, quoteMysqlIdent } from '../engines/mysql.js';
import { dbConninfo } from '../engines/pg-quote.js';
import { pgEnv, quoteIdent } from '../engines/postgres.js';
import type { Endpoint } from '../engines/types.js';
import type { ProcessSpec } from '../process/spawn.js';

export type SqlDialect = 'postgres' | 'mysql';

/** Which client speaks to a component type's server; undefined for non-SQL types. */
export function dialectOf(type: string): SqlDialect | undefined {
  if (type === 'postgres' || type === 'cockroachdb') return 'postgres';
  if (type === 'mysql') return 'mysql';
  return undefined;
}

/**
 * A query against the endpoint's database; the SQL goes to the client's stdin, never into argv.
 * Output: rows on lines, no headers, unescaped; psql separates columns with "|", mariadb with a tab.
 */
export function sqlQuery(dialect: SqlDialect, e: Endpoint): ProcessSpec {
  if (dialect === 'postgres') {
    const user = e.username ? ['-U', e.username] : [];
    return {
      cmd: binaryPath(BINARIES.psql),
      args: ['-X', '-q', '-A', '-t', '-v', 'ON_ERROR_STOP=1', '-h', e.host, '-p', String(e.port), ...user, '-d', dbConninfo(e.database ?? 'postgres')],
      env: pgEnv(e),
    };
  }
  const user = e.username ? ['-u', e.username] : [];
  return {
    cmd: binaryPath(BINARIES.mysql),
    args: [
      '--no-defaults',
      '--protocol=TCP',
      '-h',
      e.host,
      '-P',
      String(e.port),
      ...user,
      '--default-character-set=utf8mb4',
      '--batch',
      '--raw',
      '--skip-column-names',
      ...(e.database ? [e.database] : []),
    ],
    env: mysqlEnv(e),
  };
}

/** `schema.table` quoted for the dialect (the values allow [A-Za-z0-9_.]). */
export function quoteTable(dialect: SqlDialect, table: string): string {
  const q = dialect === 'postgres' ? quoteIdent : quoteMysqlIdent;
  return table.split('.').map(q).join('.');
}

export const countRowsSql = (dialect: SqlDialect, table: string): string => `SELECT count(*) FROM ${quoteTable(dialect, table)};`;

/** The user tables of the scratch database, one JSON array of [schema, name] pairs (names may hold any character). */
export function tablesSql(dialect: SqlDialect): string {
  if (dialect === 'postgres') {
    return `SELECT coalesce(json_agg(json_build_array(n.nspname, c.relname)), '[]') FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
      WHERE c.relkind IN ('r', 'p') AND n.nspname NOT IN ('pg_catalog', 'information_schema', 'crdb_internal', 'pg_extension') AND n.nspname NOT LIKE 'pg\\_toast%' AND n.nspname NOT LIKE 'pg\\_temp%';`;
  }
  return `SELECT coalesce(JSON_ARRAYAGG(JSON_ARRAY(table_schema, table_name)), '[]') FROM information_schema.tables WHERE table_schema = DATABASE();`;
}

/** Whether a database exists on the server (connects to the server's default database). */
export function databaseExistsSql(dialect: SqlDialect, name: string): string {
  const quoted = name.replace(/'/g, "''");
  return dialect === 'postgres'
    ? `SELECT count(*) FROM pg_database WHERE datname = '${quoted}';`
    : `SELECT count(*) FROM information_schema.schemata WHERE schema_name = '${quoted.replace(/\\/g, '\\\\')}';`;
}

export function parseTables(out: string): Array<[string, string]> {
  const text = out.trim();
  return text ? (JSON.parse(text) as Array<[string, string]>) : [];
}

/**
 * The tables a pg_restore --list table of contents creates, as "<schema> <name>" prefixes of the
 * TOC's "<schema> <name> <owner>" (pg_restore prints names unquoted). Only entries of pg_class
 * (catalog 1259) described exactly TABLE: not TABLE DATA, TABLE ATTACH, views or sequences.
 */
export function tocTables(list: string): string[] {
  return list
    .split('\n')
    .map((l) => /^\d+; 1259 \d+ TABLE (.+)$/.exec(l.trimEnd())?.[1])
    .filter((x): x is string => !!x);
}

/** TOC entries (from tocTables) without a restored [schema, name]: the owner may follow the name, so a prefix match. */
export function missingFromToc(toc: readonly string[], restored: ReadonlyArray<[string, string]>): string[] {
  const have = restored.map(([s, n]) => `${s} ${n}`);
  return toc.filter((entry) => !have.some((h) => entry === h || entry.startsWith(`${h} `)));
}

/** Tables a mariadb-dump file creates: lines `CREATE TABLE \`name\` (`. */
export function createdTables(line: string): string | undefined {
  const m = /^CREATE TABLE (?:IF NOT EXISTS )?`((?:[^`]|``)+)`/.exec(line);
  return m?.[1].replace(/``/g, '`');
}

/** Total keys of every Redis database, from INFO keyspace (`db0:keys=3,expires=0,avg_ttl=0`). */
export function keyspaceKeys(info: string): number {
  let n = 0;
  for (const m of info.matchAll(/^db\d+:keys=(\d+)/gm)) n += Number(m[1]);
  return n;
}
