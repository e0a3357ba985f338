// Runs the runner's backup/restore as a separate node process (bench/runner-child.ts) against a bench app.
import { spawn } from 'node:child_process';
import { cpSync, existsSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { join } from 'node:path';
import { stringify } from 'yaml';
import { binaryPath } from '../../src/runner/binaries.js';
import type { ChildCommand, ChildResult } from '../runner-child.js';
import type { Pg } from './db.js';
import { memoryGroup } from './cgroup.js';
import { DEFAULT_MEMORY_LIMIT_MIB } from './report.js';
import { output, type Cmd } from './proc.js';

let child = fileURLToPath(new URL('../runner-child.ts', import.meta.url));
/** Runs the runner from compiled JavaScript (bench/lib/build.ts) instead of through tsx. */
export function useCompiledRunner(path: string): void {
  child = path;
}
const ROOT = fileURLToPath(new URL('../..', import.meta.url));
const PASSWORD = 'bench: correct horse battery staple';

export interface BenchApp {
  readonly dir: string;
  readonly valuesFile: string;
  readonly secretsDir: string;
  readonly repo: string;
  /** Environment for restic run by hand against this app's repository. */
  readonly resticEnv: Record<string, string>;
}

export interface AppOptions {
  readonly name: string;
  readonly database: string;
  /** The repository to use; must already be initialized (see freshRepository). */
  readonly repo: string;
  readonly restoreJobs?: number;
  /** With a restore: section (dropExisting + confirm), restore recreates the database empty first. */
  readonly restoreInto?: string;
  /** Another component instead of the PostgreSQL one (a Redis server). */
  readonly component?: Record<string, unknown>;
  /** The values' retention (default: the schema's). */
  readonly retention?: Record<string, number | boolean>;
  /** A restore: section without dropExisting, into the component's own database (gone: nothing to destroy). */
  readonly restoreDropped?: boolean;
  /** A drill: section with these checks (scratch database on the same server, the drill's default). */
  readonly drillChecks?: readonly Record<string, unknown>[];
}

let requests = 0;
/** A values file and secrets dir for one postgres component and a local repository. */
export function makeApp(pg: Pg, dir: string, o: AppOptions): BenchApp {
  mkdirSync(dir, { recursive: true });
  const secretsDir = join(dir, 'secrets');
  for (const [name, keys] of Object.entries({ restic: { password: PASSWORD }, pg: { username: pg.info.user, password: pg.info.password } })) {
    mkdirSync(join(secretsDir, name), { recursive: true });
    for (const [k, v] of Object.entries(keys)) writeFileSync(join(secretsDir, name, k), v);
  }
  const database = o.restoreInto ?? o.database;
  const values = {
    name: o.name,
    namespace: 'bench',
    schedule: '0 3 * * *',
    repository: { local: { path: o.repo }, password: { secretName: 'restic' } },
    components: [
      o.component ?? {
        name: 'db',
        type: 'postgres',
        host: pg.info.host,
        port: pg.info.port,
        database,
        credentials: { secretName: 'pg' },
        sslMode: 'disable',
        restoreJobs: o.restoreJobs ?? 1,
      },
    ],
    // Each bench restore is a new request: the repository records every request that ran and refuses a repeat.
    ...(o.retention ? { retention: o.retention } : {}),
    ...(o.restoreInto ? { restore: { snapshot: 'latest', dropExisting: true, confirm: o.restoreInto, requestId: `bench-${process.pid}-${++requests}` } } : {}),
    ...(o.restoreDropped ? { restore: { snapshot: 'latest', requestId: `bench-${process.pid}-${++requests}` } } : {}),
    ...(o.drillChecks ? { drill: { schedule: '0 5 * * 0', checks: o.drillChecks } } : {}),
  };
  const variant = o.restoreDropped ? '-restore' : o.drillChecks ? '-drill' : '';
  const valuesFile = join(dir, `values-${o.name}-${database}${variant}.yaml`);
  writeFileSync(valuesFile, stringify(values));
  return { dir, valuesFile, secretsDir, repo: o.repo, resticEnv: resticEnv(o.repo, join(dir, 'restic-cache')) };
}

export function resticEnv(repo: string, cacheDir: string): Record<string, string> {
  const pw = join(repo, '..', `${repo.split('/').pop()}.password`);
  if (!existsSync(pw)) writeFileSync(pw, PASSWORD);
  return { RESTIC_REPOSITORY: repo, RESTIC_PASSWORD_FILE: pw, RESTIC_CACHE_DIR: cacheDir, RESTIC_PROGRESS_FPS: '0.2' };
}

/**
 * An empty repository copied from one template: every variant gets the same keys (restic calibrates its
 * key-derivation cost at init, so separately initialized repositories would cost differently to open)
 * and the same chunker polynomial.
 */
export async function freshRepository(template: string, path: string): Promise<string> {
  if (!existsSync(template)) {
    mkdirSync(join(template, '..'), { recursive: true });
    await output({ cmd: binaryPath('restic'), args: ['init', '--repository-version', '2'], env: resticEnv(template, join(template, '..', 'init-cache')) });
  }
  rmSync(path, { recursive: true, force: true });
  cpSync(template, path, { recursive: true });
  writeFileSync(join(path, '..', `${path.split('/').pop()}.password`), PASSWORD);
  return path;
}

export interface RunnerRun extends ChildResult {
  /** Wall seconds seen from outside: process start to exit. */
  readonly wall: number;
  /** user + system CPU seconds of the runner and every process it started. */
  readonly cpu: number;
  /** The whole pod's peak: bytes the memory cgroup around the runner and its children was charged (page cache included). */
  readonly podPeakBytes?: number;
  /** Of that, page cache left at the end (files written: restic's cache, a spool). */
  readonly podCacheBytes?: number;
  /** The group's anonymous memory (total_rss), sampled every 50 ms: the part of the peak a limit cannot reclaim. */
  readonly podAnonPeakBytes?: number;
  /** Times the run reached the default limit the group is held to (page cache reclaimed), and OOM kills inside it. */
  readonly podLimitHits?: number;
  readonly podOomKills?: number;
}

let seq = 0;
/** Runs one command in a fresh node process, as `safehold backup|restore|prune|drill` would. */
export async function runRunner(app: BenchApp, command: ChildCommand): Promise<RunnerRun> {
  const n = ++seq;
  const resultFile = join(app.dir, `result-${n}.json`);
  const timeFile = join(app.dir, `time-${n}.txt`);
  const req = {
    command,
    values: app.valuesFile,
    secretsDir: app.secretsDir,
    scratchDir: join(app.dir, 'scratch'),
    ledger: join(app.dir, `ledger-${n}.json`),
    logFile: join(app.dir, 'runner.log'),
    resultFile,
  };
  const cmd: Cmd = { cmd: process.execPath, args: [...(child.endsWith('.ts') ? ['--import', 'tsx'] : []), child, JSON.stringify(req)] };
  // Every run is held to the schema's default memory limit, as its pod would be.
  const group = memoryGroup(`safehold-bench-${process.pid}-${n}`, DEFAULT_MEMORY_LIMIT_MIB * 2 ** 20);
  let anonPeak = 0;
  const sampler = group && setInterval(() => (anonPeak = Math.max(anonPeak, group.stat().total_rss ?? 0)), 50);
  const started = process.hrtime.bigint();
  try {
    await new Promise<void>((resolve, reject) => {
      const env = { ...process.env, ...(group ? { SAFEHOLD_BENCH_CGROUP: group.dir } : {}) };
      const child = spawn('/usr/bin/time', ['-f', '%U %S', '-o', timeFile, cmd.cmd, ...cmd.args], { cwd: ROOT, env, stdio: ['ignore', 'ignore', 'pipe'] });
      let err = '';
      child.stderr!.setEncoding('utf8').on('data', (d: string) => (err = (err + d).slice(-4000)));
      child.once('error', reject);
      child.once('close', (code) => (code === 0 ? resolve() : reject(new Error(`runner ${command} exited ${code}: ${err}\n(log: ${req.logFile})`))));
    });
    const wall = Number(process.hrtime.bigint() - started) / 1e9;
    const [u, s] = readFileSync(timeFile, 'utf8').trim().split('\n').pop()!.split(' ').map(Number);
    const result = JSON.parse(readFileSync(resultFile, 'utf8')) as ChildResult;
    const pod = group
      ? {
          podPeakBytes: group.peakBytes(),
          podCacheBytes: group.stat().total_cache,
          podAnonPeakBytes: anonPeak,
          podLimitHits: group.limitHits(),
          podOomKills: group.oomKills(),
        }
      : {};
    return { ...result, wall, cpu: u + s, ...pod };
  } finally {
    if (sampler) clearInterval(sampler);
    // A failed run's group goes too (the soak carries on after a failure and reports it).
    group?.remove();
  }
}
