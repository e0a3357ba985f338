// Reading the selected objects for a backup, and putting them back in declared order, waiting where told.
import { setTimeout as sleep } from 'node:timers/promises';
import { SafeholdError } from '../../errors.js';
import type { KubernetesComponent } from '../../values/components.js';
import type { Logger } from '../log.js';
import { cleanObject } from './clean.js';
import { describeRef, KubeError, refOf, type KubeClient, type KubeObject, type ObjectRef } from './client.js';
import { mergePatchTo } from './merge-patch.js';
import { matches } from './selector.js';

type Entry = KubernetesComponent['resources'][number];

const byName = (a: KubeObject, b: KubeObject) => (a.metadata?.name ?? '').localeCompare(b.metadata?.name ?? '');

/** Whether a stored object belongs to an entry of the values (kind, names, label selector). Pure. */
export function entryMatches(e: Entry, o: KubeObject): boolean {
  if (o.apiVersion !== e.apiVersion || o.kind !== e.kind) return false;
  if (e.names?.length && !e.names.includes(o.metadata?.name ?? '')) return false;
  return !e.labelSelector || matches(o.metadata?.labels, e.labelSelector);
}

/**
 * The objects of one entry, cleaned, sorted by name. Names without a selector are read with GET
 * (the RBAC the constructs grant is by name); a named object that is missing fails the backup.
 */
export async function readEntry(client: KubeClient, e: Entry, namespace: string): Promise<KubeObject[]> {
  if (e.names?.length && !e.labelSelector) {
    const out: KubeObject[] = [];
    for (const name of e.names) {
      const ref = { apiVersion: e.apiVersion, kind: e.kind, namespace, name };
      const o = await client.get(ref);
      if (!o) throw new SafeholdError(`${describeRef(ref)} does not exist: a backup that misses a named object is not a backup`);
      out.push(cleanObject({ ...o, apiVersion: e.apiVersion, kind: e.kind }));
    }
    return out.sort(byName);
  }
  const listed = await client.list(e.apiVersion, e.kind, namespace, e.labelSelector);
  return listed
    .filter((o) => entryMatches(e, o))
    .map(cleanObject)
    .sort(byName);
}

export interface Assigned {
  readonly entry: Entry;
  readonly objects: readonly KubeObject[];
}

/** Groups stored objects by the entries of the current values, in declared order; the rest is unmatched. Pure. */
export function assignToEntries(resources: readonly Entry[], stored: readonly KubeObject[]): { entries: Assigned[]; unmatched: KubeObject[] } {
  const taken = new Set<KubeObject>();
  const entries = resources.map((entry) => {
    const objects = stored.filter((o) => !taken.has(o) && entryMatches(entry, o));
    objects.forEach((o) => taken.add(o));
    return { entry, objects };
  });
  return { entries, unmatched: stored.filter((o) => !taken.has(o)) };
}

export type Outcome = 'created' | 'skipped' | 'replaced' | 'unchanged' | 'dry-run';

/** Creates the object, or leaves/replaces an existing one. Replace is a merge patch guarded by resourceVersion. */
export async function putObject(client: KubeClient, o: KubeObject, existing: 'skip' | 'replace', dryRunNamespace?: string): Promise<Outcome> {
  if (dryRunNamespace) {
    try {
      await client.create({ ...o, metadata: { ...o.metadata, namespace: dryRunNamespace } }, { dryRun: true });
    } catch (e) {
      // Dry-run into a namespace where the object exists: the server validated it; a restore would skip it.
      if (!(e instanceof KubeError && e.reason === 'AlreadyExists')) throw e;
    }
    return 'dry-run';
  }
  const ref = refOf(o);
  const live = await client.get(ref);
  if (!live) {
    await client.create(o);
    return 'created';
  }
  if (existing === 'skip') return 'skipped';
  const patch = mergePatchTo(cleanObject({ ...live, apiVersion: o.apiVersion, kind: o.kind }), o) as Record<string, unknown> | undefined;
  if (!patch) return 'unchanged';
  // The resourceVersion makes the server refuse (409) if someone changed the object since we read it.
  const metadata = { ...((patch.metadata as object) ?? {}), resourceVersion: live.metadata?.resourceVersion };
  await client.patch(ref, { ...patch, metadata }, 'merge');
  return 'replaced';
}

interface Condition {
  type: string;
  status: string;
  reason?: string;
  message?: string;
}

const conditionsOf = (o: KubeObject | undefined): Condition[] => (o?.status as { conditions?: Condition[] } | undefined)?.conditions ?? [];

/** Polls (with backoff) until the object's condition is True; the error names the object and what it last said. */
export async function waitForCondition(client: KubeClient, ref: ObjectRef, condition: string, timeoutMs: number, log: Logger): Promise<number> {
  const started = Date.now();
  let delay = 200;
  let last: KubeObject | undefined;
  let logged = 0;
  for (;;) {
    last = await client.get(ref);
    if (conditionsOf(last).some((c) => c.type === condition && c.status === 'True')) return Date.now() - started;
    const left = started + timeoutMs - Date.now();
    if (left <= 0) {
      const seen = conditionsOf(last)
        .map((c) => `${c.type}=${c.status}${c.reason ? ` (${c.reason})` : ''}`)
        .join(', ');
      throw new SafeholdError(
        `${describeRef(ref)} did not report ${condition}=True within ${Math.round(timeoutMs / 1000)}s; ${last ? `last conditions: ${seen || 'none'}` : 'the object does not exist'}. The objects after it were not restored.`,
      );
    }
    if (Date.now() - logged >= 10_000) {
      logged = Date.now();
      log.info('waiting for condition', { object: describeRef(ref), condition, waitedSeconds: Math.round((Date.now() - started) / 1000) });
    }
    await sleep(Math.min(delay, left));
    delay = Math.min(delay * 1.5, 5000);
  }
}
