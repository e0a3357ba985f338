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
import type { Endpoint, StreamEngine, VersionVerdict } from './types.js';
import { mysqlTlsArgs } from './tls.js';
import { lenientVerdict, parseVersion } from './version.js';

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
const lenient = lenientVerdict(BINARIES.mysqlDump);

/** The oldest servers safehold supports (docs/restore.md "Servers"): MariaDB 10.6, MySQL 8.0; older ones are refused. */
export function mysqlVerdict(clientOut: string, serverOut: string): VersionVerdict {
  const verdict = lenient(clientOut, serverOut);
  const server = parseVersion(serverOut);
  const mariadb = /mariadb/i.test(serverOut);
  const [major, minor] = mariadb ? [10, 6] : [8, 0];
  if (!server || server.major > major || (server.major === major && server.minor >= minor)) return verdict;
  return {
    ...verdict,
    refuse:
      `the ${mariadb ? 'MariaDB' : 'MySQL'} server is ${server.text}; safehold supports ${mariadb ? 'MariaDB' : 'MySQL'} ${major}.${minor} and newer. ` +
      `Upgrade the server, or back this database up with the server's own ${mariadb ? 'mariadb-dump' : 'mysqldump'} until it is upgraded`,
  };
}

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
    judge: mysqlVerdict,
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
