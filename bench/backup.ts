// Backup: the runner vs the same tools piped by hand vs the read floor vs `pg_dump | gzip`, rounds interleaved.
import { join } from 'node:path';
import { binaryPath } from '../src/runner/binaries.js';
import { dumpCmd } from './lib/db.js';
import { chain, duBytes, type Cmd, type Timing } from './lib/proc.js';
import { mb, median, ratio, secs, table } from './lib/report.js';
import { freshRepository, makeApp, resticEnv, runRunner, type RunnerRun } from './lib/runner.js';
import type { BenchEnv, SectionResult } from './lib/section.js';

export interface BackupOutcome extends SectionResult {
  /** A repository holding one runner backup set of the database (for the restore bench). */
  readonly repo: string;
  readonly runnerRuns: readonly RunnerRun[];
}

/** restic with the runner's own arguments (restic/args.ts backupStdinArgs), run by hand. */
function handRestic(repo: string, cache: string): Cmd {
  return {
    cmd: binaryPath('restic'),
    args: ['backup', '--json', '--stdin', '--stdin-filename', 'db.pgdump', '--host', 'bench.hand', '--tag', 'safehold', '--tag', 'component=db'],
    env: resticEnv(repo, cache),
  };
}

export async function benchBackup(env: BenchEnv): Promise<BackupOutcome> {
  const { pg, work, db } = env;
  const template = join(work, 'repos', 'template');
  const pgEnv = { PGSSLMODE: 'disable', PGPASSWORD: pg.info.password };
  const dump = { ...dumpCmd(pg, db), env: pgEnv };
  // Warm the server's cache once so the first variant is not penalized.
  await chain([dump], { stdout: '/dev/null' });

  const runner: RunnerRun[] = [];
  const hand: Timing[] = [];
  const floor: Timing[] = [];
  const gzip: Timing[] = [];
  const sizes = { runnerRepo: 0, handRepo: 0, gzip: 0 };
  let lastRepo = '';
  const variants: Record<string, (round: number) => Promise<void>> = {
    runner: async (r) => {
      const repo = await freshRepository(template, join(work, 'repos', `runner-${r}`));
      const app = makeApp(pg, join(work, `backup-runner-${r}`), { name: 'bench', database: db, repo });
      const run = await runRunner(app, 'backup');
      if (run.status !== 'good') throw new Error(`runner backup status ${run.status}`);
      runner.push(run);
      sizes.runnerRepo = await duBytes(repo);
      lastRepo = repo;
    },
    hand: async (r) => {
      const repo = await freshRepository(template, join(work, 'repos', `hand-${r}`));
      hand.push(await chain([dump, handRestic(repo, join(work, `hand-cache-${r}`))], { stdout: '/dev/null' }));
      sizes.handRepo = await duBytes(repo);
    },
    floor: async () => {
      floor.push(await chain([dump], { stdout: '/dev/null' }));
    },
    gzip: async () => {
      const file = join(work, 'dump.sql.gz');
      gzip.push(
        await chain(
          [
            { ...dumpCmd(pg, db, []), env: pgEnv },
            { cmd: 'gzip', args: [] },
          ],
          { stdout: file },
        ),
      );
      sizes.gzip = await duBytes(file);
    },
  };
  const names = Object.keys(variants);
  for (let r = 0; r < env.runs; r++) {
    // Rotate the order each round so that no variant always runs first (or right after the slowest).
    for (let i = 0; i < names.length; i++) {
      const name = names[(i + r) % names.length]!;
      env.log(`backup round ${r + 1}/${env.runs}: ${name}`);
      await variants[name]!(r);
    }
  }

  const w = {
    runner: median(runner.map((x) => x.wall)),
    stream: median(runner.map((x) => x.phases['stream: dump | restic backup'] ?? 0)),
    hand: median(hand.map((x) => x.wall)),
    floor: median(floor.map((x) => x.wall)),
    gzip: median(gzip.map((x) => x.wall)),
  };
  const c = {
    runner: median(runner.map((x) => x.cpu)),
    hand: median(hand.map((x) => x.cpu)),
    floor: median(floor.map((x) => x.cpu)),
    gzip: median(gzip.map((x) => x.cpu)),
  };
  const detail = table(
    ['variant', 'wall (median)', 'CPU s (median)', 'runs (wall)', 'vs read floor', 'output'],
    [
      ['read floor: pg_dump -Fc -Z0 > /dev/null', secs(w.floor), secs(c.floor), floor.map((x) => x.wall.toFixed(2)).join(' '), ratio(1), '—'],
      [
        'hand-piped: pg_dump -Fc -Z0 | restic backup --stdin',
        secs(w.hand),
        secs(c.hand),
        hand.map((x) => x.wall.toFixed(2)).join(' '),
        ratio(w.floor / w.hand),
        `repo ${mb(sizes.handRepo)}`,
      ],
      [
        'runner backup (whole command)',
        secs(w.runner),
        secs(c.runner),
        runner.map((x) => x.wall.toFixed(2)).join(' '),
        ratio(w.floor / w.runner),
        `repo ${mb(sizes.runnerRepo)}`,
      ],
      [
        'runner: its dump | restic stream only',
        secs(w.stream),
        '',
        runner.map((x) => (x.phases['stream: dump | restic backup'] ?? 0).toFixed(2)).join(' '),
        ratio(w.floor / w.stream),
        '',
      ],
      [
        'hand-written: pg_dump | gzip > file',
        secs(w.gzip),
        secs(c.gzip),
        gzip.map((x) => x.wall.toFixed(2)).join(' '),
        ratio(w.floor / w.gzip),
        `file ${mb(sizes.gzip)}`,
      ],
    ],
  );
  const phaseNames = [...new Set(runner.flatMap((x) => Object.keys(x.phases)))];
  const breakdown = table(
    ['runner backup phase', 'seconds (median)', 'share of the command'],
    [
      ['node start-up and imports', secs(median(runner.map((x) => x.startupSeconds))), ''],
      ...phaseNames.map((p) => {
        const s = median(runner.map((x) => x.phases[p] ?? 0));
        return [p, secs(s), `${((100 * s) / w.runner).toFixed(0)} %`];
      }),
      ['process exit', secs(median(runner.map((x) => x.wall - x.startupSeconds - x.seconds))), ''],
      ['restic starts outside the stream and the read-back (count)', String(median(runner.map((x) => x.resticCalls))), ''],
    ],
  );
  const runnerVsHand = w.runner / w.hand;
  const streamVsHand = w.stream / w.hand;
  // Other load on the machine only ever adds time: the best run is the steadier estimate of the cost itself.
  const best = (xs: readonly number[]) => Math.min(...xs);
  const streamVsHandBest = best(runner.map((x) => x.phases['stream: dump | restic backup'] ?? 0)) / best(hand.map((x) => x.wall));
  const runnerVsHandBest = best(runner.map((x) => x.wall)) / best(hand.map((x) => x.wall));
  const gzipSpeedup = w.gzip / w.runner;
  // Issue 17's goals: 100 MB (quick) whole ≤ 1.5× the bare pipe and ≥ 1.5× gzip's speed; 1 GB (full) ≤ 1.1× and ≥ 2×.
  const goal = env.quick ? { pipe: 1.5, gzip: 1.5 } : { pipe: 1.1, gzip: 2 };
  return {
    title: `Backup (database ${mb(env.dbBytes)} on disk, medians of ${env.runs})`,
    detail: `${detail}\n\n${breakdown}\n\nrestic snapshots counts two listings (start, retention); retention's listing and its forget --dry-run run side by side.`,
    repo: lastRepo,
    runnerRuns: runner,
    ratios: [
      { measure: 'backup: runner stream (dump | restic) / hand-piped', value: ratio(streamVsHand), goal: '≤ 1.05×', met: streamVsHand <= 1.05 },
      { measure: 'backup: runner stream / hand-piped, best runs', value: ratio(streamVsHandBest), goal: '≤ 1.05×', met: streamVsHandBest <= 1.05 },
      { measure: 'backup: runner whole command / hand-piped (bare pipe)', value: ratio(runnerVsHand), goal: `≤ ${goal.pipe}×`, met: runnerVsHand <= goal.pipe },
      { measure: 'backup: runner whole command / hand-piped, best runs', value: ratio(runnerVsHandBest) },
      { measure: 'backup: runner CPU / hand-piped CPU', value: ratio(c.runner / c.hand) },
      {
        measure: 'backup: speed vs pg_dump | gzip > file (gzip time / runner time)',
        value: ratio(gzipSpeedup),
        goal: `≥ ${goal.gzip}×`,
        met: gzipSpeedup >= goal.gzip,
      },
      { measure: 'backup: read floor / runner (speed vs floor)', value: ratio(w.floor / w.runner) },
      { measure: 'backup: read floor / hand-piped', value: ratio(w.floor / w.hand) },
    ],
  };
}
