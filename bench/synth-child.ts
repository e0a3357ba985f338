// Synthesis in its own process, so that its peak RSS is its own: `synth` runs synthesizeAll (src/app.ts);
// `prepare` stores each values file's objects as JSON; `floor` builds those plain objects from JSON, parses the
// values file (and, in a layered tree, every `_defaults.yaml` it inherits, each once) with `yaml`, merges the
// layers, and serializes with `yaml` alone, writing the same bytes to the same paths.
import { existsSync, mkdirSync, readdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { dirname, join, relative, sep } from 'node:path';
import { parse, stringify } from 'yaml';

export interface SynthRequest {
  readonly mode: 'prepare' | 'synth' | 'floor';
  readonly valuesDir: string;
  readonly outDir: string;
  /** prepare writes, floor reads: <objectsDir>/<dir>/<name>.json. */
  readonly objectsDir: string;
  readonly resultFile: string;
}

export interface SynthChildResult {
  /** From process start (node start-up and imports included: synthesis pays for loading cdk8s). */
  readonly seconds: number;
  /** Of which: node start-up and loading the modules the mode needs (src/app.ts and its graph, or yaml). */
  readonly loadSeconds: number;
  readonly files: number;
  readonly vmHWMKiB: number;
}

/** What the floor needs of a set besides its values: the objects (split as synth splits them), its sources and dashboard. */
interface Prepared {
  readonly sources: readonly string[];
  readonly objects: unknown[];
  readonly custom: unknown[];
  readonly dashboard?: string;
}

const DEFAULTS = '_defaults.yaml';
const req = JSON.parse(process.argv[2]!) as SynthRequest;
let files = 0;
let loadSeconds = process.uptime();
if (req.mode === 'synth') {
  const { synthesizeAll } = await import('../src/app.js');
  loadSeconds = process.uptime();
  files = (await synthesizeAll({ valuesDir: req.valuesDir, outDir: req.outDir })).files.length;
} else if (req.mode === 'prepare') {
  const { synthesizeSets, isCustomResource, outputPath } = await import('../src/app.js');
  for (const set of synthesizeSets(req.valuesDir)) {
    const file = join(req.objectsDir, outputPath(set, '.json'));
    mkdirSync(dirname(file), { recursive: true });
    const prepared: Prepared = {
      sources: set.sources,
      objects: set.objects.filter((o) => !isCustomResource(o)),
      custom: set.objects.filter(isCustomResource),
      ...(set.dashboard ? { dashboard: set.dashboard } : {}),
    };
    writeFileSync(file, JSON.stringify(prepared));
    files++;
  }
} else {
  // The plain work: list the tree, parse every file with yaml (a defaults file once), merge, serialize, write.
  const list = (dir: string): string[] => {
    const entries = readdirSync(dir).sort();
    const here = entries.filter((f) => /\.ya?ml$/.test(f) && f !== DEFAULTS && statSync(join(dir, f)).isFile()).map((f) => join(dir, f));
    return [...here, ...entries.filter((f) => !f.startsWith('.') && statSync(join(dir, f)).isDirectory()).flatMap((d) => list(join(dir, d)))];
  };
  // mergeLayers (src/values/layers.ts) written out: importing it would load the schema and zod, which plain work does without.
  const isMapping = (v: unknown): v is Record<string, unknown> => v !== null && typeof v === 'object' && !Array.isArray(v);
  const merge = (base: Record<string, unknown>, over: Record<string, unknown>): Record<string, unknown> => {
    const out: Record<string, unknown> = { ...base };
    for (const [k, v] of Object.entries(over)) {
      if (v === null) delete out[k];
      else if (isMapping(v) && isMapping(out[k])) out[k] = merge(out[k] as Record<string, unknown>, v);
      else out[k] = isMapping(v) ? merge({}, v) : v;
    }
    return out;
  };
  const defaults = new Map<string, Record<string, unknown> | undefined>();
  const defaultsOf = (dir: string): Record<string, unknown> | undefined => {
    if (!defaults.has(dir)) {
      const f = join(dir, DEFAULTS);
      defaults.set(dir, existsSync(f) ? (parse(readFileSync(f, 'utf8')) as Record<string, unknown>) : undefined);
    }
    return defaults.get(dir);
  };
  const yaml = (o: unknown) => stringify(o, { keepUndefined: true, lineWidth: 0, version: '1.1' });
  const emit = (rel: string, text: string) => {
    const f = join(req.outDir, rel);
    mkdirSync(dirname(f), { recursive: true });
    writeFileSync(f, text);
  };
  for (const file of list(req.valuesDir)) {
    const name = file.slice(dirname(file).length + 1).replace(/\.ya?ml$/, '');
    const dir = relative(req.valuesDir, dirname(file)).split(sep).filter(Boolean).join('/');
    const chain = [
      req.valuesDir,
      ...dir
        .split('/')
        .filter(Boolean)
        .map((_, i, parts) => join(req.valuesDir, ...parts.slice(0, i + 1))),
    ];
    const layers = [
      ...chain.map(defaultsOf).filter((d): d is Record<string, unknown> => d !== undefined),
      parse(readFileSync(file, 'utf8')) as Record<string, unknown>,
    ];
    layers.reduce((acc, l) => merge(acc, l), {});
    const out = dir ? `${dir}/${name}` : name;
    const p = JSON.parse(readFileSync(join(req.objectsDir, `${out}.json`), 'utf8')) as Prepared;
    const last = p.sources[p.sources.length - 1]!;
    const from = p.sources.length > 1 ? `${last} over ${p.sources.slice(0, -1).join(', ')}` : last;
    const tail = ' Do not edit: change the values file and run `npm run synth`.\n';
    // What cdk8s's Yaml.stringify does, with the yaml package directly.
    emit(`${out}.k8s.yaml`, `# Generated by safehold from ${from}.${tail}` + p.objects.map(yaml).join('---\n'));
    if (p.custom.length)
      emit(
        `custom-resources/${out}.k8s.yaml`,
        `# Generated by safehold from ${from} (custom resources: apply apart from ${name}.k8s.yaml).${tail}` + p.custom.map(yaml).join('---\n'),
      );
    if (p.dashboard !== undefined) emit(`dashboards/${out}.json`, p.dashboard);
    files++;
  }
}
const seconds = process.uptime();
const vmHWMKiB = Number(/VmHWM:\s+(\d+)/.exec(readFileSync('/proc/self/status', 'utf8'))?.[1] ?? 0);
writeFileSync(req.resultFile, JSON.stringify({ seconds, loadSeconds, files, vmHWMKiB } satisfies SynthChildResult));
