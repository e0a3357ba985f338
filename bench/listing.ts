// Listing and retention as a repository grows to thousands of sets: restic's part (the runner's own listing and
// forget --dry-run arguments), the runner's part (grouping into sets, choosing what to remove) and a whole
// backup's time and pod memory at ~1,000 sets, then one retention that forgets thousands of sets.
import { join } from 'node:path';
import { resticHost } from '../src/contract/layout.js';
import { setsToRemove } from '../src/runner/commands/retention.js';
import { binaryPath } from '../src/runner/binaries.js';
import { forgetPolicyDryRunArgs, snapshotsArgs } from '../src/runner/restic/args.js';
import type { Snapshot } from '../src/runner/restic/client.js';
import { groupSets, STATUS_GOOD, TAG_MANIFEST } from '../src/runner/sets.js';
import { createDatabase } from './lib/db.js';
import { chain, duBytes, output } from './lib/proc.js';
import { median, mb, ratio, secs, table } from './lib/report.js';
import { freshRepository, makeApp, resticEnv, runRunner, type RunnerRun } from './lib/runner.js';
import type { BenchEnv, SectionResult } from './lib/section.js';

const SEED_SETS = 4;
const SNAPSHOTS_PER_SET = 3; // a PostgreSQL component: its dump, its globals, the manifest
const TARGET_SNAPSHOTS = 5000;

interface Point {
  readonly snapshots: number;
  readonly listing: number;
  readonly dryRun: number;
  readonly runnerJs: number;
}

/** A synthetic listing of `n` distinct complete sets (what the runner's pure code sees), for the JavaScript part. */
function syntheticListing(n: number, host: string): Snapshot[] {
  const out: Snapshot[] = [];
  for (let i = 0; i < n; i++) {
    const set = `20240101T${String(i).padStart(6, '0')}Z`;
    const time = new Date(Date.UTC(2024, 0, 1) + i * 3600_000).toISOString();
    for (const [k, extra] of [
      ['db', []],
      ['globals', ['globals']],
      ['manifest', [TAG_MANIFEST, STATUS_GOOD]],
    ] as const) {
      const id = `${i.toString(16).padStart(8, '0')}${k}`.padEnd(64, '0');
      out.push({ id, short_id: id.slice(0, 8), time, hostname: host, paths: [`/${k}`], tags: ['safehold', `set=${set}`, `component=db`, ...extra] });
    }
  }
  return out;
}

export async function benchListing(env: BenchEnv): Promise<SectionResult & { runnerRuns: RunnerRun[] }> {
  const { pg, work } = env;
  const db = 'listing_small';
  await createDatabase(pg, db);
  await pg.sql(db, 'CREATE TABLE t AS SELECT g AS id, md5(g::text) AS v FROM generate_series(1, 2000) g;');
  const template = join(work, 'repos', 'template');
  const repo = await freshRepository(template, join(work, 'repos', 'listing'));
  const other = await freshRepository(template, join(work, 'repos', 'listing-copies'));
  // keepLast 10000: the seed backups and the measured backup at ~1,000 sets keep everything.
  const app = makeApp(pg, join(work, 'listing'), { name: 'listing', database: db, repo, retention: { keepLast: 10000, prune: false } });
  for (let i = 0; i < SEED_SETS; i++) {
    env.log(`listing: seed backup ${i + 1}/${SEED_SETS}`);
    await runRunner(app, 'backup');
  }
  const host = resticHost({ name: 'listing', namespace: 'bench' } as Parameters<typeof resticHost>[0]);
  const restic = binaryPath('restic');
  const eA = resticEnv(repo, join(work, 'listing-cache-a'));
  const eB = resticEnv(other, join(work, 'listing-cache-b'));
  const filter = { host, tags: ['safehold'] };
  const count = async () => (JSON.parse(await output({ cmd: restic, args: ['snapshots', '--json', '--no-lock'], env: eA })) as unknown[]).length;
  const points: Point[] = [];
  const runs: RunnerRun[] = [];
  let atThousand: RunnerRun | undefined;
  let n = await count();
  // Each round doubles the repository: copy A → B, retag B (copies of a snapshot with other tags are new to A), copy B → A.
  // The copies repeat the seed sets' set= tags: restic's cost is per snapshot whatever the tags; the runner's own
  // part is measured on a listing of distinct sets of the same size.
  while (n < TARGET_SNAPSHOTS) {
    const from = (e: Record<string, string>) => ['--from-repo', e.RESTIC_REPOSITORY!, '--from-password-file', e.RESTIC_PASSWORD_FILE!];
    await output({ cmd: restic, args: ['copy', '-q', ...from(eA)], env: eB });
    await output({ cmd: restic, args: ['tag', '-q', '--add', `copy=${n}`], env: eB });
    await output({ cmd: restic, args: ['copy', '-q', ...from(eB)], env: eA });
    n = await count();
    env.log(`listing: ${n} snapshots`);
    if (n < 300) continue;
    const listing: number[] = [];
    const dryRun: number[] = [];
    const js: number[] = [];
    for (let r = 0; r < env.runs; r++) {
      listing.push((await chain([{ cmd: restic, args: snapshotsArgs(filter), env: eA }], { stdout: '/dev/null' })).wall);
      const policy = forgetPolicyDryRunArgs({ keepLast: 7, prune: true }, { host, tags: ['safehold', TAG_MANIFEST, STATUS_GOOD] });
      dryRun.push((await chain([{ cmd: restic, args: policy, env: eA }], { stdout: '/dev/null' })).wall);
      const fake = syntheticListing(Math.round(n / SNAPSHOTS_PER_SET), host);
      const text = JSON.stringify(fake);
      const t = performance.now();
      const sets = groupSets((JSON.parse(text) as Snapshot[]).sort((x, y) => x.time.localeCompare(y.time)));
      setsToRemove(sets, new Set(sets.slice(0, -7).map((s) => s.id)));
      js.push((performance.now() - t) / 1000);
    }
    points.push({ snapshots: n, listing: median(listing), dryRun: median(dryRun), runnerJs: median(js) });
    if (!atThousand && n >= 1000 * SNAPSHOTS_PER_SET) {
      env.log(`listing: a runner backup with ${n} snapshots (~${Math.round(n / SNAPSHOTS_PER_SET)} sets) in the repository`);
      atThousand = await runRunner(app, 'backup');
      runs.push(atThousand);
      n = await count();
    }
  }
  // Retention over thousands of sets: the default policy (keepLast 7) forgets all but the newest seven sets at once.
  env.log(`listing: retention over ${n} snapshots (default policy)`);
  const retentionApp = makeApp(pg, join(work, 'listing-retention'), { name: 'listing', database: db, repo, retention: { keepLast: 7, prune: false } });
  const retention = await runRunner(retentionApp, 'backup');
  runs.push(retention);
  const left = await count();
  await pg.sql('postgres', `DROP DATABASE IF EXISTS ${db} WITH (FORCE)`);

  const first = points[0]!;
  const last = points[points.length - 1]!;
  const growth = (f: (p: Point) => number) => f(last) / f(first) / (last.snapshots / first.snapshots);
  const detail = table(
    [
      'snapshots (≈ sets)',
      'restic snapshots (runner args)',
      'restic forget --dry-run (runner args)',
      'runner: parse + group + choose (distinct sets)',
      'ms per 1,000 snapshots (listing)',
    ],
    points.map((p) => [
      `${p.snapshots} (≈ ${Math.round(p.snapshots / SNAPSHOTS_PER_SET)})`,
      secs(p.listing),
      secs(p.dryRun),
      `${(p.runnerJs * 1000).toFixed(1)} ms`,
      ((1e6 * p.listing) / p.snapshots).toFixed(0),
    ]),
  );
  const pod = (r?: RunnerRun) => (r?.podPeakBytes ? `${(r.podPeakBytes / 2 ** 20).toFixed(0)} MiB` : 'not measured');
  const phases = (r: RunnerRun) =>
    Object.entries(r.phases)
      .map(([k, v]) => `${k} ${v.toFixed(2)} s`)
      .join(', ');
  const notes = [
    ...(atThousand
      ? [
          `a whole runner backup with ~1,000 sets in the repository: ${secs(atThousand.wall)}, whole-pod peak ${pod(atThousand)} (runner RSS ${(atThousand.vmHWMKiB / 1024).toFixed(0)} MiB); phases: ${phases(atThousand)}`,
        ]
      : []),
    `retention forgetting all but 7 of ${Math.round(n / SNAPSHOTS_PER_SET)} sets' snapshots (${n} → ${left} snapshots) in one backup: ${secs(retention.wall)}, whole-pod peak ${pod(retention)}; phases: ${phases(retention)}`,
    `repository after the copies: ${mb(await duBytes(repo))}; the copies repeat the seed sets' set= tags (restic's cost is per snapshot), the runner's part is timed on a listing of distinct sets`,
  ];
  const lin = growth((p) => p.listing);
  return {
    title: `Listing and retention with thousands of sets (restic ${TARGET_SNAPSHOTS}+ snapshots, medians of ${env.runs})`,
    detail,
    notes,
    runnerRuns: runs,
    ratios: [
      {
        measure: `listing: time per snapshot at ${last.snapshots} / at ${first.snapshots} (1.00× = linear)`,
        value: ratio(lin),
        goal: 'linear (≤ 1.5×)',
        met: lin <= 1.5,
      },
      {
        measure: `retention dry run: time per snapshot at ${last.snapshots} / at ${first.snapshots}`,
        value: ratio(growth((p) => p.dryRun)),
        goal: 'linear (≤ 1.5×)',
        met: growth((p) => p.dryRun) <= 1.5,
      },
      { measure: `listing with ${last.snapshots} snapshots`, value: secs(last.listing), goal: 'measured', met: true },
      { measure: 'runner backup with ~1,000 sets: whole-pod peak memory', value: pod(atThousand), goal: 'measured', met: !!atThousand?.podPeakBytes },
    ],
  };
}
