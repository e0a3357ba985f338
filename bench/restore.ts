// Restore into an empty database: the runner (restoreJobs 1 and 2) vs pg_restore from a local dump file (-j 1, -j 2).
import { join } from 'node:path';
import { createDatabase, dumpCmd, type Pg } from './lib/db.js';
import { chain, type Timing } from './lib/proc.js';
import { mb, median, ratio, secs, table } from './lib/report.js';
import { makeApp, runRunner, type RunnerRun } from './lib/runner.js';
import type { BenchEnv, SectionResult } from './lib/section.js';

export interface RestoreOutcome extends SectionResult {
  readonly runnerRuns: readonly RunnerRun[];
}

async function sameRows(pg: Pg, a: string, b: string): Promise<void> {
  const q = `SELECT count(*) || ':' || coalesce(sum(amount), 0) || ':' || (SELECT count(*) FROM pg_indexes WHERE schemaname = 'public') FROM events`;
  const [x, y] = await Promise.all([pg.sql(a, q), pg.sql(b, q)]);
  if (x !== y) throw new Error(`restored database ${b} differs from ${a}: ${y} vs ${x}`);
}

export async function benchRestore(env: BenchEnv, repo: string): Promise<RestoreOutcome> {
  const { pg, work, db } = env;
  const pgEnv = { PGSSLMODE: 'disable', PGPASSWORD: pg.info.password };
  // The floor's input: a dump file as pg_dump writes it to a file (seekable, so its TOC carries data offsets).
  const file = join(work, 'floor.pgdump');
  await chain([{ ...dumpCmd(pg, db), env: pgEnv }], { stdout: file });
  // As the runner has it: pg_dump wrote into a pipe (restic's stdin), so the TOC has no data offsets.
  const piped = join(work, 'piped.pgdump');
  if (!env.quick)
    await chain(
      [
        { ...dumpCmd(pg, db), env: pgEnv },
        { cmd: 'cat', args: [] },
      ],
      { stdout: piped },
    );

  const runs: Record<string, RunnerRun[]> = { j1: [], j2: [] };
  const floors: Record<string, Timing[]> = { j1: [], j2: [], piped: [] };
  const variants: Record<string, (round: number) => Promise<void>> = {};
  for (const jobs of [1, 2]) {
    const target = `restore_runner_j${jobs}`;
    variants[`runner -j${jobs}`] = async (r) => {
      const app = makeApp(pg, join(work, `restore-runner-j${jobs}-${r}`), { name: 'bench', database: db, repo, restoreJobs: jobs, restoreInto: target });
      runs[`j${jobs}`]!.push(await runRunner(app, 'restore'));
      if (r === 0) await sameRows(pg, db, target);
    };
    const floorDb = `restore_floor_j${jobs}`;
    variants[`pg_restore -j${jobs}`] = async (r) => {
      await pg.sql('postgres', `DROP DATABASE IF EXISTS ${floorDb} WITH (FORCE)`);
      const args = ['--exit-on-error', '--no-owner', ...(jobs > 1 ? ['--jobs', String(jobs)] : []), ...pg.conn(floorDb), file];
      // The floor includes createdb: a restore onto a new server has to create the database too.
      const create = await chain([{ cmd: pg.bin('psql'), args: ['-X', '-q', '-c', `CREATE DATABASE ${floorDb}`, ...pg.conn('postgres')], env: pgEnv }]);
      const load = await chain([{ cmd: pg.bin('pg_restore'), args, env: pgEnv }]);
      floors[`j${jobs}`]!.push({ wall: create.wall + load.wall, cpu: create.cpu + load.cpu });
      if (r === 0) await sameRows(pg, db, floorDb);
    };
  }
  // Diagnostic (full mode): does the missing TOC offset of a piped dump slow parallel restore down?
  if (!env.quick)
    variants['pg_restore -j2 (pipe-written dump)'] = async (r) => {
      await createDatabase(pg, 'restore_floor_piped');
      const args = ['--exit-on-error', '--no-owner', '--jobs', '2', ...pg.conn('restore_floor_piped'), piped];
      floors.piped!.push(await chain([{ cmd: pg.bin('pg_restore'), args, env: pgEnv }]));
      if (r === 0) await sameRows(pg, db, 'restore_floor_piped');
    };
  const names = Object.keys(variants);
  for (let r = 0; r < env.runs; r++) {
    for (let i = 0; i < names.length; i++) {
      const name = names[(i + r) % names.length]!;
      env.log(`restore round ${r + 1}/${env.runs}: ${name}`);
      await variants[name]!(r);
    }
  }
  for (const d of ['restore_runner_j1', 'restore_runner_j2', 'restore_floor_j1', 'restore_floor_j2', 'restore_floor_piped'])
    await pg.sql('postgres', `DROP DATABASE IF EXISTS ${d} WITH (FORCE)`);

  const w = (xs: readonly { wall: number }[]) => median(xs.map((x) => x.wall));
  const floor = w(floors.j1!);
  const rows: Array<readonly [string, readonly { wall: number; cpu: number }[]]> = [
    ['floor: createdb + pg_restore -d db file', floors.j1!],
    ['createdb + pg_restore -j 2 -d db file', floors.j2!],
    ...(env.quick ? [] : [['pg_restore -j 2, dump written to a pipe (no offsets)', floors.piped!] as const]),
    ['runner restore (restoreJobs 1)', runs.j1!],
    ['runner restore (restoreJobs 2)', runs.j2!],
  ];
  const detail = table(
    ['variant', 'wall (median)', 'CPU s (median)', 'runs (wall)', 'speed vs floor'],
    rows.map(([name, xs]) => [name, secs(w(xs)), secs(median(xs.map((x) => x.cpu))), xs.map((x) => x.wall.toFixed(2)).join(' '), ratio(floor / w(xs))]),
  );
  const all = [...runs.j1!, ...runs.j2!];
  const phaseNames = [...new Set(all.flatMap((x) => Object.keys(x.phases)))];
  const breakdown = table(
    ['runner restore phase', 'restoreJobs 1 (median s)', 'restoreJobs 2 (median s)'],
    [
      ['node start-up and imports', secs(median(runs.j1!.map((x) => x.startupSeconds))), secs(median(runs.j2!.map((x) => x.startupSeconds)))],
      ...phaseNames.map((p) => [p, secs(median(runs.j1!.map((x) => x.phases[p] ?? 0))), secs(median(runs.j2!.map((x) => x.phases[p] ?? 0)))]),
    ],
  );
  const s1 = floor / w(runs.j1!);
  const s2 = floor / w(runs.j2!);
  const best = (xs: readonly { wall: number }[]) => Math.min(...xs.map((x) => x.wall));
  // Issue 17's goal: speed vs createdb + pg_restore from a local file ≥ 0.8× at 100 MB (quick), ≥ 0.95× at 1 GB.
  const goal = env.quick ? 0.8 : 0.95;
  return {
    title: `Restore into an empty database (dump ${mb(env.dbBytes)} database, medians of ${env.runs})`,
    detail: `${detail}\n\n${breakdown}`,
    runnerRuns: all,
    ratios: [
      { measure: 'restore: runner (restoreJobs 1) speed / createdb + pg_restore floor', value: ratio(s1), goal: `≥ ${goal}×`, met: s1 >= goal },
      { measure: 'restore: runner (restoreJobs 2) speed / createdb + pg_restore floor', value: ratio(s2), goal: `≥ ${goal}×`, met: s2 >= goal },
      { measure: 'restore: runner (restoreJobs 1) / floor, best runs', value: ratio(best(floors.j1!) / best(runs.j1!)) },
      { measure: 'restore: pg_restore -j 2 speed / pg_restore floor', value: ratio(floor / w(floors.j2!)) },
    ],
  };
}
