// MySQL/MariaDB: mariadb-dump (one consistent transaction, plain SQL), restored by the mariadb client from a spooled file.
// Pure: no I/O, no environment reads (docs/engines.md).
//
// The dump names no database (no --databases, no USE), so it restores into any database — a
// drill's scratch database as well as production. Every object in it is preceded by its
// DROP … IF EXISTS (tables, views, triggers with their table, routines, events), so a restore over
// an existing database replaces what the dump holds and leaves other objects alone. The password
// travels in MYSQL_PWD, never in argv; --no-defaults keeps /etc/mysql and ~/.my.cnf out.
import { BINARIES } from '../binaries.js';
import type { ProcessSpec } from '../process/spawn.js';
import type { Endpoint, StreamEngine } from './types.js';
import { mysqlTlsArgs } from './tls.js';
import { lenientVerdict } from './version.js';

export function mysqlEnv(e: Endpoint): Record<string, string> {
  return e.password !== undefined ? { MYSQL_PWD: e.password } : {};
}

/** Connection flags; --no-defaults must come first. TCP always: "localhost" would otherwise mean the socket. */
const conn = (e: Endpoint): string[] => [
  '--no-defaults',
  '--protocol=TCP',
  '-h',
  e.host,
  '-P',
  String(e.port),
  ...(e.username ? ['-u', e.username] : []),
  ...mysqlTlsArgs(e),
];

/** Identifiers in backticks, backticks doubled. */
export const quoteMysqlIdent = (name: string): string => `\`${name.replace(/`/g, '``')}\``;

/** Plain SQL in utf8mb4 on both sides, so 4-byte characters survive whatever the server's default. */
const CHARSET = '--default-character-set=utf8mb4';

/** A single statement through the client (DDL outside any database). */
export function mysqlStatement(e: Endpoint, sql: string): ProcessSpec {
  return { cmd: BINARIES.mysql, args: [...conn(e), CHARSET, '--batch', '--skip-column-names', '-e', sql], env: mysqlEnv(e) };
}

/** The client applying statements read from stdin (they may carry password hashes: never in argv). */
export function mysqlScript(e: Endpoint): ProcessSpec {
  return { cmd: BINARIES.mysql, args: [...conn(e), CHARSET, '--batch'], env: mysqlEnv(e) };
}

/** MySQL/MariaDB tools read newer servers well enough; an old client is reported, not refused. */
const judgeVersions = lenientVerdict(BINARIES.mysqlDump);

export const mysql: StreamEngine = {
  type: 'mysql',
  fileName: (name) => `${name}.sql`,
  dump: (e) => ({
    cmd: BINARIES.mysqlDump,
    args: [
      ...conn(e),
      CHARSET,
      '--single-transaction',
      '--routines',
      '--triggers',
      '--events',
      '--hex-blob',
      '--no-tablespaces',
      '--skip-dump-date',
      e.database!,
    ],
    env: mysqlEnv(e),
  }),
  versions: (e) => ({
    client: { cmd: BINARIES.mysqlDump, args: ['--no-defaults', '--version'] },
    server: mysqlStatement(e, 'SELECT VERSION()'),
    judge: judgeVersions,
  }),
  // mariadb-dump ends with "-- Dump completed": a dump cut short lacks it.
  checkFile: () => 'sql-trailer',
  // --binary-mode: no client commands from the dump's data except DELIMITER; no \r\n rewriting.
  restore: (e) => [{ cmd: BINARIES.mysql, args: [...conn(e), CHARSET, '--binary-mode', e.database!], env: mysqlEnv(e) }],
  recreate: (e) => [
    mysqlStatement(e, `DROP DATABASE IF EXISTS ${quoteMysqlIdent(e.database!)}`),
    mysqlStatement(e, `CREATE DATABASE ${quoteMysqlIdent(e.database!)}`),
  ],
  drop: (e) => [mysqlStatement(e, `DROP DATABASE IF EXISTS ${quoteMysqlIdent(e.database!)}`)],
};
