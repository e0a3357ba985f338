// Identities of one-shot requests: the Job name suffix and the runner's ledger key are the same hash.
import { createHash } from 'node:crypto';
import type { Values } from '../values/schema.js';
import { canonicalJson } from './config.js';

function shortHash(value: unknown): string {
  return createHash('sha256').update(canonicalJson(value, 0)).digest('hex').slice(0, 10);
}

/** Same restore request → same id (same Job, refused twice); any change → a new id. */
export function restoreRequestId(v: Values): string | undefined {
  if (!v.restore) return undefined;
  return `restore-${shortHash({ app: [v.namespace, v.name, v.instance ?? ''], restore: v.restore })}`;
}

export function dropRequestId(v: Values): string | undefined {
  if (!v.dropDatabase) return undefined;
  return `drop-${shortHash({ app: [v.namespace, v.name, v.instance ?? ''], drop: v.dropDatabase })}`;
}

/** Name of the ConfigMap that records finished one-shot requests in the target namespace. */
export function ledgerConfigMapName(v: Values): string {
  return `${v.name}${v.instance ? `-${v.instance}` : ''}-safehold-ledger`.slice(0, 253);
}
