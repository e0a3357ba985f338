// Every program the runner may start. The image must install each; a test checks the Dockerfile.
export const BINARIES = {
  restic: 'restic',
  pgDump: 'pg_dump',
  pgRestore: 'pg_restore',
  psql: 'psql',
  mysqlDump: 'mariadb-dump',
  mysql: 'mariadb',
  redisCli: 'redis-cli',
  redisServer: 'redis-server',
  redisCheckRdb: 'redis-check-rdb',
} as const;
export type Binary = (typeof BINARIES)[keyof typeof BINARIES];

/** The variable that overrides a binary's path: SAFEHOLD_BIN_PG_DUMP for pg_dump. */
export const binaryEnvKey = (bin: Binary): string => `SAFEHOLD_BIN_${bin.toUpperCase().replace(/-/g, '_')}`;

/** Where to look for a binary: PATH, overridable per tool (SAFEHOLD_BIN_PG_DUMP=/usr/lib/postgresql/17/bin/pg_dump). */
export function binaryPath(bin: Binary, env: NodeJS.ProcessEnv = process.env): string {
  return env[binaryEnvKey(bin)] || bin;
}

const KNOWN: ReadonlySet<string> = new Set(Object.values(BINARIES));

/**
 * What the process module starts for a spec's `cmd`: a program of BINARIES named as such resolves through binaryPath,
 * anything else (a path, a hook's own program) as written. Engines name programs only, so their builders read no env.
 */
export function resolveBinary(cmd: string, env: NodeJS.ProcessEnv = process.env): string {
  return KNOWN.has(cmd) ? binaryPath(cmd as Binary, env) : cmd;
}
