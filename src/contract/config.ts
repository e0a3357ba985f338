// The runner config: the validated values themselves, serialized canonically (sorted keys, no $schema).
import type { Values } from '../values/schema.js';

/**
 * Code-unit order: the same on every machine. (localeCompare follows the machine's locale; in
 * Czech, "ch" sorts after "h".)
 */
export function byCodeUnit(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

/** The value with object keys sorted at every level (code-unit order) and undefined members dropped. */
export function sortKeysDeep(value: unknown): unknown {
  const sort = (x: unknown): unknown => {
    if (Array.isArray(x)) return x.map(sort);
    if (x && typeof x === 'object') {
      return Object.fromEntries(
        Object.keys(x)
          .sort()
          .filter((k) => (x as Record<string, unknown>)[k] !== undefined)
          .map((k) => [k, sort((x as Record<string, unknown>)[k])]),
      );
    }
    return x;
  };
  return sort(value);
}

/** JSON with keys sorted at every level: byte-identical for equal values. */
export function canonicalJson(value: unknown, indent = 2): string {
  return `${JSON.stringify(sortKeysDeep(value), null, indent)}\n`;
}

/**
 * What the ConfigMap holds and the runner reads with `--config`; never a secret, only references,
 * and only what the runner reads: emitted-secret definitions (SealedSecret ciphertext,
 * ExternalSecret mappings) are for the cluster's controllers, not for the runner.
 */
export function runnerConfigJson(v: Values): string {
  const { $schema: _ignored, secrets: _emitted, ...rest } = v;
  return canonicalJson(rest);
}
