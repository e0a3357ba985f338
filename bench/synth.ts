// Synthesis at scale: 1, 100, 1,000, 2,000 generated values files through synthesizeAll vs the plain-YAML floor,
// then a layered tree (root and per-environment _defaults.yaml, 20, 100 and 200 apps × 3 environments).
import { spawn } from 'node:child_process';
import { mkdirSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parse, stringify } from 'yaml';
import type { SynthChildResult, SynthRequest } from './synth-child.js';
import { median, ratio, secs, table } from './lib/report.js';
import type { Ratio, SectionResult } from './lib/section.js';

const ROOT = fileURLToPath(new URL('..', import.meta.url));
/** The full mode's sizes; quick mode stops at 1,000. */
export const SIZES = [1, 100, 1000, 2000];
/** Apps per environment in the layered tree (× ENVIRONMENTS); both modes. */
export const LAYERED_SIZES = [20, 100, 200];
export const ENVIRONMENTS = ['dev', 'staging', 'prod'] as const;

/**
 * A layered tree: values/_defaults.yaml (repository, monitoring, image), values/<env>/_defaults.yaml (schedule,
 * retention) and `perEnv` small app files per environment (name, namespace, one component).
 */
export function generateLayered(dir: string, perEnv: number): void {
  mkdirSync(dir, { recursive: true });
  writeFileSync(
    join(dir, '_defaults.yaml'),
    stringify({
      repository: {
        s3: { endpoint: 'https://s3.example.com', bucket: 'acme-backups', credentials: { secretName: 'backup-s3' } },
        password: { secretName: 'restic-key' },
      },
      monitoring: { pushgateway: 'http://pushgateway.monitoring:9091' },
      image: 'registry.example.com/safehold/runner:1.2.3',
    }),
  );
  const env = { dev: ['0 4 * * *', { keepDaily: 3 }], staging: ['0 2 * * *', { keepDaily: 7 }], prod: ['0 1 * * *', { keepDaily: 7, keepWeekly: 4 }] } as const;
  for (const e of ENVIRONMENTS) {
    mkdirSync(join(dir, e), { recursive: true });
    writeFileSync(join(dir, e, '_defaults.yaml'), stringify({ schedule: env[e][0], retention: env[e][1] }));
    for (let i = 0; i < perEnv; i++) {
      const name = `app-${String(i).padStart(3, '0')}`;
      const components = [
        { name: 'db', type: 'postgres', host: `pg.${name}-${e}.svc`, database: name.replace('-', '_'), credentials: { secretName: `${name}-db` } },
      ];
      writeFileSync(join(dir, e, `${name}.yaml`), stringify({ name, namespace: `${name}-${e}`, components }));
    }
  }
}

/** N values files made from the examples in values/, each with its own name and namespace. */
export function generateValues(dir: string, n: number): void {
  const examples = readdirSync(join(ROOT, 'values'))
    .filter((f) => f.endsWith('.yaml'))
    .sort()
    .map((f) => parse(readFileSync(join(ROOT, 'values', f), 'utf8')) as Record<string, unknown>);
  mkdirSync(dir, { recursive: true });
  for (let i = 0; i < n; i++) {
    const v = structuredClone(examples[i % examples.length]!);
    const name = `${String(v.name).slice(0, 12)}-${i}`;
    v.name = name;
    v.namespace = `${String(v.namespace).slice(0, 12)}-${i}`;
    writeFileSync(join(dir, `${name}.yaml`), stringify(v));
  }
}

function runChild(child: string, req: SynthRequest): Promise<SynthChildResult & { wall: number }> {
  const started = process.hrtime.bigint();
  return new Promise((resolve, reject) => {
    const p = spawn(process.execPath, [child, JSON.stringify(req)], { cwd: ROOT, stdio: ['ignore', 'ignore', 'pipe'] });
    let err = '';
    p.stderr!.setEncoding('utf8').on('data', (d: string) => (err = (err + d).slice(-4000)));
    p.once('error', reject);
    p.once('close', (code) => {
      if (code !== 0) return reject(new Error(`synthesis ${req.mode} exited ${code}: ${err}`));
      const r = JSON.parse(readFileSync(req.resultFile, 'utf8')) as SynthChildResult;
      resolve({ ...r, wall: Number(process.hrtime.bigint() - started) / 1e9 });
    });
  });
}

/** Every file below dir, relative, sorted. */
function tree(dir: string, rel = ''): string[] {
  return readdirSync(join(dir, rel))
    .sort()
    .flatMap((f) => (statSync(join(dir, rel, f)).isDirectory() ? tree(dir, join(rel, f)) : [join(rel, f)]));
}

function sameOutput(a: string, b: string): void {
  const files = tree(a);
  const other = tree(b);
  if (files.join() !== other.join()) throw new Error(`synthesis floor wrote other files than synthesizeAll (${files.length} vs ${other.length})`);
  for (const f of files) {
    if (readFileSync(join(a, f), 'utf8') !== readFileSync(join(b, f), 'utf8')) throw new Error(`synthesis floor output differs from synthesizeAll: ${f}`);
  }
}

type Row = { n: number; synth: SynthChildResult[]; floor: SynthChildResult[] };

/**
 * One size: prepares the floor's objects for the tree in dir/values, then runs synth and floor side by side,
 * in an order rotated each round, and compares their outputs byte for byte. Each size is prepared on its own:
 * which file owns a repository's one verify CronJob depends on the whole set of files (the first in order),
 * so objects prepared for a larger tree would differ.
 */
async function measure(o: { child: string; log: (m: string) => void }, dir: string, n: number, runs: number, label: string): Promise<Row> {
  const base = { valuesDir: join(dir, 'values'), objectsDir: join(dir, 'objects') };
  await runChild(o.child, { ...base, mode: 'prepare', outDir: join(dir, 'unused'), resultFile: join(dir, 'prepare.json') });
  const row: Row = { n, synth: [], floor: [] };
  for (let r = 0; r < runs; r++) {
    o.log(`synthesis: ${label}, round ${r + 1}/${runs}`);
    const out = (m: string) => join(dir, `${m}-${r}`);
    const order = r % 2 ? (['floor', 'synth'] as const) : (['synth', 'floor'] as const);
    for (const mode of order) {
      rmSync(out(mode), { recursive: true, force: true });
      row[mode].push(await runChild(o.child, { ...base, mode, outDir: out(mode), resultFile: join(dir, `${mode}-${r}.json`) }));
    }
    sameOutput(out('synth'), out('floor'));
  }
  rmSync(dir, { recursive: true, force: true });
  return row;
}

export const SCENARIOS = ['flat', 'layered'] as const;
export type Scenario = (typeof SCENARIOS)[number];

export async function benchSynth(o: {
  work: string;
  quick: boolean;
  log: (m: string) => void;
  child: string;
  runs?: number;
  /** Which trees to measure (`--synth flat,layered`); both by default. */
  scenarios?: readonly Scenario[];
}): Promise<SectionResult> {
  const scenarios = new Set(o.scenarios ?? SCENARIOS);
  const sizes = !scenarios.has('flat') ? [] : o.quick ? SIZES.filter((n) => n <= 1000) : SIZES;
  const runs = o.runs ?? (o.quick ? 1 : 3);
  const rows: Row[] = [];
  for (const n of sizes) {
    const dir = join(o.work, `synth-${n}`);
    generateValues(join(dir, 'values'), n);
    rows.push(await measure(o, dir, n, runs, `${n} values files`));
  }
  // Layered: each size is its own tree (one repository, so one verify CronJob, owned by the tree's first app).
  const layered: Array<Row & { perEnv: number }> = [];
  for (const perEnv of scenarios.has('layered') ? LAYERED_SIZES : []) {
    const dir = join(o.work, `synth-layered-${perEnv}`);
    generateLayered(join(dir, 'values'), perEnv);
    const n = perEnv * ENVIRONMENTS.length;
    layered.push({ ...(await measure(o, dir, n, runs, `layered, ${perEnv} apps × ${ENVIRONMENTS.length} environments`)), perEnv });
  }
  const t = (xs: SynthChildResult[]) => median(xs.map((x) => x.seconds));
  const mem = (xs: SynthChildResult[]) => Math.max(...xs.map((x) => x.vmHWMKiB)) / 1024;
  const HEAD = ['values files', 'synthesizeAll', 'of which loading modules', 'plain-YAML floor', 'time / floor', 'ms per file (synth)'];
  const cells = (r: Row) => [
    String(r.n),
    secs(t(r.synth)),
    secs(median(r.synth.map((x) => x.loadSeconds))),
    secs(t(r.floor)),
    ratio(t(r.synth) / t(r.floor)),
    ((1000 * t(r.synth)) / r.n).toFixed(2),
  ];
  const detail = table(
    [...HEAD, 'peak RSS synth', 'peak RSS floor', 'memory / floor'],
    rows.map((r) => [...cells(r), `${mem(r.synth).toFixed(0)} MiB`, `${mem(r.floor).toFixed(0)} MiB`, ratio(mem(r.synth) / mem(r.floor))]),
  );
  const worst = Math.max(...rows.map((r) => t(r.synth) / t(r.floor)));
  const at = (n: number) => rows.find((r) => r.n === n)!;
  // Linear: the time per file (after the fixed start-up cost seen at 1 file) does not grow with the count.
  const perFile = (n: number) => (t(at(n).synth) - t(at(1).synth)) / (n - 1);
  const largest = sizes[sizes.length - 1]!;
  const growth = rows.length ? perFile(largest) / perFile(100) : 0;
  // Layered: ms per file between consecutive sizes (the start-up cost cancels), and its growth.
  const marginal = layered.map((r, i) => (i === 0 ? undefined : (1000 * (t(r.synth) - t(layered[i - 1]!.synth))) / (r.n - layered[i - 1]!.n)));
  const marginalFloor = layered.map((r, i) => (i === 0 ? undefined : (1000 * (t(r.floor) - t(layered[i - 1]!.floor))) / (r.n - layered[i - 1]!.n)));
  const layeredDetail = table(
    ['layered tree', ...HEAD, 'ms per added file: synth / floor', 'peak RSS synth', 'peak RSS floor'],
    layered.map((r, i) => [
      `${r.perEnv} apps × ${ENVIRONMENTS.length} envs`,
      ...cells(r),
      i === 0 ? '' : `${marginal[i]!.toFixed(2)} / ${marginalFloor[i]!.toFixed(2)}`,
      `${mem(r.synth).toFixed(0)} MiB`,
      `${mem(r.floor).toFixed(0)} MiB`,
    ]),
  );
  const layeredWorst = Math.max(...layered.map((r) => t(r.synth) / t(r.floor)));
  const layeredLargest = layered[layered.length - 1]!;
  const layeredGrowth = marginal[marginal.length - 1]! / marginal[1]!;
  const flatRatios: Ratio[] = rows.length
    ? [
        { measure: 'synthesis: time / plain-YAML floor (worst size)', value: ratio(worst), goal: '≤ 2×', met: worst <= 2 },
        { measure: `synthesis: time per file at ${largest} / at 100 (linear = 1)`, value: ratio(growth), goal: 'linear (≤ 1.5×)', met: growth <= 1.5 },
        {
          measure: `synthesis: peak RSS at ${largest} files / floor`,
          value: `${mem(at(largest).synth).toFixed(0)} / ${mem(at(largest).floor).toFixed(0)} MiB`,
        },
      ]
    : [];
  const layeredRatios: Ratio[] = layered.length
    ? [
        { measure: 'synthesis, layered: time / plain-YAML floor (worst size)', value: ratio(layeredWorst), goal: '≤ 2×', met: layeredWorst <= 2 },
        {
          measure: `synthesis, layered: time / floor at ${layeredLargest.n} files`,
          value: ratio(t(layeredLargest.synth) / t(layeredLargest.floor)),
          goal: '≤ 2×',
          met: t(layeredLargest.synth) / t(layeredLargest.floor) <= 2,
        },
        {
          measure: `synthesis, layered: ms per added file ${layered[layered.length - 2]!.n}→${layeredLargest.n} / ${layered[0]!.n}→${layered[1]!.n} (linear = 1)`,
          value: ratio(layeredGrowth),
          goal: 'linear (≤ 1.5×)',
          met: layeredGrowth <= 1.5,
        },
      ]
    : [];
  return {
    title: 'Synthesis: generated values files through synthesizeAll (src/app.ts) vs building the same objects and serializing with yaml alone',
    detail: [
      ...(rows.length ? [detail, ''] : []),
      'Times are from process start (node start-up and module loading included), medians; outputs compared byte for byte.',
      ...(layered.length
        ? [
            '',
            `Layered: values/_defaults.yaml (repository, monitoring, image), values/{${ENVIRONMENTS.join(',')}}/_defaults.yaml (schedule, retention), small app files (name, namespace, one component); the floor parses every app file and each defaults file once with yaml, merges, and writes the same manifests, custom resources and dashboards.`,
            '',
            layeredDetail,
          ]
        : []),
    ].join('\n'),
    ratios: [...flatRatios, ...layeredRatios],
  };
}
