// PostgreSQL: pg_dump -Fc -Z0 (uncompressed, so restic deduplicates and compresses), pg_restore from a spooled file.
import { BINARIES, binaryPath } from '../binaries.js';
import type { ProcessSpec } from '../process/spawn.js';
import type { Endpoint, StreamEngine } from './types.js';

export function pgEnv(e: Endpoint): Record<string, string> {
  const env: Record<string, string> = { PGCONNECT_TIMEOUT: '15', PGAPPNAME: 'safehold' };
  if (e.password !== undefined) env.PGPASSWORD = e.password;
  if (e.sslMode) env.PGSSLMODE = e.sslMode;
  return env;
}

const conn = (e: Endpoint, db = e.database): string[] => ['-h', e.host, '-p', String(e.port), ...(e.username ? ['-U', e.username] : []), '-d', db ?? 'postgres'];

export const quoteIdent = (name: string): string => `"${name.replace(/"/g, '""')}"`;

export function psql(e: Endpoint, sql: string, db = 'postgres'): ProcessSpec {
  return { cmd: binaryPath(BINARIES.psql), args: ['-X', '-A', '-t', '-v', 'ON_ERROR_STOP=1', ...conn(e, db), '-c', sql], env: pgEnv(e) };
}

export const postgres: StreamEngine = {
  type: 'postgres',
  fileName: (name) => `${name}.pgdump`,
  dump: (e) => ({ cmd: binaryPath(BINARIES.pgDump), args: ['--format=custom', '--compress=0', '--no-sync', ...conn(e)], env: pgEnv(e) }),
  versions: (e) => ({
    client: { cmd: binaryPath(BINARIES.pgDump), args: ['--version'] },
    server: psql(e, 'SHOW server_version_num', e.database),
  }),
  list: () => ({ cmd: binaryPath(BINARIES.pgRestore), args: ['--list'] }),
  restore: (e, file, o) => [
    {
      cmd: binaryPath(BINARIES.pgRestore),
      args: ['--exit-on-error', '--no-owner', ...(o.clean ? ['--clean', '--if-exists'] : []), ...(o.jobs > 1 ? ['--jobs', String(o.jobs)] : []), ...conn(e), file],
      env: pgEnv(e),
    },
  ],
  recreate: (e) => [
    psql(e, `DROP DATABASE IF EXISTS ${quoteIdent(e.database!)} WITH (FORCE)`),
    psql(e, `CREATE DATABASE ${quoteIdent(e.database!)}`),
  ],
  drop: (e) => [psql(e, `DROP DATABASE IF EXISTS ${quoteIdent(e.database!)} WITH (FORCE)`)],
};
