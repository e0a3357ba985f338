// The JSON merge patch (RFC 7386) that turns one object into another; used by `existing: replace`.

type Json = null | boolean | number | string | Json[] | { [k: string]: Json };

const isObject = (x: unknown): x is Record<string, Json> => !!x && typeof x === 'object' && !Array.isArray(x);

/**
 * The smallest merge patch from `current` to `desired`: changed keys set, missing keys null, arrays
 * replaced whole (merge patch cannot edit arrays). Undefined when nothing differs. Pure.
 */
export function mergePatchTo(current: unknown, desired: unknown): Json | undefined {
  if (!isObject(current) || !isObject(desired)) {
    return JSON.stringify(current) === JSON.stringify(desired) ? undefined : (desired as Json);
  }
  const patch: Record<string, Json> = {};
  for (const k of Object.keys(current)) if (!(k in desired)) patch[k] = null;
  for (const [k, v] of Object.entries(desired)) {
    if (!(k in current)) patch[k] = v;
    else {
      const sub = mergePatchTo(current[k], v);
      if (sub !== undefined) patch[k] = sub;
    }
  }
  return Object.keys(patch).length ? patch : undefined;
}
