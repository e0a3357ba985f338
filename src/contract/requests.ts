// Identities of one-shot requests: the Job name suffix, the runner's ledger key and the repository record are the same hash.
import { createHash } from 'node:crypto';
import { onlyOutcome } from '../values/only.js';
import type { Values } from '../values/schema.js';
import { canonicalJson } from './config.js';

function shortHash(value: unknown): string {
  return createHash('sha256').update(canonicalJson(value, 0)).digest('hex').slice(0, 10);
}

const app = (v: Values) => [v.namespace, v.name, v.instance ?? ''];

/**
 * What a restore request changes, and nothing else: which set (and from which copy), which components,
 * what is dropped first, and the user's requestIds. Never tuning (timeout, rolloutRestart, confirm) and never a
 * schema default: every fallback is written here, so a release that adds or changes a default
 * cannot turn a finished request into a new one. test/contract/requests.test.ts pins the ids.
 */
export function restoreOutcome(v: Values): Record<string, unknown> | undefined {
  const r = v.restore;
  if (!r) return undefined;
  const parts: Record<string, unknown> = {
    app: app(v),
    set: r.snapshot ?? 'latest',
    components: r.components?.length ? [...new Set(r.components)].sort() : '*',
    // The drop is a step of the restore request (one id, one claim): dropExisting, or dropDatabase's component.
    drop: r.dropExisting === true ? '*' : (v.dropDatabase?.component ?? ''),
  };
  // Only when written: ids of requests without it stay what they were.
  if (r.from) parts.from = r.from;
  // Whole servers: restoring database a, then b, of the same set are two requests.
  if (r.databases?.length) parts.databases = [...new Set(r.databases)].sort();
  if (r.only) parts.only = onlyOutcome(r.only);
  const ids = [r.requestId, v.dropDatabase?.requestId].filter((x): x is string => !!x);
  if (ids.length) parts.requestId = ids;
  return parts;
}

/** Same restore request → same id (same Job, refused twice); a change of what it restores → a new id. */
export function restoreRequestId(v: Values): string | undefined {
  const outcome = restoreOutcome(v);
  return outcome ? `restore-${shortHash(outcome)}` : undefined;
}

/**
 * What a clone request changes: which application's set (and from which repository), which components, the
 * masking steps and the user's requestId. Never tuning (timeout) and never a schema default: every fallback is written here.
 */
export function cloneOutcome(v: Values): Record<string, unknown> | undefined {
  const c = v.clone;
  if (!c) return undefined;
  const r = c.from.repository;
  return {
    app: app(v),
    from: [c.from.namespace, c.from.name, c.from.instance ?? ''],
    repository: r
      ? r.s3
        ? ['s3', r.s3.endpoint, r.s3.bucket, r.s3.prefix ?? '']
        : r.pvc
          ? ['pvc', r.pvc.claimName, r.pvc.path ?? '']
          : ['local', r.local?.path]
      : '',
    set: c.snapshot ?? 'latest',
    components: c.components?.length ? [...new Set(c.components)].sort() : '*',
    // The steps themselves: a changed mask is another clone (the data it leaves differs).
    mask: c.mask.map((m) => ('sql' in m ? { component: m.component, sql: m.sql } : { component: m.component, hook: m.hook.name })),
    ...(c.requestId ? { requestId: c.requestId } : {}),
  };
}

/** Same clone request → same id (same Job, refused twice); a change of what it clones or how it masks → a new id. */
export function cloneRequestId(v: Values): string | undefined {
  const outcome = cloneOutcome(v);
  return outcome ? `clone-${shortHash(outcome)}` : undefined;
}

/** The drop-database Job is the first step of its restore request: its id is the restore's, renamed. */
export function dropRequestId(v: Values): string | undefined {
  const restore = restoreRequestId(v);
  return v.dropDatabase && restore ? `drop-${restore.slice('restore-'.length)}` : undefined;
}

/** The restore id of earlier releases (hashed after defaults): still looked up in the ledger so an upgrade re-runs nothing recorded there. */
export function legacyRestoreRequestId(v: Values): string | undefined {
  if (!v.restore) return undefined;
  return `restore-${shortHash({ app: app(v), restore: v.restore })}`;
}

/** Name of the ConfigMap that caches finished one-shot requests in the target namespace. */
export function ledgerConfigMapName(v: Values): string {
  return `${v.name}${v.instance ? `-${v.instance}` : ''}-safehold-ledger`.slice(0, 253);
}

/** Name of the create-only ConfigMap that claims the set for one request while it runs (409 for a second pod). */
export function claimConfigMapName(v: Values): string {
  return `${v.name}${v.instance ? `-${v.instance}` : ''}-safehold-claim`.slice(0, 253);
}

/** Name of the create-only ConfigMap the drop step of a request is taken with (runner/requests/drop-step.ts). */
export function dropStepConfigMapName(v: Values): string {
  return `${claimConfigMapName(v).slice(0, 248)}-drop`;
}
