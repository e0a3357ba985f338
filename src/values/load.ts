// The one loader: YAML text → validated Values, or every problem of the file located by line and column.
import { readFileSync } from 'node:fs';
import { isMap, isNode, isPair, isScalar, LineCounter, parseDocument, type Document, type Node as YamlNode } from 'yaml';
import type { z } from 'zod';
import { ValuesError, type ValuesProblem } from '../errors.js';
import { COMPONENT_TYPES } from './components.js';
import { HOOK_TYPES } from './hooks.js';
import { checkRules } from './rules.js';
import { values as valuesSchema, type Values } from './schema.js';
import { formatPath } from './paths.js';
import { findInlineSecrets } from './secrets.js';

export { formatPath };

/** Values files are small; anything larger is a mistake, not a configuration. */
export const MAX_VALUES_BYTES = 1024 * 1024;
const MAX_ALIASES = 100;

type Path = readonly PropertyKey[];

function describe(v: unknown): string {
  if (v === undefined) return 'nothing';
  if (v === null) return 'null';
  if (Array.isArray(v)) return 'a list';
  if (typeof v === 'object') return 'a mapping';
  if (typeof v === 'string') return `"${v.length > 60 ? `${v.slice(0, 57)}...` : v}"`;
  return `${typeof v} ${String(v)}`;
}

function knownTypes(path: Path): string {
  const inHooks = path.some((p) => typeof p === 'string' && /^(pre|post)(Backup|Restore)$/.test(p));
  return (inHooks ? HOOK_TYPES : COMPONENT_TYPES).join(', ');
}

function issueMessage(issue: z.core.$ZodIssue): string {
  const input = (issue as { input?: unknown }).input;
  switch (issue.code) {
    case 'invalid_type':
      return input === undefined ? `is required (expected ${issue.expected})` : `expected ${issue.expected}, got ${describe(input)}`;
    case 'invalid_value':
      return `must be one of ${issue.values.map((x) => JSON.stringify(x)).join(', ')}, got ${describe(input)}`;
    case 'unrecognized_keys':
      return `unknown field${issue.keys.length > 1 ? 's' : ''} ${issue.keys.map((k) => `"${k}"`).join(', ')}`;
    case 'invalid_union': {
      const disc = (issue as { discriminator?: string }).discriminator;
      if (disc) {
        const got = input && typeof input === 'object' ? (input as Record<string, unknown>)[disc] : input;
        return `must be one of ${knownTypes(issue.path)}, got ${describe(got)}`;
      }
      const inner = issue.errors.flat().map((e) => `${formatPath(e.path)}: ${e.message}`.replace(/^: /, ''));
      return `matches none of the allowed forms${inner.length ? ` (${[...new Set(inner)].slice(0, 3).join('; ')})` : ''}`;
    }
    default: {
      const msg = issue.message.replace(/^Invalid input: /, '');
      return input === undefined || typeof input === 'object' ? msg : `${msg}, got ${describe(input)}`;
    }
  }
}

/** The node for a path, or the nearest existing ancestor; for a key issue, the key itself. */
export function nodeFor(doc: Document, path: Path, key?: string): YamlNode | undefined {
  let node: unknown = doc.contents;
  for (const seg of [...path, ...(key === undefined ? [] : [key])]) {
    if (!isNode(node) || !('items' in node)) break;
    const items = (node as { items: unknown[] }).items;
    let next: unknown;
    if (isMap(node)) {
      const pair = items.find((p) => isPair(p) && isScalar(p.key) && String(p.key.value) === String(seg));
      if (!pair || !isPair(pair)) break;
      next = seg === key ? pair.key : (pair.value ?? pair.key);
    } else if (typeof seg === 'number') {
      next = items[seg];
    }
    if (!isNode(next)) break;
    node = next;
  }
  return isNode(node) ? node : undefined;
}

/** Where a path of the values was written: file, line and column (a key issue points at the key). */
export type Locator = (path: Path, key?: string) => { file: string; line: number; col: number };

/** A zod issue that only says a field is missing (a defaults file may leave anything out). */
function onlyMissing(issue: z.core.$ZodIssue): boolean {
  if (issue.code === 'invalid_type') return (issue as { input?: unknown }).input === undefined;
  if (issue.code === 'invalid_union') return issue.errors.some((branch) => branch.every(onlyMissing));
  // Cross-field refinements of a mapping (exactly one of s3/pvc/local…) are judged on the merged values;
  // a refinement of a scalar (a cron, a duration) is the value's own mistake.
  const input = (issue as { input?: unknown }).input;
  return issue.code === 'custom' && (input === undefined || (typeof input === 'object' && input !== null));
}

/**
 * Every problem of raw values, located by `locate`. `partial` checks a defaults file: what it writes
 * must be right (unknown fields, wrong types, inline credentials), what it leaves out is not missing.
 */
export function valuesProblems(raw: Record<string, unknown>, locate: Locator, o: { partial?: boolean } = {}): { problems: ValuesProblem[]; values?: Values } {
  const problems: ValuesProblem[] = [];
  const at = (path: Path, message: string, key?: string) => {
    const where = key === undefined ? locate(path) : locate(path.slice(0, -1), key);
    problems.push({ ...where, path: formatPath(path), message });
  };
  const inline = findInlineSecrets(raw);
  for (const s of inline) at(s.path, s.message);
  // A credential already reported is not reported again as a shape problem.
  const credentialKeys = new Set(inline.map((s) => formatPath(s.path)));
  const parsed = valuesSchema.safeParse(raw, { reportInput: true });
  if (!parsed.success) {
    for (const issue of parsed.error.issues) {
      if (credentialKeys.has(formatPath(issue.path))) continue;
      if (o.partial && onlyMissing(issue)) continue;
      if (issue.code === 'unrecognized_keys') {
        for (const k of issue.keys) if (!credentialKeys.has(formatPath([...issue.path, k]))) at([...issue.path, k], 'unknown field', k);
      } else {
        const disc = 'discriminator' in issue ? issue.discriminator : undefined;
        const path = disc && issue.path[issue.path.length - 1] !== disc ? [...issue.path, String(disc)] : issue.path;
        at(path, issueMessage(issue));
      }
    }
  } else if (problems.length === 0 && !o.partial) {
    for (const r of checkRules(parsed.data)) at(r.path, r.message);
  }
  problems.sort((a, b) => a.file.localeCompare(b.file) || a.line - b.line || a.col - b.col);
  return { problems, ...(parsed.success && !problems.length ? { values: parsed.data } : {}) };
}

/** A parsed values document: its YAML nodes (for locating) and its plain value. */
export interface ValuesDocument {
  readonly file: string;
  readonly doc: Document;
  readonly lines: LineCounter;
  readonly raw: Record<string, unknown>;
}

/** Parses one values document (syntax, size, aliases, a mapping at the top); throws ValuesError. */
export function parseValuesDocument(text: string, file = '<values>'): ValuesDocument {
  const problems: ValuesProblem[] = [];
  const lc = new LineCounter();
  const at = (offset: number | undefined, message: string) => {
    const pos = lc.linePos(offset ?? 0);
    problems.push({ file, line: pos.line, col: pos.col, path: '', message });
  };
  if (Buffer.byteLength(text) > MAX_VALUES_BYTES) {
    throw new ValuesError([
      { file, line: 1, col: 1, path: '', message: `file is larger than ${MAX_VALUES_BYTES} bytes; a values file is a small YAML mapping` },
    ]);
  }
  const doc = parseDocument(text, { lineCounter: lc, uniqueKeys: true, prettyErrors: false, strict: true, version: '1.2' });
  for (const e of doc.errors) at(e.pos[0], `YAML syntax: ${e.message.split('\n')[0]}`);
  if (problems.length) throw new ValuesError(problems);

  let raw: unknown;
  try {
    raw = doc.toJS({ maxAliasCount: MAX_ALIASES });
  } catch (e) {
    at(0, `YAML could not be expanded: ${(e as Error).message} (aliases are limited to ${MAX_ALIASES})`);
    throw new ValuesError(problems);
  }
  if (raw === null || typeof raw !== 'object' || Array.isArray(raw)) {
    at(doc.contents?.range?.[0], `expected a mapping of values (name, namespace, schedule, repository, components…), got ${describe(raw)}`);
    throw new ValuesError(problems);
  }
  return { file, doc, lines: lc, raw: raw as Record<string, unknown> };
}

/** Locates paths in one document: the node, or its nearest existing ancestor. */
export function documentLocator(d: Pick<ValuesDocument, 'file' | 'doc' | 'lines'>): Locator {
  return (path, key) => ({ file: d.file, ...d.lines.linePos(nodeFor(d.doc, path, key)?.range?.[0] ?? 0) });
}

/** Parses and validates one values document; throws ValuesError listing every problem. */
export function parseValues(text: string, file = '<values>'): Values {
  return checked(parseValuesDocument(text, file));
}

/** Reads and parses one values (or defaults) file; throws ValuesError. */
export function readValuesDocument(file: string): ValuesDocument {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (e) {
    throw new ValuesError([{ file, line: 1, col: 1, path: '', message: `cannot read: ${(e as NodeJS.ErrnoException).code ?? (e as Error).message}` }]);
  }
  return parseValuesDocument(text, file);
}

export function loadValuesFile(file: string): Values {
  return checked(readValuesDocument(file));
}

function checked(d: ValuesDocument): Values {
  const { problems, values } = valuesProblems(d.raw, documentLocator(d));
  if (!values) throw new ValuesError(problems);
  return values;
}

/** Validates a config the runner received (JSON or YAML); the same schema and rules as values files. */
export function parseConfig(text: string, file: string): Values {
  return parseValues(text, file);
}
