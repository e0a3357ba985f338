// The soak's tables: per cycle, the trends over the steady cycles, memory, failures and the final row-by-row check.
import type { ChildCommand } from '../runner-child.js';
import type { CycleRecord, Finding, SoakOptions } from '../soak.js';
import { DEFAULT_MEMORY_LIMIT_MIB, median, table } from './report.js';
import type { Ratio, SectionResult } from './section.js';
import type { SoakRun } from './soak-runs.js';

/** A measure grows when its least-squares line rises by more than this share of its mean over the steady cycles. */
const FLAT_RISE = 0.15;
/** The repository is stable when its largest size over the steady cycles is within this factor of its smallest. */
const STABLE_SIZE = 1.1;

export interface SoakInput {
  readonly o: SoakOptions;
  readonly runs: readonly SoakRun[];
  readonly cycles: readonly CycleRecord[];
  readonly findings: readonly Finding[];
  readonly restores: ReadonlyArray<{ cycle: number; app: string; ok: boolean }>;
  readonly finals: ReadonlyArray<{ app: string; ok: boolean; detail?: string }>;
  readonly check: { ok: boolean; seconds: number };
}

/** Least-squares slope of ys over 0..n-1, as a share of their mean (0 for fewer than two points). Pure. */
export function relativeSlope(ys: readonly number[]): number {
  const n = ys.length;
  const mean = ys.reduce((a, b) => a + b, 0) / Math.max(n, 1);
  if (n < 2 || mean === 0) return 0;
  const xm = (n - 1) / 2;
  const num = ys.reduce((a, y, x) => a + (x - xm) * (y - mean), 0);
  const den = ys.reduce((a, _, x) => a + (x - xm) ** 2, 0);
  return num / den / mean;
}

const MiB = (b: number) => `${(b / 2 ** 20).toFixed(0)} MiB`;
const s1 = (x: number) => `${x.toFixed(1)} s`;
const pct = (x: number) => `${x >= 0 ? '+' : ''}${(100 * x).toFixed(1)} %`;

export function soakReport(i: SoakInput): SectionResult {
  const { o, runs, cycles } = i;
  const of = (c: number, cmd: ChildCommand) => runs.filter((r) => r.cycle === c && r.command === cmd);
  const wall = (c: number, cmd: ChildCommand) => of(c, cmd).map((r) => r.result?.wall ?? 0);
  const cpu = (c: number, cmd: ChildCommand) => of(c, cmd).reduce((a, r) => a + (r.result?.cpu ?? 0), 0);
  const sum = (xs: readonly number[]) => xs.reduce((a, b) => a + b, 0);
  const contention = (c: number) => ({
    listings: sum(runs.filter((r) => r.cycle === c).map((r) => r.contention.lockedListings)),
    retries: sum(runs.filter((r) => r.cycle === c).map((r) => r.contention.lockRetries + r.contention.storageRetries)),
  });
  // restic waits for a lock inside the call (--retry-lock): the longest forget (exclusive) and listing show the waits.
  const phaseMax = (c: number, phase: string) => Math.max(0, ...of(c, 'backup').map((r) => r.result?.phases[phase] ?? 0));
  const failed = runs.filter((r) => r.failure);
  const perCycle = table(
    [
      'cycle',
      `${o.apps} backups (wall)`,
      'one backup: median / max',
      'backups CPU s',
      'prune',
      'restore',
      'drill',
      'repository',
      'snapshots (good sets, request records)',
      'locks during backups: peak, time held',
      'listings that met a lock / retries',
      'one backup: time in restic forget / snapshots (max)',
      'backup pod peak (max)',
      'failures',
      'load (1 min)',
    ],
    cycles.map((c) => {
      const b = wall(c.cycle, 'backup');
      const k = contention(c.cycle);
      return [
        String(c.cycle),
        s1(c.backupsSeconds),
        `${s1(median(b))} / ${s1(Math.max(...b))}`,
        cpu(c.cycle, 'backup').toFixed(0),
        s1(wall(c.cycle, 'prune')[0] ?? 0),
        s1(wall(c.cycle, 'restore')[0] ?? 0),
        s1(wall(c.cycle, 'drill')[0] ?? 0),
        `${(c.census.bytes / 1e6).toFixed(1)} MB`,
        `${c.census.snapshots} (${c.census.good}, ${c.census.requestRecords})`,
        `${c.locksDuringBackups.peak}, ${(100 * c.locksDuringBackups.busy).toFixed(0)} %`,
        `${k.listings} / ${k.retries}`,
        `${s1(phaseMax(c.cycle, 'restic forget'))} / ${s1(phaseMax(c.cycle, 'restic snapshots'))}`,
        MiB(Math.max(...of(c.cycle, 'backup').map((r) => r.result?.podPeakBytes ?? 0))),
        String(runs.filter((r) => r.cycle === c.cycle && r.failure).length + i.findings.filter((f) => f.cycle === c.cycle).length),
        c.load,
      ];
    }),
  );

  // Steady state: every application holds keepLast sets and each backup forgets one (from cycle keep + 1).
  const steady = cycles.filter((c) => c.cycle > o.keep).length >= 2 ? cycles.filter((c) => c.cycle > o.keep) : cycles;
  const WALL = 'shown (walls move with the load)';
  const trendRows: Array<[string, number[], (x: number) => string, string | undefined]> = [
    ['repository size (MB)', steady.map((c) => c.census.bytes / 1e6), (x) => x.toFixed(1), undefined],
    ['snapshots in the repository', steady.map((c) => c.census.snapshots), (x) => x.toFixed(0), undefined],
    ['of which restore request records', steady.map((c) => c.census.requestRecords), (x) => x.toFixed(0), 'shown (kept by design: one request each)'],
    ['backups CPU s (all applications)', steady.map((c) => cpu(c.cycle, 'backup')), (x) => x.toFixed(0), undefined],
    ['one backup, median wall s', steady.map((c) => median(wall(c.cycle, 'backup'))), (x) => x.toFixed(1), WALL],
    ['concurrent backups, wall s', steady.map((c) => c.backupsSeconds), (x) => x.toFixed(1), WALL],
    ['prune CPU s', steady.map((c) => cpu(c.cycle, 'prune')), (x) => x.toFixed(1), undefined],
    ['restore CPU s', steady.map((c) => cpu(c.cycle, 'restore')), (x) => x.toFixed(1), undefined],
    ['drill CPU s', steady.map((c) => cpu(c.cycle, 'drill')), (x) => x.toFixed(1), undefined],
    [
      'backup pod peak (max, MiB)',
      steady.map((c) => Math.max(...of(c.cycle, 'backup').map((r) => (r.result?.podPeakBytes ?? 0) / 2 ** 20))),
      (x) => x.toFixed(0),
      undefined,
    ],
  ];
  const trends = table(
    [
      `measure (steady cycles ${steady[0]?.cycle}–${steady[steady.length - 1]?.cycle})`,
      'first',
      'last',
      'slope per cycle (of the mean)',
      'fitted change over the steady cycles',
      'verdict',
    ],
    trendRows.map(([name, ys, f, shown]) => {
      const slope = relativeSlope(ys);
      const rise = slope * (ys.length - 1);
      return [name, f(ys[0] ?? 0), f(ys[ys.length - 1] ?? 0), pct(slope), pct(rise), shown ?? (rise > FLAT_RISE ? 'GROWS' : 'flat')];
    }),
  );

  const commands: ChildCommand[] = ['backup', 'prune', 'restore', 'drill'];
  const memory = table(
    ['command', 'runs', 'whole pod peak (max)', 'whole pod peak (median)', 'runner peak RSS (max)', 'wall (median)', 'CPU s (median)'],
    commands.map((cmd) => {
      const rs = runs.filter((r) => r.command === cmd && r.result).map((r) => r.result!);
      return [
        cmd,
        String(runs.filter((r) => r.command === cmd).length),
        MiB(Math.max(0, ...rs.map((r) => r.podPeakBytes ?? 0))),
        MiB(median(rs.map((r) => r.podPeakBytes ?? 0))),
        `${(Math.max(0, ...rs.map((r) => r.vmHWMKiB)) / 1024).toFixed(0)} MiB`,
        s1(median(rs.map((r) => r.wall))),
        median(rs.map((r) => r.cpu)).toFixed(1),
      ];
    }),
  );
  const problems = [...failed.map((r) => `cycle ${r.cycle}, ${r.app}: ${r.failure}`), ...i.findings.map((f) => `cycle ${f.cycle}: ${f.what}`)];
  const finals = table(
    ['application', 'last set restored into a side database, compared row by row with the source'],
    i.finals.map((f) => [f.app, f.ok ? 'equal' : `DIFFERS: ${f.detail}`]),
  );
  const detail = [
    perCycle,
    '',
    trends,
    '',
    memory,
    '',
    finals,
    '',
    problems.length ? `**Failures (${problems.length}):**\n\n${problems.map((p) => `- ${p}`).join('\n')}` : '**Failures: none.**',
  ].join('\n');

  const sizes = steady.map((c) => c.census.bytes);
  const sizeRatio = Math.max(...sizes) / Math.min(...sizes);
  const podAll = Math.max(0, ...runs.map((r) => r.result?.podPeakBytes ?? 0)) / 2 ** 20;
  const restoresOk = i.restores.filter((r) => r.ok).length;
  const drills = runs.filter((r) => r.command === 'drill');
  const locksLeft = i.findings.filter((f) => /lock\(s\) left|claim file/.test(f.what)).length;
  const backupCpuRise = relativeSlope(steady.map((c) => cpu(c.cycle, 'backup'))) * (steady.length - 1);
  const all = { listings: sum(runs.map((r) => r.contention.lockedListings)), retries: sum(runs.map((r) => r.contention.lockRetries)) };
  const ratios: Ratio[] = [
    { measure: 'soak: failures (runs failed or logging an error, findings)', value: String(problems.length), goal: '0', met: problems.length === 0 },
    {
      measure: 'soak: restores from the dropped database equal to the source, row by row',
      value: `${restoresOk}/${i.restores.length}`,
      goal: 'all',
      met: restoresOk === i.restores.length,
    },
    {
      measure: "soak: drills passed (their check compares every row's digest)",
      value: `${drills.filter((r) => !r.failure).length}/${drills.length}`,
      goal: 'all',
      met: drills.every((r) => !r.failure),
    },
    {
      measure: 'soak: final check, last set of a few applications equal to the source',
      value: `${i.finals.filter((f) => f.ok).length}/${i.finals.length}`,
      goal: 'all',
      met: i.finals.every((f) => f.ok),
    },
    { measure: 'soak: locks or claims left after a run (restic list locks)', value: String(locksLeft), goal: '0', met: locksLeft === 0 },
    {
      measure: 'soak: repository size over the steady cycles, largest / smallest',
      value: `${sizeRatio.toFixed(2)}×`,
      goal: `stable (≤ ${STABLE_SIZE}×)`,
      met: sizeRatio <= STABLE_SIZE,
    },
    {
      measure: 'soak: backups CPU per cycle, fitted change over the steady cycles',
      value: pct(backupCpuRise),
      goal: `does not grow (≤ +${100 * FLAT_RISE} %)`,
      met: backupCpuRise <= FLAT_RISE,
    },
    {
      measure: 'soak: whole-pod peak memory (largest run)',
      value: `${podAll.toFixed(0)} MiB`,
      goal: `default limit ${DEFAULT_MEMORY_LIMIT_MIB} MiB ≥ 2× it`,
      met: podAll > 0 && DEFAULT_MEMORY_LIMIT_MIB >= 2 * podAll,
    },
    { measure: 'soak: lock contention (listings that met a lock / lock retries by the runner)', value: `${all.listings} / ${all.retries}` },
    {
      measure: 'soak: restic check of the repository at the end',
      value: `${i.check.ok ? 'passed' : 'FAILED'} in ${s1(i.check.seconds)}`,
      goal: 'passes',
      met: i.check.ok,
    },
  ];
  return {
    title: `Soak: ${o.apps} applications sharing one repository, ${cycles.length}${cycles.length < o.cycles ? ` of ${o.cycles} (time budget)` : ''} cycles (churn, concurrent backups, prune, restore, drill), ${o.rows} rows each, keepLast ${o.keep}`,
    detail,
    notes: [
      `Each cycle: 5 % of every application's rows replaced and 2 % updated; all ${o.apps} backups started at once; one \`safehold prune\`; one application's database dropped and restored (compared row by row with the source as backed up); one drill of another application (its SQL check compares the digest of every row).`,
      'Locks: `restic list locks` after the concurrent backups, the prune, the restore and the drill (nothing else runs then: any lock outlived its run); during the backups the lock files are counted every 200 ms. "Listings that met a lock": a run whose first listing found another run\'s exclusive lock (retention\'s `forget`) and waited (`--retry-lock`).',
      `Steady cycles: from cycle keepLast + 1 on, every backup forgets one set. Trends are least-squares lines over them; a measure GROWS when its line rises by more than ${100 * FLAT_RISE} % of its mean from the first steady cycle to the last. CPU seconds are judged; walls are shown (they move with the machine's load).`,
    ],
    ratios,
  };
}
