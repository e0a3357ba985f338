// Builds a values file, a secrets dir and a repository for a runner test against the shared test servers.
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { stringify } from 'yaml';
import { buildContext, type RunContext } from '../../src/runner/context.js';
import { createLogger, type Logger } from '../../src/runner/log.js';
import '../../src/runner/engines/all.js';
import '../../src/runner/kube/register.js';
import { pgExec, servers, tmpDir } from '../support/env.js';

export interface App {
  readonly dir: string;
  readonly valuesFile: string;
  readonly secretsDir: string;
  readonly logs: string[];
  /** A fresh context (re-reads the values file). */
  ctx(): RunContext;
  /** Rewrites the values file with changes merged at the top level. */
  update(patch: Record<string, unknown>): void;
}

let counter = 0;
/** A unique lowercase name for databases and apps in this run. */
export function uniqueName(prefix: string): string {
  return `${prefix}${process.pid}x${++counter}`;
}

export function writeSecrets(dir: string, secrets: Record<string, Record<string, string>>): void {
  for (const [name, keys] of Object.entries(secrets)) {
    mkdirSync(join(dir, name), { recursive: true });
    for (const [k, v] of Object.entries(keys)) writeFileSync(join(dir, name, k), v);
  }
}

export function s3Repository(prefix: string) {
  const s3 = servers().s3;
  return {
    s3: { endpoint: s3.endpoint, bucket: s3.bucket, prefix, credentials: { secretName: 's3' }, caCert: { secretName: 's3' } },
    password: { secretName: 'restic' },
  };
}

export function pgComponent(name: string, database: string) {
  const pg = servers().postgres;
  return { name, type: 'postgres', host: pg.host, port: pg.port, database, credentials: { secretName: 'pg' } };
}

export function mysqlComponent(name: string, database: string) {
  const m = servers().mariadb;
  return { name, type: 'mysql', host: m.host, port: m.port, database, credentials: { secretName: 'mysql' } };
}

export function redisComponent(name: string) {
  const r = servers().redis;
  return { name, type: 'redis', host: r.host, port: r.port, ...(r.password ? { credentials: { secretName: 'redis' } } : {}) };
}

/** A values file with a local (or given) repository and the standard test secrets. */
export async function makeApp(o: {
  name?: string;
  repo?: string | Record<string, unknown>;
  values: Record<string, unknown>;
  resticPassword?: string;
}): Promise<App> {
  const dir = await tmpDir('app');
  const secretsDir = join(dir, 'secrets');
  const s = servers();
  writeSecrets(secretsDir, {
    restic: { password: o.resticPassword ?? 'correct horse battery staple' },
    pg: { username: s.postgres.user, password: s.postgres.password },
    mysql: { username: s.mariadb.user, password: s.mariadb.password },
    redis: { password: s.redis.password ?? '' },
    s3: { AWS_ACCESS_KEY_ID: s.s3.accessKeyId, AWS_SECRET_ACCESS_KEY: s.s3.secretAccessKey, 'ca.crt': '' },
  });
  writeFileSync(join(secretsDir, 's3', 'ca.crt'), (await import('node:fs')).readFileSync(s.s3.caCertFile));
  const repository = typeof o.repo === 'object' ? o.repo : { local: { path: o.repo ?? join(dir, 'repo') }, password: { secretName: 'restic' } };
  let doc: Record<string, unknown> = {
    name: o.name ?? uniqueName('app'),
    namespace: 'test',
    schedule: '0 3 * * *',
    repository,
    ...o.values,
  };
  const valuesFile = join(dir, 'values.yaml');
  const write = () => writeFileSync(valuesFile, stringify(doc));
  write();
  const logs: string[] = [];
  const log: Logger = createLogger((l) => {
    logs.push(l);
    if (process.env.SAFEHOLD_TEST_LOGS) process.stderr.write(l);
  });
  return {
    dir,
    valuesFile,
    secretsDir,
    logs,
    ctx: () => buildContext({ values: valuesFile, secretsDir, scratchDir: join(dir, 'scratch'), log }),
    update(patch) {
      doc = { ...doc, ...patch };
      write();
    },
  };
}

/** A fresh PostgreSQL database with one table `t` of `rows` rows (id, md5 text). */
export async function seededTable(rows = 300): Promise<string> {
  const db = uniqueName('pgf');
  await pgExec(`CREATE DATABASE ${db}`);
  await pgExec(`CREATE TABLE t (id int primary key, body text); INSERT INTO t SELECT g, md5(g::text) FROM generate_series(1, ${rows}) g;`, db);
  return db;
}
