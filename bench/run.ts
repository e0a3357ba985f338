// `npm run bench [-- --quick]`: backup, restore, memory, storage and synthesis, measured in one run; prints every ratio.
// `npm run bench -- --only soak [--quick]`: the soak (bench/soak.ts), run on its own.
import { chmodSync, existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { startPostgres } from '../test/support/servers.js';
import { benchBackup } from './backup.js';
import { generate, pgClient } from './lib/db.js';
import { DEFAULT_MEMORY_LIMIT_MIB, machine, mb, table } from './lib/report.js';
import { buildRunner } from './lib/build.js';
import { freshRepository, makeApp, runRunner, useCompiledRunner, type RunnerRun } from './lib/runner.js';
import type { BenchEnv, Ratio, SectionResult } from './lib/section.js';
import { benchRestore } from './restore.js';
import { benchStorage } from './storage.js';
import { benchListing } from './listing.js';
import { benchRedis } from './redis.js';
import { benchSynth, type Scenario } from './synth.js';
import { benchSoak } from './soak.js';
import { useImageTools, type BenchTools } from './lib/image-tools.js';

const SECTIONS = ['backup', 'restore', 'memory', 'redis', 'listing', 'storage', 'synth'] as const;
/** Sections that run only when named: the soak takes ~25 minutes and is recorded apart. */
const OPT_IN = ['soak'] as const;
type Section = (typeof SECTIONS)[number] | (typeof OPT_IN)[number];

const { values: flags } = parseArgs({
  options: {
    quick: { type: 'boolean', default: false },
    /** Database size in MB (default 100 quick, 1000 full). */
    mb: { type: 'string' },
    runs: { type: 'string' },
    only: { type: 'string' },
    /** Which synthesis trees: flat, layered (both by default). */
    synth: { type: 'string' },
    /** Write the results into bench/README.md (between the RESULTS markers for this mode). */
    record: { type: 'boolean', default: false },
    /** Keep the work dir (repositories, logs) for inspection. */
    keep: { type: 'boolean', default: false },
    /** Run the host's restic, pg_dump and PostgreSQL instead of the image's (scripts/make-test-rootfs.sh). */
    'host-tools': { type: 'boolean', default: false },
    /** Soak size: applications sharing the repository, cycles, retention.keepLast, rows per application. */
    apps: { type: 'string' },
    cycles: { type: 'string' },
    'keep-last': { type: 'string' },
    rows: { type: 'string' },
    /** Soak: start no cycle that would end after this many minutes. */
    minutes: { type: 'string' },
  },
});

const quick = flags.quick!;
const size = Number(flags.mb ?? (quick ? 100 : 1000));
const runs = Number(flags.runs ?? 3);
const only = new Set<Section>((flags.only?.split(',') as Section[] | undefined) ?? SECTIONS);
for (const s of only) if (![...SECTIONS, ...OPT_IN].includes(s)) throw new Error(`--only ${s}: no such section (${[...SECTIONS, ...OPT_IN].join(', ')})`);
const soak = only.has('soak');
if (soak && only.size > 1) throw new Error('--only soak runs alone (it is recorded apart): drop the other sections');
const soakOptions = {
  apps: Number(flags.apps ?? (quick ? 5 : 20)),
  cycles: Number(flags.cycles ?? (quick ? 3 : 10)),
  keep: Number(flags['keep-last'] ?? (quick ? 1 : 3)),
  rows: Number(flags.rows ?? (quick ? 5000 : 20000)),
  finalChecks: 3,
  budgetSeconds: flags.minutes ? Number(flags.minutes) * 60 : undefined,
};
const t0 = Date.now();
const log = (msg: string) => process.stderr.write(`[bench ${((Date.now() - t0) / 1000).toFixed(0).padStart(4)} s] ${msg}\n`);

function memorySection(points: Array<{ label: string; dbBytes: number; runs: readonly RunnerRun[]; command: string }>): SectionResult {
  const rows = points.map((p) => {
    const peak = Math.max(...p.runs.map((r) => r.vmHWMKiB)) / 1024;
    const startup = Math.max(...p.runs.map((r) => r.startupHWMKiB ?? 0)) / 1024;
    const pod = Math.max(...p.runs.map((r) => r.podPeakBytes ?? 0)) / 2 ** 20;
    const cache = Math.max(...p.runs.map((r) => r.podCacheBytes ?? 0)) / 2 ** 20;
    const anon = Math.max(...p.runs.map((r) => r.podAnonPeakBytes ?? 0)) / 2 ** 20;
    const hits = p.runs.reduce((n, r) => n + (r.podLimitHits ?? 0), 0);
    const ooms = p.runs.reduce((n, r) => n + (r.podOomKills ?? 0), 0);
    return { ...p, peak, startup, pod, cache, anon, hits, ooms };
  });
  const podAll = Math.max(...rows.map((r) => r.pod));
  const anonAll = Math.max(...rows.map((r) => r.anon));
  const oomsAll = rows.reduce((n, r) => n + r.ooms, 0);
  const peakAll = Math.max(...rows.map((r) => r.peak));
  const by = (cmd: string) => rows.filter((r) => r.command === cmd);
  const flat = ['backup', 'restore'].map((cmd) => {
    const xs = by(cmd).sort((a, b) => a.dbBytes - b.dbBytes);
    return xs.length >= 2 ? xs[xs.length - 1]!.peak / xs[0]!.peak : 1;
  });
  const growth = Math.max(...flat);
  return {
    title: "Memory: the whole pod's peak (a memory cgroup around the runner, restic, pg_dump, pg_restore) and the runner's own peak RSS",
    detail: table(
      [
        'command',
        'database',
        'runs',
        `whole pod: cgroup peak (max over runs; held to ${DEFAULT_MEMORY_LIMIT_MIB} MiB)`,
        'of it anonymous (sampled peak)',
        'page cache left at the end',
        'limit reached (times) / OOM kills',
        'runner peak RSS (max over runs)',
        'of which at start-up (modules, context)',
      ],
      rows.map((r) => [
        r.command,
        `${r.label} (${mb(r.dbBytes)})`,
        String(r.runs.length),
        r.pod ? `${r.pod.toFixed(0)} MiB` : 'not measured',
        r.pod ? `${r.anon.toFixed(0)} MiB` : '',
        r.pod ? `${r.cache.toFixed(0)} MiB` : '',
        r.pod ? `${r.hits} / ${r.ooms}` : '',
        `${r.peak.toFixed(1)} MiB`,
        `${r.startup.toFixed(1)} MiB`,
      ]),
    ),
    notes: [
      "The cgroup peak is what the kernel charges against a pod's memory limit: anonymous memory of every process plus page cache (restic's cache, a spool file); page cache is reclaimed under the limit before anything is killed.",
      `Every runner run is held to the default limit (values resources.limits.memory, ${DEFAULT_MEMORY_LIMIT_MIB} MiB) by the group's memory.limit_in_bytes, as its pod would be: "limit reached" counts the kernel's reclaims (memory.failcnt), which cost time, not data; an OOM kill would fail the run.`,
      `Default limit: ${DEFAULT_MEMORY_LIMIT_MIB} MiB = ${(DEFAULT_MEMORY_LIMIT_MIB / Math.max(anonAll, 1)).toFixed(1)}× the largest anonymous peak, ${(DEFAULT_MEMORY_LIMIT_MIB / Math.max(podAll, 1)).toFixed(1)}× the largest charged peak measured here.`,
    ],
    ratios: [
      {
        measure: 'memory: whole-pod peak charged, page cache included (largest run)',
        value: podAll ? `${podAll.toFixed(0)} MiB` : 'not measured',
        goal: 'measured',
        met: podAll > 0,
      },
      {
        measure: 'memory: whole-pod anonymous peak (largest run)',
        value: anonAll ? `${anonAll.toFixed(0)} MiB` : 'not measured',
        goal: `default limit ${DEFAULT_MEMORY_LIMIT_MIB} MiB ≥ 2× it`,
        met: anonAll > 0 && DEFAULT_MEMORY_LIMIT_MIB >= 2 * anonAll,
      },
      { measure: `memory: OOM kills, every run held to ${DEFAULT_MEMORY_LIMIT_MIB} MiB`, value: String(oomsAll), goal: '0', met: podAll > 0 && oomsAll === 0 },
      { measure: 'memory: runner peak RSS (largest)', value: `${peakAll.toFixed(1)} MiB`, goal: '< 100 MiB', met: peakAll < 100 },
      { measure: 'memory: peak RSS, largest / smallest database', value: `${growth.toFixed(2)}×`, goal: 'flat (≤ 1.10×)', met: growth <= 1.1 },
    ],
  };
}

function summary(results: readonly SectionResult[]): string {
  const ratios: Ratio[] = results.flatMap((r) => r.ratios);
  return table(
    ['measure', 'value', 'goal', ''],
    ratios.map((r) => [r.measure, r.value, r.goal ?? '', r.met === undefined ? '' : r.met ? 'met' : 'MISSED']),
  );
}

async function main(): Promise<void> {
  const base = mkdtempSync(join(tmpdir(), 'safehold-bench-'));
  chmodSync(base, 0o755);
  const work = join(base, 'work');
  const results: SectionResult[] = [];
  const tools: BenchTools = flags['host-tools'] ? { done: async () => undefined } : await useImageTools(base);
  const info: Record<string, string> = { ...(await machine()), tools: tools.root ? `the image's (${tools.root})` : "the host's" };
  log(`mode ${quick ? 'quick' : 'full'}: database ${size} MB, ${runs} rounds, sections ${[...only].join(', ')}; work dir ${base}`);
  const needDb = soak || only.has('backup') || only.has('restore') || only.has('memory') || only.has('listing') || only.has('storage');
  const compiled = await buildRunner(join(base, 'build'));
  useCompiledRunner(join(compiled, 'runner-child.js'));
  const server = needDb ? await startPostgres({ baseDir: base, root: tools.root }) : undefined;
  try {
    if (server && soak) {
      const pg = pgClient(server);
      info.server = await pg.sql('postgres', 'SHOW server_version');
      results.push(await benchSoak({ pg, work, log }, soakOptions));
    } else if (server) {
      const pg = pgClient(server);
      log(`generating ${size} MB database`);
      const gen = await generate(pg, 'bench', size);
      log(`database: ${mb(gen.bytes)}, ${gen.rows} event rows`);
      info.server = await pg.sql('postgres', 'SHOW server_version');
      const env: BenchEnv = { pg, work, quick, runs, db: 'bench', dbBytes: gen.bytes, log };
      const memory: Array<{ label: string; dbBytes: number; runs: readonly RunnerRun[]; command: string }> = [];
      let repo: string | undefined;
      if (only.has('backup') || only.has('restore')) {
        const b = await benchBackup(env);
        repo = b.repo;
        memory.push({ label: `${size} MB`, dbBytes: gen.bytes, runs: b.runnerRuns, command: 'backup' });
        if (only.has('backup')) results.push(b);
      }
      if (only.has('restore')) {
        const r = await benchRestore(env, repo!);
        memory.push({ label: `${size} MB`, dbBytes: gen.bytes, runs: r.runnerRuns, command: 'restore' });
        results.push(r);
      }
      if (only.has('memory')) {
        // A second size: 10× smaller, one backup and one restore, to show the peak does not grow with the data.
        const small = Math.max(10, Math.round(size / 10));
        log(`memory: generating ${small} MB database`);
        const g = await generate(pg, 'small', small);
        const repoSmall = await freshRepository(join(work, 'repos', 'template'), join(work, 'repos', 'small'));
        const b = await runRunner(makeApp(pg, join(work, 'memory-small'), { name: 'small', database: 'small', repo: repoSmall }), 'backup');
        const r = await runRunner(
          makeApp(pg, join(work, 'memory-small'), { name: 'small', database: 'small', repo: repoSmall, restoreInto: 'small_restored' }),
          'restore',
        );
        memory.push(
          { label: `${small} MB`, dbBytes: g.bytes, runs: [b], command: 'backup' },
          { label: `${small} MB`, dbBytes: g.bytes, runs: [r], command: 'restore' },
        );
        await pg.sql('postgres', 'DROP DATABASE IF EXISTS small WITH (FORCE); DROP DATABASE IF EXISTS small_restored WITH (FORCE);');
        results.push(memorySection(memory));
      }
      if (only.has('listing')) results.push(await guarded('listing', () => benchListing(env)));
      if (only.has('storage')) results.push(await guarded('storage', () => benchStorage(env)));
    }
    if (only.has('redis')) results.push(await guarded('redis', () => benchRedis({ work, base, root: tools.root, runs, log })));
    if (only.has('synth'))
      results.push(
        await guarded('synth', () =>
          benchSynth({ work, quick, log, child: join(compiled, 'synth-child.js'), scenarios: flags.synth?.split(',') as Scenario[] | undefined }),
        ),
      );
  } finally {
    if (server) await server.stop().catch(() => undefined);
    await tools.done();
    // A server or tool still exiting can write into the tree while it is removed: retry, and never lose the results over it.
    if (!flags.keep)
      try {
        rmSync(base, { recursive: true, force: true, maxRetries: 5, retryDelay: 500 });
      } catch (e) {
        log(`could not remove ${base}: ${(e as Error).message}`);
      }
    else log(`kept ${base}`);
  }

  const seconds = (Date.now() - t0) / 1000;
  const command = `npm run bench${process.argv.length > 2 ? ` -- ${process.argv.slice(2).join(' ')}` : ''}`;
  const mode = soak
    ? `${quick ? 'quick' : 'full'} mode, ${soakOptions.apps} applications × ${soakOptions.cycles} cycles`
    : `${quick ? 'quick' : 'full'} mode, database ${size} MB, medians of ${runs}`;
  const head = [
    `command: \`${command}\` (${mode}), finished in ${seconds.toFixed(0)} s`,
    `date: ${new Date().toISOString()}`,
    ...Object.entries(info).map(([k, v]) => `${k}: ${v}`),
    `load at the end (1, 5, 15 min): ${readFileSync('/proc/loadavg', 'utf8').split(' ').slice(0, 3).join(' ')} — other engineers' work shares the 2 cores; ratios are measured side by side`,
  ];
  const body = [
    ...results.flatMap((r) => [`### ${r.title}`, '', r.detail, ...(r.notes?.length ? ['', ...r.notes.map((n) => `- ${n}`)] : []), '']),
    '### Every ratio',
    '',
    summary(results),
  ].join('\n');
  const text = `${head.map((h) => `- ${h}`).join('\n')}\n\n${body}\n`;
  process.stdout.write(`\n${text}`);
  if (flags.record) record(`${soak ? 'soak-' : ''}${quick ? 'quick' : 'full'}`, text);
}

/**
 * One section that needs nothing from the others: when it fails, its error is reported in its place (and the run
 * exits 1), so the sections measured before it are still printed and recorded.
 */
async function guarded(name: string, run: () => Promise<SectionResult>): Promise<SectionResult> {
  try {
    return await run();
  } catch (e) {
    process.exitCode = 1;
    log(`${name}: FAILED: ${(e as Error).message}`);
    return { title: `${name}: FAILED`, detail: ['```', (e as Error).message.slice(0, 2000), '```'].join('\n'), ratios: [] };
  }
}

/** Replaces the block between `<!-- RESULTS:mode -->` and `<!-- /RESULTS:mode -->` in bench/README.md. */
function record(mode: string, text: string): void {
  const readme = fileURLToPath(new URL('./README.md', import.meta.url));
  const open = `<!-- RESULTS:${mode} -->`;
  const close = `<!-- /RESULTS:${mode} -->`;
  const doc = existsSync(readme) ? readFileSync(readme, 'utf8') : '';
  const block = `${open}\n${text}${close}`;
  const i = doc.indexOf(open);
  const j = doc.indexOf(close);
  writeFileSync(readme, i >= 0 && j > i ? doc.slice(0, i) + block + doc.slice(j + close.length) : `${doc}\n${block}\n`);
  log(`results written to bench/README.md (${mode})`);
}

await main();
