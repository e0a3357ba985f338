// Provenance of layered values: which file, line and column wrote each field of the merged values.
import { isMap, isNode, isPair, isScalar, isSeq, type Node as YamlNode } from 'yaml';
import { formatPath } from './paths.js';
import type { Locator, ValuesDocument } from './load.js';

type Path = readonly PropertyKey[];

/** Where one field was written. */
export interface Source {
  readonly file: string;
  readonly line: number;
  readonly col: number;
}

/** The node written at exactly `path` in one document (for a key, the key itself), if that document wrote it. */
function exactNode(d: ValuesDocument, path: Path, key?: string): YamlNode | undefined {
  let node: unknown = d.doc.contents;
  const segs = key === undefined ? path : [...path, key];
  for (let i = 0; i < segs.length; i++) {
    const seg = segs[i];
    if (isMap(node)) {
      const pair = node.items.find((p) => isPair(p) && isScalar(p.key) && String(p.key.value) === String(seg));
      if (!pair) return undefined;
      node = key !== undefined && i === segs.length - 1 ? pair.key : pair.value;
    } else if (isSeq(node) && typeof seg === 'number') {
      node = node.items[seg];
    } else return undefined;
  }
  return isNode(node) ? node : undefined;
}

function at(d: ValuesDocument, node: YamlNode): Source {
  return { file: d.file, ...d.lines.linePos(node.range?.[0] ?? 0) };
}

/** Every layer that wrote `path`, the winner (deepest, last) first. */
export function sourcesOf(layers: readonly ValuesDocument[], path: Path, key?: string): Source[] {
  const out: Source[] = [];
  for (let i = layers.length - 1; i >= 0; i--) {
    const node = exactNode(layers[i]!, path, key);
    if (node) out.push(at(layers[i]!, node));
  }
  return out;
}

/**
 * Locates a path of merged values at the layer that wrote it: the last layer holding that path wins,
 * since a later layer either merged into it (maps) or replaced it whole (lists, scalars). A path no
 * layer wrote (a missing field) is located at its nearest written ancestor.
 */
export function layeredLocator(layers: readonly ValuesDocument[]): Locator {
  return (path, key) => {
    if (key !== undefined) {
      const [winner] = sourcesOf(layers, path, key);
      if (winner) return winner;
    }
    for (let n = path.length; n >= 0; n--) {
      const [winner] = sourcesOf(layers, path.slice(0, n));
      if (winner) return winner;
    }
    return { file: layers[layers.length - 1]!.file, line: 1, col: 1 };
  };
}

const where = (s: Source) => `${s.file}:${s.line}:${s.col}`;

/**
 * The merged values (after the schema's defaults) as one line per field, each with its source: the
 * file, line and column that wrote it (and the sources it overrode), or "safehold default".
 */
export function explainValues(values: unknown, layers: readonly ValuesDocument[]): string {
  const lines: string[] = [];
  const walk = (v: unknown, path: PropertyKey[]) => {
    const children = Array.isArray(v) ? v.map((x, i) => [i, x] as const) : v !== null && typeof v === 'object' ? Object.entries(v) : undefined;
    if (children?.length) {
      for (const [k, x] of children) walk(x, [...path, k]);
      return;
    }
    const [winner, ...overridden] = sourcesOf(layers, path);
    const source = winner ? `${where(winner)}${overridden.length ? ` (overrides ${overridden.map(where).join(', ')})` : ''}` : 'safehold default';
    lines.push(`${formatPath(path)}: ${JSON.stringify(v)}  # ${source}`);
  };
  walk(values, []);
  return `${lines.join('\n')}\n`;
}
