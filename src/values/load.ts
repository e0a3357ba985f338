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
function nodeFor(doc: Document, path: Path, key?: string): YamlNode | undefined {
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

/** Parses and validates one values document; throws ValuesError listing every problem. */
export function parseValues(text: string, file = '<values>'): Values {
  const problems: ValuesProblem[] = [];
  const lc = new LineCounter();
  const at = (offset: number | undefined, path: Path, message: string) => {
    const pos = lc.linePos(offset ?? 0);
    problems.push({ file, line: pos.line, col: pos.col, path: formatPath(path), message });
  };
  if (Buffer.byteLength(text) > MAX_VALUES_BYTES) {
    throw new ValuesError([{ file, line: 1, col: 1, path: '', message: `file is larger than ${MAX_VALUES_BYTES} bytes; a values file is a small YAML mapping` }]);
  }
  const doc = parseDocument(text, { lineCounter: lc, uniqueKeys: true, prettyErrors: false, strict: true, version: '1.2' });
  for (const e of doc.errors) at(e.pos[0], [], `YAML syntax: ${e.message.split('\n')[0]}`);
  if (problems.length) throw new ValuesError(problems);

  let raw: unknown;
  try {
    raw = doc.toJS({ maxAliasCount: MAX_ALIASES });
  } catch (e) {
    at(0, [], `YAML could not be expanded: ${(e as Error).message} (aliases are limited to ${MAX_ALIASES})`);
    throw new ValuesError(problems);
  }
  if (raw === null || typeof raw !== 'object' || Array.isArray(raw)) {
    at(doc.contents?.range?.[0], [], `expected a mapping of values (name, namespace, schedule, repository, components…), got ${describe(raw)}`);
    throw new ValuesError(problems);
  }

  const inline = findInlineSecrets(raw);
  for (const s of inline) at(nodeFor(doc, s.path)?.range?.[0], s.path, s.message);
  // A credential already reported is not reported again as a shape problem.
  const credentialKeys = new Set(inline.map((s) => formatPath(s.path)));
  const parsed = valuesSchema.safeParse(raw, { reportInput: true });
  if (!parsed.success) {
    for (const issue of parsed.error.issues) {
      if (credentialKeys.has(formatPath(issue.path))) continue;
      if (issue.code === 'unrecognized_keys') {
        for (const k of issue.keys) if (!credentialKeys.has(formatPath([...issue.path, k]))) at(nodeFor(doc, issue.path, k)?.range?.[0], [...issue.path, k], 'unknown field');
      } else {
        const disc = 'discriminator' in issue ? issue.discriminator : undefined;
        const path = disc && issue.path[issue.path.length - 1] !== disc ? [...issue.path, String(disc)] : issue.path;
        at(nodeFor(doc, path)?.range?.[0], path, issueMessage(issue));
      }
    }
  } else if (problems.length === 0) {
    for (const r of checkRules(parsed.data)) at(nodeFor(doc, r.path)?.range?.[0], r.path, r.message);
  }
  if (problems.length || !parsed.success) {
    problems.sort((a, b) => a.line - b.line || a.col - b.col);
    throw new ValuesError(problems);
  }
  return parsed.data;
}

export function loadValuesFile(file: string): Values {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (e) {
    throw new ValuesError([{ file, line: 1, col: 1, path: '', message: `cannot read: ${(e as NodeJS.ErrnoException).code ?? (e as Error).message}` }]);
  }
  return parseValues(text, file);
}

/** Validates a config the runner received (JSON or YAML); the same schema and rules as values files. */
export function parseConfig(text: string, file: string): Values {
  return parseValues(text, file);
}
