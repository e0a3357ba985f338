// PostgreSQL: pg_dump -Fc -Z0 (uncompressed, so restic deduplicates and compresses), pg_restore from a spooled file.
import { BINARIES, binaryPath } from '../binaries.js';
import { Transform } from 'node:stream';
import { pipe } from '../process/pipe.js';
import { run, type ProcessSpec } from '../process/spawn.js';
import type { Endpoint, StreamEngine } from './types.js';
import { parseVersion } from './version.js';

export function pgEnv(e: Endpoint): Record<string, string> {
  const env: Record<string, string> = { PGCONNECT_TIMEOUT: '15', PGAPPNAME: 'safehold' };
  if (e.password !== undefined) env.PGPASSWORD = e.password;
  if (e.sslMode) env.PGSSLMODE = e.sslMode;
  return env;
}

/** libpq connection flags (user name only; the password is PGPASSWORD in the environment). */
export const conn = (e: Endpoint, db = e.database, fallbackDb = 'postgres'): string[] => ['-h', e.host, '-p', String(e.port), ...(e.username ? ['-U', e.username] : []), '-d', db ?? fallbackDb];

export const quoteIdent = (name: string): string => `"${name.replace(/"/g, '""')}"`;

export function psql(e: Endpoint, sql: string, db = 'postgres'): ProcessSpec {
  return { cmd: binaryPath(BINARIES.psql), args: ['-X', '-A', '-t', '-v', 'ON_ERROR_STOP=1', ...conn(e, db), '-c', sql], env: pgEnv(e) };
}

/** psql applying an SQL script read from stdin, stopping at the first error. */
export function psqlScript(e: Endpoint, fallbackDb = 'postgres'): ProcessSpec {
  return { cmd: binaryPath(BINARIES.psql), args: ['-X', '-q', '-v', 'ON_ERROR_STOP=1', ...conn(e, e.database, fallbackDb), '-f', '-'], env: pgEnv(e) };
}

function pgRestore(e: Endpoint, file: string, o: { clean: boolean; jobs: number }): ProcessSpec {
  return { cmd: binaryPath(BINARIES.pgRestore), args: [...pgRestoreArgs(o), ...conn(e), file], env: pgEnv(e) };
}

/** Settings a newer pg_restore sets on its session that an older server rejects (pg_restore 17 → server ≤ 16). */
export const NEWER_SESSION_SETTINGS = ['transaction_timeout'] as const;

/** Drops whole lines `SET <setting> = …;` of settings the target server does not know; passes everything else byte for byte. */
export function dropSettings(unknown: readonly string[]): Transform {
  const line = new RegExp(`^SET (${unknown.join('|')}) = [^;\\n]*;$`);
  let carry = '';
  return new Transform({
    transform(chunk: Buffer, _enc, cb) {
      const text = carry + chunk.toString('latin1');
      const cut = text.lastIndexOf('\n') + 1;
      carry = text.slice(cut);
      const done = text.slice(0, cut).split('\n').filter((l) => !line.test(l)).join('\n');
      cb(null, Buffer.from(done, 'latin1'));
    },
    flush(cb) {
      cb(null, line.test(carry) ? Buffer.alloc(0) : Buffer.from(carry, 'latin1'));
    },
  });
}

function pgRestoreArgs(o: { clean: boolean; jobs: number }): string[] {
  return ['--exit-on-error', '--no-owner', ...(o.clean ? ['--clean', '--if-exists'] : []), ...(o.jobs > 1 ? ['--jobs', String(o.jobs)] : [])];
}

export const postgres: StreamEngine = {
  type: 'postgres',
  fileName: (name) => `${name}.pgdump`,
  dump: (e) => ({ cmd: binaryPath(BINARIES.pgDump), args: ['--format=custom', '--compress=0', '--no-sync', '--lock-wait-timeout=300000', ...conn(e)], env: pgEnv(e) }),
  versions: (e) => ({
    client: { cmd: binaryPath(BINARIES.pgDump), args: ['--version'] },
    server: psql(e, 'SHOW server_version_num', e.database),
  }),
  list: () => ({ cmd: binaryPath(BINARIES.pgRestore), args: ['--list'] }),
  restore: (e, file, o) => [pgRestore(e, file, o)],
  /**
   * Into a server that knows every setting pg_restore sets: pg_restore itself (parallel with restoreJobs).
   * Into an older server (the image's pg_restore 17 into PostgreSQL ≤ 16): pg_restore writes SQL, the
   * settings the server does not know are dropped, psql applies it with ON_ERROR_STOP; single job.
   */
  async restoreFromFile(e, file, o, io) {
    const [client, server] = await Promise.all([
      run({ cmd: binaryPath(BINARIES.pgRestore), args: ['--version'] }),
      run(psql(e, `SELECT current_setting('server_version_num') || ' ' || coalesce(string_agg(name, ' '), '') FROM pg_settings WHERE name IN (${NEWER_SESSION_SETTINGS.map((s) => `'${s}'`).join(',')})`, e.database)),
    ]);
    const [serverNum, ...known] = server.stdout.trim().split(/\s+/);
    const clientMajor = parseVersion(client.stdout)?.major ?? 0;
    const serverMajor = parseVersion(serverNum)?.major ?? 0;
    const unknown = NEWER_SESSION_SETTINGS.filter((s) => !known.includes(s));
    if (clientMajor <= serverMajor || !unknown.length) {
      await run(pgRestore(e, file, o));
      return;
    }
    if (o.jobs > 1) io.log.warn('restoreJobs ignored: the server is older than pg_restore, which then restores through psql', { unknownSettings: unknown });
    const producer = { cmd: binaryPath(BINARIES.pgRestore), args: [...pgRestoreArgs({ ...o, jobs: 1 }), '--file', '-', file] };
    await pipe(producer, psqlScript(e), undefined, dropSettings(unknown));
  },
  recreate: (e) => [
    psql(e, `DROP DATABASE IF EXISTS ${quoteIdent(e.database!)} WITH (FORCE)`),
    psql(e, `CREATE DATABASE ${quoteIdent(e.database!)}`),
  ],
  drop: (e) => [psql(e, `DROP DATABASE IF EXISTS ${quoteIdent(e.database!)} WITH (FORCE)`)],
};
