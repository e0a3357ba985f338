// Synthesis at scale: 1, 100, 1,000, 2,000 generated values files through synthesizeAll vs the plain-YAML floor.
import { spawn } from 'node:child_process';
import { mkdirSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parse, stringify } from 'yaml';
import type { SynthChildResult, SynthRequest } from './synth-child.js';
import { median, ratio, secs, table } from './lib/report.js';
import type { SectionResult } from './lib/section.js';

const ROOT = fileURLToPath(new URL('..', import.meta.url));
/** The full mode's sizes; quick mode stops at 1,000. */
export const SIZES = [1, 100, 1000, 2000];

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

function sameOutput(a: string, b: string): void {
  const files = readdirSync(a).sort();
  const other = readdirSync(b).sort();
  if (files.join() !== other.join()) throw new Error(`synthesis floor wrote other files than synthesizeAll (${files.length} vs ${other.length})`);
  for (const f of files) {
    if (readFileSync(join(a, f), 'utf8') !== readFileSync(join(b, f), 'utf8')) throw new Error(`synthesis floor output differs from synthesizeAll: ${f}`);
  }
}

export async function benchSynth(o: { work: string; quick: boolean; log: (m: string) => void; child: string; runs?: number }): Promise<SectionResult> {
  const sizes = o.quick ? SIZES.filter((n) => n <= 1000) : SIZES;
  const rows: Array<{ n: number; synth: SynthChildResult[]; floor: SynthChildResult[] }> = [];
  // File i is the same at every size (its name and namespace come from i), and so are its objects: the
  // floor's input is prepared once, for the largest size.
  const objectsDir = join(o.work, 'synth-objects');
  const all = join(o.work, 'synth-all');
  generateValues(join(all, 'values'), sizes[sizes.length - 1]!);
  o.log(`synthesis: preparing the floor's objects for ${sizes[sizes.length - 1]} values files`);
  await runChild(o.child, { mode: 'prepare', valuesDir: join(all, 'values'), objectsDir, outDir: join(all, 'unused'), resultFile: join(all, 'prepare.json') });
  rmSync(all, { recursive: true, force: true });
  for (const n of sizes) {
    const dir = join(o.work, `synth-${n}`);
    const valuesDir = join(dir, 'values');
    generateValues(valuesDir, n);
    const base = { valuesDir, objectsDir };
    const runs = o.runs ?? (o.quick ? 1 : 3);
    const row = { n, synth: [] as SynthChildResult[], floor: [] as SynthChildResult[] };
    for (let r = 0; r < runs; r++) {
      o.log(`synthesis: ${n} values files, round ${r + 1}/${runs}`);
      const out = (m: string) => join(dir, `${m}-${r}`);
      const order = r % 2 ? (['floor', 'synth'] as const) : (['synth', 'floor'] as const);
      for (const mode of order) {
        rmSync(out(mode), { recursive: true, force: true });
        row[mode].push(await runChild(o.child, { ...base, mode, outDir: out(mode), resultFile: join(dir, `${mode}-${r}.json`) }));
      }
      sameOutput(out('synth'), out('floor'));
    }
    rows.push(row);
    rmSync(dir, { recursive: true, force: true });
  }
  rmSync(objectsDir, { recursive: true, force: true });
  const t = (xs: SynthChildResult[]) => median(xs.map((x) => x.seconds));
  const mem = (xs: SynthChildResult[]) => Math.max(...xs.map((x) => x.vmHWMKiB)) / 1024;
  const detail = table(
    [
      'values files',
      'synthesizeAll',
      'of which loading modules',
      'plain-YAML floor',
      'time / floor',
      'ms per file (synth)',
      'peak RSS synth',
      'peak RSS floor',
      'memory / floor',
    ],
    rows.map((r) => [
      String(r.n),
      secs(t(r.synth)),
      secs(median(r.synth.map((x) => x.loadSeconds))),
      secs(t(r.floor)),
      ratio(t(r.synth) / t(r.floor)),
      ((1000 * t(r.synth)) / r.n).toFixed(2),
      `${mem(r.synth).toFixed(0)} MiB`,
      `${mem(r.floor).toFixed(0)} MiB`,
      ratio(mem(r.synth) / mem(r.floor)),
    ]),
  );
  const worst = Math.max(...rows.map((r) => t(r.synth) / t(r.floor)));
  const at = (n: number) => rows.find((r) => r.n === n)!;
  // Linear: the time per file (after the fixed start-up cost seen at 1 file) does not grow with the count.
  const perFile = (n: number) => (t(at(n).synth) - t(at(1).synth)) / (n - 1);
  const largest = sizes[sizes.length - 1]!;
  const growth = perFile(largest) / perFile(100);
  return {
    title: 'Synthesis: generated values files through synthesizeAll (src/app.ts) vs building the same objects and serializing with yaml alone',
    detail: `${detail}\n\nTimes are from process start (node start-up and module loading included), medians; outputs compared byte for byte.`,
    ratios: [
      { measure: 'synthesis: time / plain-YAML floor (worst size)', value: ratio(worst), goal: '≤ 2×', met: worst <= 2 },
      { measure: `synthesis: time per file at ${largest} / at 100 (linear = 1)`, value: ratio(growth), goal: 'linear (≤ 1.5×)', met: growth <= 1.5 },
      { measure: `synthesis: peak RSS at ${largest} files / floor`, value: `${mem(at(largest).synth).toFixed(0)} / ${mem(at(largest).floor).toFixed(0)} MiB` },
    ],
  };
}
