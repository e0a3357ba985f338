// PostgreSQL: pg_dump -Fc -Z0 (uncompressed, so restic deduplicates and compresses); pg_restore streamed from the
// repository into a side database, or from a spooled file (parallel jobs, drills, servers older than pg_restore).
// I/O: only postgres.restoreFromFile and postgres.restoreFromStream (they ask both versions, then run pg_restore, or
// restic dump | pg_restore, or pg_restore | psql); every builder is pure.
import { BINARIES } from '../binaries.js';
import { Transform } from 'node:stream';
import { pipe } from '../process/pipe.js';
import { hashedPipe } from '../process/pipe-hashed.js';
import { run, type ProcessSpec } from '../process/spawn.js';
import type { Endpoint, StreamEngine } from './types.js';
import { dbConninfo, quoteIdent } from './pg-quote.js';
import { quoteLiteral } from './postgres-globals.js';
import { pgTlsEnv } from './tls.js';
import { parseVersion } from './version.js';

export function pgEnv(e: Endpoint): Record<string, string> {
  const env: Record<string, string> = { PGCONNECT_TIMEOUT: '15', PGAPPNAME: 'safehold' };
  if (e.password !== undefined) env.PGPASSWORD = e.password;
  return { ...env, ...pgTlsEnv(e) };
}

/** libpq connection flags (user name only; the password is PGPASSWORD in the environment); the database as conninfo. */
export const conn = (e: Endpoint, db = e.database, fallbackDb = 'postgres'): string[] => [
  '-h',
  e.host,
  '-p',
  String(e.port),
  ...(e.username ? ['-U', e.username] : []),
  '-d',
  dbConninfo(db ?? fallbackDb),
];

export { quoteIdent };

/** Ends every other session of a database (PostgreSQL 12 has no DROP DATABASE … WITH (FORCE)). */
export const terminateSql = (db: string): string =>
  `SELECT count(pg_terminate_backend(pid)) FROM pg_stat_activity WHERE datname = ${quoteLiteral(db)} AND pid <> pg_backend_pid()`;

/** DROP DATABASE for any server from 12 on: sessions ended first, FORCE where the server has it (13+). */
export function dropDatabaseSql(db: string, serverVersionNum: number): string[] {
  return serverVersionNum >= 130000
    ? [`DROP DATABASE IF EXISTS ${quoteIdent(db)} WITH (FORCE)`]
    : [terminateSql(db), `DROP DATABASE IF EXISTS ${quoteIdent(db)}`];
}

export function psql(e: Endpoint, sql: string, db = 'postgres'): ProcessSpec {
  return { cmd: BINARIES.psql, args: ['-X', '-A', '-t', '-v', 'ON_ERROR_STOP=1', ...conn(e, db), '-c', sql], env: pgEnv(e) };
}

/** psql applying an SQL script read from stdin, stopping at the first error. */
export function psqlScript(e: Endpoint, fallbackDb = 'postgres'): ProcessSpec {
  return { cmd: BINARIES.psql, args: ['-X', '-q', '-v', 'ON_ERROR_STOP=1', ...conn(e, e.database, fallbackDb), '-f', '-'], env: pgEnv(e) };
}

type PgRestoreOptions = { clean: boolean; jobs: number; noOwner?: boolean; noPrivileges?: boolean };

/** pg_restore into e's database, from `file`, or from its stdin without one (single job: -j needs a file). */
function pgRestore(e: Endpoint, file: string | undefined, o: PgRestoreOptions): ProcessSpec {
  return { cmd: BINARIES.pgRestore, args: [...pgRestoreArgs(file ? o : { ...o, jobs: 1 }), ...conn(e), ...(file ? [file] : [])], env: pgEnv(e) };
}

/** Settings a newer pg_restore sets on its session that an older server rejects (pg_restore 17 → server ≤ 16). */
export const NEWER_SESSION_SETTINGS = ['transaction_timeout'] as const;

/** The settings of NEWER_SESSION_SETTINGS the server does not know, when its major is older than pg_restore's. */
async function settingsUnknownTo(e: Endpoint): Promise<string[]> {
  const [client, server] = await Promise.all([
    run({ cmd: BINARIES.pgRestore, args: ['--version'] }),
    run(
      psql(
        e,
        `SELECT current_setting('server_version_num') || ' ' || coalesce(string_agg(name, ' '), '') FROM pg_settings WHERE name IN (${NEWER_SESSION_SETTINGS.map((s) => `'${s}'`).join(',')})`,
        e.database,
      ),
    ),
  ]);
  const [serverNum, ...known] = server.stdout.trim().split(/\s+/);
  const clientMajor = parseVersion(client.stdout)?.major ?? 0;
  const serverMajor = parseVersion(serverNum)?.major ?? 0;
  return clientMajor <= serverMajor ? [] : NEWER_SESSION_SETTINGS.filter((s) => !known.includes(s));
}

/** Drops whole lines `SET <setting> = …;` of settings the target server does not know; passes everything else byte for byte. */
export function dropSettings(unknown: readonly string[]): Transform {
  const line = new RegExp(`^SET (${unknown.join('|')}) = [^;\\n]*;$`);
  let carry = '';
  return new Transform({
    transform(chunk: Buffer, _enc, cb) {
      const text = carry + chunk.toString('latin1');
      const cut = text.lastIndexOf('\n') + 1;
      carry = text.slice(cut);
      const done = text
        .slice(0, cut)
        .split('\n')
        .filter((l) => !line.test(l))
        .join('\n');
      cb(null, Buffer.from(done, 'latin1'));
    },
    flush(cb) {
      cb(null, line.test(carry) ? Buffer.alloc(0) : Buffer.from(carry, 'latin1'));
    },
  });
}

/** Ownership is restored unless asked not to (noOwner: undefined keeps release 1's in-place restore, which never set owners). */
function pgRestoreArgs(o: PgRestoreOptions): string[] {
  return [
    '--exit-on-error',
    ...((o.noOwner ?? true) ? ['--no-owner'] : []),
    ...(o.noPrivileges ? ['--no-privileges'] : []),
    ...(o.clean ? ['--clean', '--if-exists'] : []),
    ...(o.jobs > 1 ? ['--jobs', String(o.jobs)] : []),
  ];
}

export const postgres: StreamEngine = {
  type: 'postgres',
  fileName: (name) => `${name}.pgdump`,
  dump: (e) => ({
    cmd: BINARIES.pgDump,
    args: ['--format=custom', '--compress=0', '--no-sync', '--lock-wait-timeout=300000', ...conn(e)],
    env: pgEnv(e),
  }),
  versions: (e) => ({
    client: { cmd: BINARIES.pgDump, args: ['--version'] },
    server: psql(e, 'SHOW server_version_num', e.database),
  }),
  list: () => ({ cmd: BINARIES.pgRestore, args: ['--list'] }),
  restore: (e, file, o) => [pgRestore(e, file, o)],
  /**
   * Into a server that knows every setting pg_restore sets: pg_restore itself (parallel with restoreJobs).
   * Into an older server (the image's pg_restore 17 into PostgreSQL ≤ 16): pg_restore writes SQL, the
   * settings the server does not know are dropped, psql applies it with ON_ERROR_STOP; single job.
   */
  async restoreFromFile(e, file, o, io) {
    const unknown = await settingsUnknownTo(e);
    if (!unknown.length) {
      await run(pgRestore(e, file, o));
      return;
    }
    if (o.jobs > 1) io.log.warn('restoreJobs ignored: the server is older than pg_restore, which then restores through psql', { unknownSettings: unknown });
    const producer = { cmd: BINARIES.pgRestore, args: [...pgRestoreArgs({ ...o, jobs: 1 }), '--file', '-', file] };
    await pipe(producer, psqlScript(e), undefined, dropSettings(unknown));
  },
  /**
   * Straight from the repository: `restic dump | pg_restore` (one job), the bytes hashed on their way through, for
   * the caller to compare with the manifest. Undefined (nothing started) when the server is older than pg_restore
   * and a setting must be filtered out of the SQL: that path restores from a file (restoreFromFile).
   */
  async restoreFromStream(e, source, o, io) {
    if ((await settingsUnknownTo(e)).length) return undefined;
    if (o.jobs > 1) io.log.info('restoreJobs: a restore streamed from the repository runs one pg_restore job', { jobs: o.jobs });
    return (await hashedPipe(source, pgRestore(e, undefined, o))).stats;
  },
  // Dropping for drills and the drop-database Job: sessions are ended first, so PostgreSQL 12 works too.
  recreate: (e) => [
    psql(e, terminateSql(e.database!)),
    psql(e, `DROP DATABASE IF EXISTS ${quoteIdent(e.database!)}`),
    psql(e, `CREATE DATABASE ${quoteIdent(e.database!)}`),
  ],
  drop: (e) => [psql(e, terminateSql(e.database!)), psql(e, `DROP DATABASE IF EXISTS ${quoteIdent(e.database!)}`)],
};
