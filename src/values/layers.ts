// Layered values: every `_defaults.yaml` from the values root down to a file's directory, then the file.
import { existsSync, statSync } from 'node:fs';
import { dirname, isAbsolute, join, relative, resolve, sep } from 'node:path';
import { ValuesError, type ValuesProblem } from '../errors.js';
import { documentLocator, readValuesDocument, valuesProblems, type ValuesDocument } from './load.js';
import { layeredLocator } from './provenance.js';
import type { Values } from './schema.js';

/** The name of a defaults file; it applies to every values file in its directory and below. */
export const DEFAULTS_FILE = '_defaults.yaml';

/** A values file and the defaults it inherits, shallowest first; the file itself is last. */
export interface LayeredValues {
  readonly file: string;
  /** Every source, shallowest defaults first, the values file last. */
  readonly layers: readonly ValuesDocument[];
  /** The merged raw values (before the schema applied its defaults). */
  readonly merged: Record<string, unknown>;
  readonly values: Values;
}

/**
 * The defaults files that apply to `file`, shallowest first: one per directory from `root` down to the
 * file's own. Without a root: from the working directory when the file is below it, else the file's
 * directory only.
 */
export function defaultsFor(file: string, root?: string): string[] {
  const dir = resolve(dirname(file));
  let top = resolve(root ?? process.cwd());
  if (dir !== top && !dir.startsWith(top + sep)) top = dir;
  const chain = [
    top,
    ...relative(top, dir)
      .split(sep)
      .filter(Boolean)
      .map((_, i, parts) => join(top, ...parts.slice(0, i + 1))),
  ];
  const shown = (f: string) => (isAbsolute(file) ? f : relative(process.cwd(), f));
  return chain
    .map((d) => join(d, DEFAULTS_FILE))
    .filter((f) => existsSync(f) && statSync(f).isFile())
    .map(shown);
}

const isMapping = (v: unknown): v is Record<string, unknown> => v !== null && typeof v === 'object' && !Array.isArray(v);

/** Deep merge of layered values: mappings merge key by key, lists and scalars replace, `null` removes. */
export function mergeLayers(layers: ReadonlyArray<Record<string, unknown>>): Record<string, unknown> {
  const merge = (base: Record<string, unknown>, over: Record<string, unknown>): Record<string, unknown> => {
    const out: Record<string, unknown> = { ...base };
    for (const [k, v] of Object.entries(over)) {
      if (v === null) delete out[k];
      else if (isMapping(v) && isMapping(out[k])) out[k] = merge(out[k] as Record<string, unknown>, v);
      else out[k] = isMapping(v) ? merge({}, v) : v;
    }
    return out;
  };
  return layers.reduce<Record<string, unknown>>((acc, l) => merge(acc, l), {});
}

/** A defaults file, parsed and checked once however many values files inherit it. */
export type DefaultsCache = Map<string, { doc?: ValuesDocument; problems: readonly ValuesProblem[] }>;

/** A defaults file parsed and checked as partial values. */
function readDefaults(file: string, cache: DefaultsCache): { doc?: ValuesDocument; problems: readonly ValuesProblem[] } {
  const hit = cache.get(file);
  if (hit) return hit;
  let entry: { doc?: ValuesDocument; problems: readonly ValuesProblem[] };
  try {
    const doc = readValuesDocument(file);
    entry = { doc, problems: valuesProblems(doc.raw, documentLocator(doc), { partial: true }).problems };
  } catch (e) {
    if (!(e instanceof ValuesError)) throw e;
    entry = { problems: e.problems };
  }
  cache.set(file, entry);
  return entry;
}

/**
 * Loads a values file over the defaults it inherits. Problems of a defaults file are reported at that
 * file; problems of the merged values at the file, line and column where the value was written.
 */
export function loadLayered(file: string, o: { root?: string; cache?: DefaultsCache } = {}): LayeredValues {
  const cache = o.cache ?? new Map();
  const problems: ValuesProblem[] = [];
  const layers: ValuesDocument[] = [];
  for (const d of defaultsFor(file, o.root)) {
    const { doc, problems: p } = readDefaults(d, cache);
    problems.push(...p);
    if (doc) layers.push(doc);
  }
  try {
    layers.push(readValuesDocument(file));
  } catch (e) {
    if (!(e instanceof ValuesError)) throw e;
    throw new ValuesError([...problems, ...e.problems]);
  }
  if (problems.length) throw new ValuesError(problems);
  const merged = mergeLayers(layers.map((l) => l.raw));
  const { problems: mergedProblems, values } = valuesProblems(merged, layeredLocator(layers));
  if (!values) throw new ValuesError(mergedProblems);
  return { file, layers, merged, values };
}
