// The soak (issue 16): N applications sharing one repository, cycles of steady churn, concurrent backups, a prune,
// a restore from the damaged state and a drill, with every restore checked row by row and the repository's locks,
// snapshots and size read after each run.
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { binaryPath } from '../src/runner/binaries.js';
import { createDatabase, type Pg } from './lib/db.js';
import { output } from './lib/proc.js';
import { census, describeLock, repositoryLocks, sampleLocks, type Census, type LockSample } from './lib/repo-state.js';
import { freshRepository, makeApp, resticEnv, type AppOptions } from './lib/runner.js';
import type { SectionResult } from './lib/section.js';
import { DIGEST_SQL, digest, fingerprint, rowDifference, soakChurnSql, soakSchemaSql } from './lib/soak-data.js';
import { soakReport } from './lib/soak-report.js';
import { soakRun, type SoakRun } from './lib/soak-runs.js';

export interface SoakOptions {
  readonly apps: number;
  readonly cycles: number;
  /** retention.keepLast of every application. */
  readonly keep: number;
  /** Rows per application's table. */
  readonly rows: number;
  /** How many applications the final check restores into side databases. */
  readonly finalChecks: number;
  /** Start no further cycle once it would likely end after this many seconds from the start (a shared machine's time box). */
  readonly budgetSeconds?: number;
}

export interface SoakEnv {
  readonly pg: Pg;
  readonly work: string;
  readonly log: (msg: string) => void;
}

export interface CycleRecord {
  readonly cycle: number;
  readonly churnSeconds: number;
  readonly backupsSeconds: number;
  readonly locksDuringBackups: LockSample;
  readonly census: Census;
  /** Which application was pruned, restored and drilled. */
  readonly pruned: string;
  readonly restored: string;
  readonly drilled: string;
  /** The machine's load average (1 min) at the cycle's end: other engineers' work shares the cores. */
  readonly load: string;
}

/** A problem the soak found outside a run's own outcome (a lock left, a restore that differs, a database left). */
export interface Finding {
  readonly cycle: number;
  readonly what: string;
}

const pad = (i: number) => String(i).padStart(2, '0');

export async function benchSoak(env: SoakEnv, o: SoakOptions): Promise<SectionResult> {
  const { pg, work, log } = env;
  const repo = await freshRepository(join(work, 'repos', 'template'), join(work, 'repos', 'soak'));
  const rEnv = resticEnv(repo, join(work, 'soak-cache'));
  const names = Array.from({ length: o.apps }, (_, i) => `soak-${pad(i)}`);
  const dbOf = (name: string) => name.replace('-', '_');
  // Every application prunes apart (retention.prune false): the shared-repository setting docs/troubleshooting.md gives.
  const app = (name: string, extra: Partial<AppOptions> = {}) =>
    makeApp(pg, join(work, 'soak', name), { name, database: dbOf(name), repo, retention: { keepLast: o.keep, prune: false }, ...extra });
  const runs: SoakRun[] = [];
  const cycles: CycleRecord[] = [];
  const findings: Finding[] = [];
  const restores: Array<{ cycle: number; app: string; ok: boolean }> = [];
  const note = (cycle: number, what: string) => {
    findings.push({ cycle, what });
    log(`soak: cycle ${cycle}: ${what}`);
  };
  const record = (r: SoakRun) => {
    runs.push(r);
    if (r.failure) log(`soak: cycle ${r.cycle} ${r.app} ${r.failure}`);
    return r;
  };
  /** No lock may outlive the runs that just ended (nothing else runs against the repository now). */
  const noLockLeft = async (cycle: number, after: string) => {
    const left = await repositoryLocks(rEnv);
    if (!left.length) return;
    note(cycle, `${left.length} restic lock(s) left after ${after}: ${left.map(describeLock).join(', ')}`);
    // Stale by restic's rule (this host, process gone): removed so that one leftover does not stall every later cycle.
    await output({ cmd: binaryPath('restic'), args: ['unlock'], env: rEnv });
  };
  const noClaimLeft = (cycle: number, name: string) => {
    const dir = join(work, 'soak', name);
    const claims = existsSync(dir) ? readdirSync(dir).filter((f) => f.endsWith('.claim')) : [];
    if (claims.length) note(cycle, `restore claim file(s) left for ${name}: ${claims.join(', ')}`);
  };
  const dbExists = async (db: string) => (await pg.sql('postgres', `SELECT count(*) FROM pg_database WHERE datname = '${db}'`)) !== '0';

  log(`soak: ${o.apps} applications × ${o.rows} rows, keepLast ${o.keep}, ${o.cycles} cycles, one repository ${repo}`);
  for (const name of names) {
    await createDatabase(pg, dbOf(name));
    await pg.sql(dbOf(name), soakSchemaSql(name, o.rows));
  }

  const started = performance.now();
  for (let c = 1; c <= o.cycles; c++) {
    const elapsed = (performance.now() - started) / 1000;
    if (o.budgetSeconds && c > 1 && elapsed + elapsed / (c - 1) > o.budgetSeconds) {
      log(`soak: stopping after ${c - 1} of ${o.cycles} cycles: another would end after the ${o.budgetSeconds} s budget`);
      break;
    }
    const [pruned, restored, drilled] = [names[c % o.apps]!, names[c % o.apps]!, names[(c + Math.ceil(o.apps / 2)) % o.apps]!];
    let t = performance.now();
    await Promise.all(names.map((n) => pg.sql(dbOf(n), soakChurnSql(n, c, o.rows))));
    const churnSeconds = (performance.now() - t) / 1000;
    // The sources as the backups will see them (nothing writes between here and the restore and drill).
    const [source, drillDigest] = await Promise.all([fingerprint(pg, dbOf(restored)), digest(pg, dbOf(drilled))]);

    log(`soak: cycle ${c}/${o.cycles}: ${o.apps} concurrent backups`);
    const sampler = sampleLocks(repo);
    t = performance.now();
    await Promise.all(
      names.map(async (n) => record(await soakRun(app(n), 'backup', c, n, (r) => (r.status === 'good' ? undefined : `backup status ${r.status}, not good`)))),
    );
    const backupsSeconds = (performance.now() - t) / 1000;
    const locksDuringBackups = sampler.stop();
    await noLockLeft(c, 'the concurrent backups');

    log(`soak: cycle ${c}: prune (${pruned})`);
    record(await soakRun(app(pruned), 'prune', c, pruned));
    await noLockLeft(c, 'the prune');
    const state = await census(repo, rEnv);
    for (const n of names) {
      const good = state.goodByHost.get(`bench.${n}`) ?? 0;
      if (good !== Math.min(c, o.keep)) note(c, `${n} has ${good} good set(s) after cycle ${c}, expected ${Math.min(c, o.keep)}`);
    }
    if (state.incomplete) note(c, `${state.incomplete} incomplete set(s) in the repository`);

    // The disaster: the application's database is gone (renamed away, so the soak can go on if the restore fails).
    log(`soak: cycle ${c}: restore ${restored} into its dropped database`);
    const lost = `${dbOf(restored)}_lost`;
    await pg.sql('postgres', `ALTER DATABASE ${dbOf(restored)} RENAME TO ${lost}`);
    const rr = record(await soakRun(app(restored, { restoreDropped: true }), 'restore', c, restored));
    let ok = false;
    if (rr.failure) {
      if (await dbExists(dbOf(restored))) note(c, `the failed restore of ${restored} left a database ${dbOf(restored)} behind (the target was gone)`);
      await pg.sql('postgres', `DROP DATABASE IF EXISTS ${dbOf(restored)} WITH (FORCE)`);
      await pg.sql('postgres', `ALTER DATABASE ${lost} RENAME TO ${dbOf(restored)}`);
    } else {
      const diff = rowDifference(source, await fingerprint(pg, dbOf(restored)));
      if (diff) note(c, `restore of ${restored} differs from its source: ${diff}`);
      ok = !diff;
      await pg.sql('postgres', `DROP DATABASE ${lost} WITH (FORCE)`);
    }
    restores.push({ cycle: c, app: restored, ok });
    await noLockLeft(c, 'the restore');
    noClaimLeft(c, restored);

    log(`soak: cycle ${c}: drill ${drilled}`);
    const checks = [
      { component: 'db', sql: DIGEST_SQL, expect: drillDigest },
      { component: 'db', table: 'items', minRows: o.rows },
    ];
    record(await soakRun(app(drilled, { drillChecks: checks }), 'drill', c, drilled));
    await noLockLeft(c, 'the drill');
    const scratch = await pg.sql('postgres', `SELECT string_agg(datname, ', ') FROM pg_database WHERE datname LIKE 'safehold\\_drill\\_%'`);
    if (scratch) note(c, `drill scratch database(s) left: ${scratch}`);

    const load = readFileSync('/proc/loadavg', 'utf8').split(' ')[0]!;
    cycles.push({ cycle: c, churnSeconds, backupsSeconds, locksDuringBackups, census: state, pruned, restored, drilled, load });
    log(
      `soak: cycle ${c} done: backups ${backupsSeconds.toFixed(1)} s, repository ${(state.bytes / 1e6).toFixed(1)} MB, ${state.snapshots} snapshots, load ${load}`,
    );
  }

  const done = cycles.length;
  // The end: the last set of a few applications restored beside the source, compared row by row.
  const finals: Array<{ app: string; ok: boolean; detail?: string }> = [];
  const k = Math.min(o.finalChecks, o.apps);
  const picks = Array.from({ length: k }, (_, i) => names[Math.floor((i * o.apps) / k)]!);
  for (const n of picks) {
    const side = `${dbOf(n)}_check`;
    log(`soak: final check: ${n} restored into ${side}`);
    const r = record(await soakRun(app(n, { restoreInto: side }), 'restore', done + 1, n));
    const detail = r.failure ?? rowDifference(await fingerprint(pg, dbOf(n)), await fingerprint(pg, side));
    finals.push({ app: n, ok: !detail, detail });
    await pg.sql('postgres', `DROP DATABASE IF EXISTS ${side} WITH (FORCE)`);
  }
  await noLockLeft(done + 1, 'the final restores');
  const t = performance.now();
  const check = await output({ cmd: binaryPath('restic'), args: ['check'], env: rEnv }).then(
    () => undefined,
    (e: Error) => e.message.split('\n').slice(0, 3).join(' | '),
  );
  const checkSeconds = (performance.now() - t) / 1000;
  if (check) note(done + 1, `restic check failed: ${check}`);
  for (const n of names) await pg.sql('postgres', `DROP DATABASE IF EXISTS ${dbOf(n)} WITH (FORCE)`);
  return soakReport({ o, runs, cycles, findings, restores, finals, check: { ok: !check, seconds: checkSeconds } });
}
