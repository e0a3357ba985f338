// CockroachDB: a plain-SQL dump written by psql from SHOW CREATE ALL TABLES and one COPY … TO STDOUT per table.
// Pure: no I/O, no environment reads (docs/engines.md).
//
// pg_dump refuses CockroachDB (it reads catalog details CockroachDB does not implement), and the
// native BACKUP … INTO writes to cloud storage, not to a stream. So the dump is a psql script (on
// psql's stdin, never in argv) that runs in ONE read-only transaction AS OF SYSTEM TIME — every
// statement sees the same snapshot — and prints a script for psql to restore:
//   DROP … IF EXISTS … CASCADE for every view, table and sequence (a restore replaces them),
//   CREATE SCHEMA IF NOT EXISTS for user schemas, the CREATE statements of SHOW CREATE ALL TABLES,
//   per table `COPY t (cols) FROM stdin;` + the rows of `COPY (SELECT cols FROM t) TO STDOUT` + `\.`
//   (computed and hidden columns left out: they are not data), setval() for every sequence,
//   REFRESH of materialized views, then the ALTER statements (foreign keys, validation) — so
//   rows load before the constraints that reference them — and "-- Dump completed" last.
// Needs CockroachDB ≥ 22.2 (COPY TO). Not in the dump: user-defined types (enums), functions,
// roles and grants, zone configurations. Written against CockroachDB's documentation; the test
// suite can only run it against PostgreSQL with a stand-in for SHOW CREATE ALL TABLES.
import { BINARIES } from '../binaries.js';
import type { ProcessSpec } from '../process/spawn.js';
import { psql, psqlScript, quoteIdent } from './postgres.js';
import type { Endpoint, StreamEngine, VersionVerdict } from './types.js';
import { parseVersion } from './version.js';

/** The parts of the dump script that are specific to CockroachDB (a test substitutes PostgreSQL equivalents). */
export interface CockroachDialect {
  /** Opens the read-only snapshot transaction. */
  readonly begin: string;
  /** A relation with a create_statement column: CREATE statements first, then the ALTERs that add constraints. */
  readonly createStatements: string;
  /** Extra condition on information_schema.columns `c`: CockroachDB's hidden rowid is not data. */
  readonly columnFilter: string;
}

export const COCKROACH: CockroachDialect = {
  begin: "BEGIN AS OF SYSTEM TIME '-1s';",
  createStatements: '[SHOW CREATE ALL TABLES]',
  columnFilter: "AND c.is_hidden = 'NO'",
};

const SYSTEM_SCHEMAS = "('pg_catalog', 'information_schema', 'crdb_internal', 'pg_extension', 'pg_toast')";
const USER_SCHEMA = `n.nspname NOT IN ${SYSTEM_SCHEMAS} AND n.nspname NOT LIKE 'pg\\_temp%'`;
const RELATIONS = 'pg_catalog.pg_class c JOIN pg_catalog.pg_namespace n ON n.oid = c.relnamespace';
const QNAME = "quote_ident(n.nspname) || '.' || quote_ident(c.relname)";

/** The psql script that writes the dump to stdout. Pure text: no user input goes into it. */
export function cockroachDumpScript(d: CockroachDialect = COCKROACH): string {
  return [
    '\\set ON_ERROR_STOP 1',
    '\\set QUIET 1',
    '\\pset format unaligned',
    '\\pset tuples_only on',
    '\\pset footer off',
    d.begin,
    "SELECT '-- safehold CockroachDB dump: restore with psql -v ON_ERROR_STOP=1 into an empty or existing database';",
    // Views before tables before sequences; CASCADE takes dependent views and foreign keys along.
    `SELECT 'DROP ' || CASE c.relkind WHEN 'v' THEN 'VIEW' WHEN 'm' THEN 'MATERIALIZED VIEW' WHEN 'S' THEN 'SEQUENCE' ELSE 'TABLE' END || ' IF EXISTS ' || ${QNAME} || ' CASCADE;'
  FROM ${RELATIONS} WHERE c.relkind IN ('r', 'v', 'm', 'S') AND ${USER_SCHEMA}
  ORDER BY CASE c.relkind WHEN 'r' THEN 1 WHEN 'S' THEN 2 ELSE 0 END, 1;`,
    `SELECT 'CREATE SCHEMA IF NOT EXISTS ' || quote_ident(n.nspname) || ';' FROM pg_catalog.pg_namespace n WHERE ${USER_SCHEMA} AND n.nspname <> 'public' ORDER BY 1;`,
    `SELECT rtrim(s.create_statement, ';') || ';' FROM ${d.createStatements} AS s WHERE s.create_statement NOT LIKE 'ALTER %';`,
    // Each row becomes three statements run by \gexec: the COPY header, the rows, the end marker.
    `SELECT 'SELECT ' || quote_literal('COPY ' || t.q || ' (' || t.cols || ') FROM stdin;'),
       'COPY (SELECT ' || t.cols || ' FROM ' || t.q || ') TO STDOUT',
       'SELECT ''\\.'''
  FROM (SELECT quote_ident(c.table_schema) || '.' || quote_ident(c.table_name) AS q,
               string_agg(quote_ident(c.column_name), ', ' ORDER BY c.ordinal_position) AS cols
          FROM information_schema.columns c
          JOIN information_schema.tables tb ON tb.table_schema = c.table_schema AND tb.table_name = c.table_name
         WHERE tb.table_type = 'BASE TABLE' AND c.table_schema NOT IN ${SYSTEM_SCHEMAS}
           AND c.is_generated IN ('NO', 'NEVER') ${d.columnFilter}
         GROUP BY c.table_schema, c.table_name) t
  ORDER BY t.q \\gexec`,
    `SELECT 'SELECT ' || quote_literal('SELECT setval(' || quote_literal(${QNAME}) || ', ') || ' || CAST(last_value AS TEXT) || '', '' || CASE WHEN is_called THEN ''true'' ELSE ''false'' END || '');'' FROM ' || ${QNAME}
  FROM ${RELATIONS} WHERE c.relkind = 'S' AND ${USER_SCHEMA} ORDER BY 1 \\gexec`,
    `SELECT 'REFRESH MATERIALIZED VIEW ' || ${QNAME} || ';' FROM ${RELATIONS} WHERE c.relkind = 'm' AND ${USER_SCHEMA} ORDER BY 1;`,
    `SELECT rtrim(s.create_statement, ';') || ';' FROM ${d.createStatements} AS s WHERE s.create_statement LIKE 'ALTER %';`,
    "SELECT '-- Dump completed';",
    'COMMIT;',
    '',
  ].join('\n');
}

const sql = (e: Endpoint, statement: string, db = 'defaultdb'): ProcessSpec => psql(e, statement, db);

/** COPY … TO STDOUT arrived in CockroachDB 22.2; anything that is not CockroachDB is refused (use type postgres). */
export function cockroachVerdict(clientOut: string, serverOut: string): VersionVerdict {
  const client = parseVersion(clientOut)?.text ?? clientOut.trim();
  const m = /CockroachDB\b.*?v(\d+)\.(\d+)(?:\.\d+)?/.exec(serverOut);
  if (!m)
    return {
      client,
      server: serverOut.trim(),
      refuse: `the server is not CockroachDB (version(): ${serverOut.trim().slice(0, 80)}); for PostgreSQL use a component of type postgres`,
    };
  const [major, minor] = [Number(m[1]), Number(m[2])];
  const server = m[0].replace(/^.*?v/, '');
  if (major < 22 || (major === 22 && minor < 2))
    return { client, server, refuse: `CockroachDB ${server} has no COPY … TO STDOUT, which the dump needs: upgrade to 22.2 or later` };
  return { client, server };
}

export const cockroachdb: StreamEngine = {
  type: 'cockroachdb',
  fileName: (name) => `${name}.crdb.sql`,
  dump: (e) => ({ ...psqlScript(e, 'defaultdb'), input: cockroachDumpScript() }),
  versions: (e) => ({
    client: { cmd: BINARIES.psql, args: ['--version'] },
    server: sql(e, 'SELECT version()', e.database),
    judge: cockroachVerdict,
  }),
  checkFile: () => 'sql-trailer',
  restore: (e) => [psqlScript(e, 'defaultdb')],
  recreate: (e) => [sql(e, `DROP DATABASE IF EXISTS ${quoteIdent(e.database!)} CASCADE`), sql(e, `CREATE DATABASE ${quoteIdent(e.database!)}`)],
  drop: (e) => [sql(e, `DROP DATABASE IF EXISTS ${quoteIdent(e.database!)} CASCADE`)],
};
