// Test-side access to the servers started once by global-setup.ts, plus query helpers.
import { chmod, mkdtemp } from 'node:fs/promises';
import { join } from 'node:path';
import { inject } from 'vitest';
import { bin, run, type MariadbInfo, type PostgresInfo, type PushgatewayInfo, type RedisInfo, type S3Info } from './servers.js';
import type { ImageTools } from './test-rootfs.js';

/** The database servers of one major each. */
export interface DatabaseServers {
  postgres: PostgresInfo;
  mariadb: MariadbInfo;
  redis: RedisInfo;
}

export interface ServersInfo extends DatabaseServers {
  /** Run-wide temp dir (mode 755), removed at the end of the run; also mounted at the same path inside image.root. */
  tmpBase: string;
  s3: S3Info;
  pushgateway: PushgatewayInfo;
  /** The newer majors (PostgreSQL 17, MariaDB 11.8, Redis 8), running in image.root; postgres/mariadb/redis are the host's. */
  newer: DatabaseServers;
  /** The image's client tools and restic 0.18 (matrix.ts switches a suite onto them). */
  image: ImageTools;
}

declare module 'vitest' {
  interface ProvidedContext {
    servers: ServersInfo;
  }
}

const chosen: Partial<DatabaseServers> = {};

/** The servers; postgres/mariadb/redis are the ones chosen for the current matrix variant (matrix.ts), else the host's. */
export function servers(): ServersInfo {
  const info = inject('servers');
  if (!info) throw new Error('servers not provided: is test/support/global-setup.ts the globalSetup?');
  return { ...info, ...chosen };
}

/** Points servers().postgres (or mariadb, redis) at another server until chosen again with undefined. */
export function chooseServer<K extends keyof DatabaseServers>(engine: K, server: DatabaseServers[K] | undefined): void {
  if (server) chosen[engine] = server;
  else delete chosen[engine];
}

/** A fresh dir (mode 755) under the run-wide temp base. */
export async function tmpDir(prefix: string): Promise<string> {
  const dir = await mkdtemp(join(servers().tmpBase, `${prefix}-`));
  await chmod(dir, 0o755);
  return dir;
}

function psql(sql: string, db: string): Promise<string> {
  const { binDir, host, port, user, password } = servers().postgres;
  return run(join(binDir, 'psql'), ['-X', '-A', '-t', '-q', '-v', 'ON_ERROR_STOP=1', '-h', host, '-p', String(port), '-U', user, '-d', db, '-f', '-'], {
    input: sql,
    env: { PGPASSWORD: password },
  });
}

/** Run SQL statements (each in its own transaction, so CREATE DATABASE works). */
export async function pgExec(sql: string, db = 'postgres'): Promise<void> {
  await psql(sql, db);
}

/** Run a query; rows are newline-separated, columns `|`-separated, trimmed. */
export async function pgQuery(sql: string, db = 'postgres'): Promise<string> {
  return (await psql(sql, db)).trim();
}

/** Run SQL with the mariadb client over TCP; tab-separated rows without headers, trimmed. */
export async function mysqlQuery(sql: string, db?: string): Promise<string> {
  const { host, port, user, password } = servers().mariadb;
  const args = ['--no-defaults', '--protocol=TCP', '-h', host, '-P', String(port), '-u', user, '--batch', '--skip-column-names', ...(db ? [db] : [])];
  return (await run(bin('mariadb'), args, { input: sql, env: { MYSQL_PWD: password } })).trim();
}

/** Run one redis command; raw reply, trimmed. Rejects on an error reply. */
export async function redisCmd(...args: string[]): Promise<string> {
  const { host, port, password } = servers().redis;
  const out = await run(bin('redis-cli'), ['-e', '-h', host, '-p', String(port), ...args], { env: { REDISCLI_AUTH: password } });
  return out.trim();
}

/** What the Pushgateway holds for one app and operation: `name` or `name{component}` → value. */
export async function pushedMetrics(
  app: string,
  operation: 'backup' | 'drill' | 'restore' | 'verify' | 'copy' | 'maintenance',
): Promise<Record<string, string>> {
  const res = await fetch(`${servers().pushgateway.url}/api/v1/metrics`);
  const body = (await res.json()) as { data: Array<{ labels: Record<string, string>; [k: string]: unknown }> };
  const out: Record<string, string> = {};
  for (const group of body.data.filter((g) => g.labels.app === app && g.labels.operation === operation)) {
    for (const [name, fam] of Object.entries(group)) {
      const m = (fam as { metrics?: Array<{ value: string; labels: Record<string, string> }> }).metrics;
      for (const x of m ?? []) out[x.labels.component ? `${name}{${x.labels.component}}` : name] = x.value;
    }
  }
  return out;
}
