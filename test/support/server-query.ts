// SQL against a server a test started itself (a brand-new one, a second one): the host's clients, the server's superuser.
import { bin, run, type MariadbInfo, type PostgresInfo } from './servers.js';

export type PgServer = Pick<PostgresInfo, 'host' | 'port' | 'password'>;
export type MariadbServer = Pick<MariadbInfo, 'host' | 'port' | 'user' | 'password'>;

/** A string literal for PostgreSQL. */
export const pgLiteral = (s: string) => `'${s.replace(/'/g, "''")}'`;

/** The host's psql reads every server major here; the superuser's password comes from the server's info (SCRAM). */
export const pgOn = async (s: PgServer, sql: string, db = 'postgres') =>
  (
    await run(bin('psql'), ['-X', '-A', '-t', '-q', '-v', 'ON_ERROR_STOP=1', '-h', s.host, '-p', String(s.port), '-U', 'postgres', '-d', db, '-f', '-'], {
      input: sql,
      env: { PGPASSWORD: s.password },
    })
  ).trim();

/** The mariadb client over TCP, utf8mb4, tab-separated rows without headers. */
export const mariadbOn = async (s: MariadbServer, sql: string, db?: string) =>
  (
    await run(
      bin('mariadb'),
      [
        '--no-defaults',
        '--protocol=TCP',
        '-h',
        s.host,
        '-P',
        String(s.port),
        '-u',
        s.user,
        '--default-character-set=utf8mb4',
        '--batch',
        '--skip-column-names',
        ...(db ? [db] : []),
      ],
      { input: sql, env: { MYSQL_PWD: s.password } },
    )
  ).trim();
