// The `kubernetes` component: selected objects, cleaned, stored as one YAML List; restored in declared order.
import { createHash } from 'node:crypto';
import { parse, stringify } from 'yaml';
import { SafeholdError } from '../../errors.js';
import type { KubernetesComponent } from '../../values/components.js';
import { durationSeconds } from '../../values/formats.js';
import type { RunContext } from '../context.js';
import { describeRef, kubeClient, refOf, type KubeObject } from '../kube/client.js';
import { assignToEntries, putObject, readEntry, waitForCondition, type Outcome } from '../kube/objects.js';
import { componentTag, type ComponentRecord } from '../sets.js';
import type { ComponentHandler, Prepared } from './types.js';

const fileName = (c: KubernetesComponent) => `${c.name}.kubernetes.yaml`;
const namespaceOf = (c: KubernetesComponent, ctx: RunContext) => c.namespace ?? ctx.values.namespace;
const sha256 = (s: string) => createHash('sha256').update(s).digest('hex');

/** The stored form: a v1 List (what `kubectl apply -f` reads), objects in restore order. Pure. */
export function renderStream(c: KubernetesComponent, objects: readonly KubeObject[]): string {
  const header = `# safehold: component ${c.name}, ${objects.length} objects in restore order, cleaned of server-set fields\n`;
  return header + stringify({ apiVersion: 'v1', kind: 'List', items: objects }, { lineWidth: 0 });
}

export function parseStream(text: string): KubeObject[] {
  const doc = parse(text) as { kind?: string; items?: KubeObject[] } | null;
  if (!doc || doc.kind !== 'List' || !Array.isArray(doc.items)) throw new SafeholdError('the stored objects are not a v1 List');
  for (const o of doc.items)
    if (!o?.apiVersion || !o.kind || !o.metadata?.name) throw new SafeholdError('a stored object lacks apiVersion, kind or metadata.name');
  return doc.items;
}

/** `v1 Secret astarte/astarte-devices-ca`: the manifest's list of what was stored. */
const itemOf = (o: KubeObject) => `${o.apiVersion} ${describeRef(refOf(o))}`;

function itemObject(item: string): KubeObject {
  const [apiVersion, kind, path] = item.split(' ');
  const [namespace, name] = path.includes('/') ? path.split('/') : [undefined, path];
  return { apiVersion, kind, metadata: { name, ...(namespace ? { namespace } : {}) } };
}

/** Fetches the stored List and checks it against the manifest; never logs its content (Secrets). */
async function fetchVerified(c: KubernetesComponent, ctx: RunContext, rec: ComponentRecord): Promise<{ text: string; objects: KubeObject[] }> {
  const text = await ctx.restic.dumpText(rec.snapshotId, rec.fileName);
  const bytes = Buffer.byteLength(text);
  if (bytes !== rec.bytes || sha256(text) !== rec.sha256) {
    throw new SafeholdError(
      `${c.name}: the stored objects do not match the manifest (sha256 ${sha256(text).slice(0, 12)} ≠ ${rec.sha256.slice(0, 12)}, ${bytes} ≠ ${rec.bytes} bytes); nothing was changed`,
    );
  }
  return { text, objects: parseStream(text) };
}

export const kubernetesHandler: ComponentHandler<KubernetesComponent> = {
  drillMode: 'dry-run',

  async backup(c, ctx, t) {
    const started = Date.now();
    const client = kubeClient();
    const ns = namespaceOf(c, ctx);
    const objects: KubeObject[] = [];
    const seen = new Set<string>();
    for (const e of c.resources) {
      const got = await readEntry(client, e, ns);
      if (!got.length)
        ctx.log.warn('no object matches this entry', { component: c.name, apiVersion: e.apiVersion, kind: e.kind, labelSelector: e.labelSelector });
      for (const o of got) {
        const key = itemOf(o);
        if (!seen.has(key)) objects.push(o);
        seen.add(key);
      }
    }
    const text = renderStream(c, objects);
    const snapshotId = await ctx.restic.backupBuffer(text, { host: t.host, tags: [...t.tags, componentTag(c.name)], filename: fileName(c) });
    const bytes = Buffer.byteLength(text);
    ctx.log.info('component stored', {
      component: c.name,
      objects: objects.length,
      bytes,
      snapshot: snapshotId.slice(0, 8),
      seconds: (Date.now() - started) / 1000,
    });
    return {
      name: c.name,
      type: c.type,
      snapshotId,
      fileName: fileName(c),
      bytes,
      sha256: sha256(text),
      durationMs: Date.now() - started,
      items: objects.map(itemOf),
    };
  },

  async checkStored(c, ctx, rec) {
    try {
      await fetchVerified(c, ctx, rec);
      return undefined;
    } catch (e) {
      if (e instanceof SafeholdError) return `stored objects are not readable: ${e.message.split('\n')[0]}`;
      throw e;
    }
  },

  plan(c, ctx, rec, o) {
    const ns = o.target?.dryRunNamespace ?? namespaceOf(c, ctx);
    const items = (rec.items ?? []).map(itemObject);
    const { entries, unmatched } = assignToEntries(c.resources, items);
    const ifExists = c.existing === 'replace' ? 'replaced (merge patch) if it exists' : 'left as it is if it exists (existing: skip)';
    const lines = [
      o.target?.dryRunNamespace
        ? `${c.name} (kubernetes): server-side dry run of ${items.length} objects into namespace ${ns}; nothing is created`
        : `${c.name} (kubernetes): ${items.length} objects into namespace ${ns}, in this order; each is created if absent, ${ifExists}`,
    ];
    if (c.requireAbsent.length)
      lines.push(`${c.name}: refuses while any of these exists: ${c.requireAbsent.map((a) => `${a.kind}${a.name ? ` ${a.name}` : ''}`).join(', ')}`);
    for (const { entry, objects } of entries) {
      for (const obj of objects) lines.push(`${c.name}: ${describeRef({ ...refOf(obj), namespace: obj.metadata?.namespace ? ns : undefined })}`);
      if (entry.waitFor && objects.length && !o.target?.dryRunNamespace)
        lines.push(`${c.name}: wait until each ${entry.kind} reports ${entry.waitFor.condition}=True (timeout ${entry.waitFor.timeout})`);
    }
    for (const u of unmatched) lines.push(`${c.name}: ${describeRef(refOf(u))} is stored but no longer selected by the values: not restored`);
    return lines;
  },

  async preconditions(c, ctx) {
    const client = kubeClient();
    const ns = namespaceOf(c, ctx);
    const present: string[] = [];
    for (const a of c.requireAbsent) {
      if (a.name) {
        const ref = { apiVersion: a.apiVersion, kind: a.kind, namespace: ns, name: a.name };
        if (await client.get(ref)) present.push(describeRef(ref));
      } else {
        if (!(await client.serves(a.apiVersion, a.kind))) continue;
        for (const o of await client.list(a.apiVersion, a.kind, ns)) present.push(describeRef(refOf(o)));
      }
    }
    return present.map((p) => `${c.name}: ${p} exists; this restore requires it to be absent (requireAbsent): remove it first`);
  },

  async prepare(c, ctx, rec): Promise<Prepared> {
    const { objects } = await fetchVerified(c, ctx, rec);
    const client = kubeClient();
    const kinds = [...new Map(objects.map((o) => [`${o.apiVersion} ${o.kind}`, o])).values()];
    for (const o of kinds) {
      if (!(await client.serves(o.apiVersion!, o.kind!)))
        throw new SafeholdError(
          `${c.name}: the API server does not serve ${o.apiVersion} ${o.kind} (is its CustomResourceDefinition installed?); nothing was changed`,
        );
    }
    // Kept in memory from verification to apply: never written to scratch in plaintext (Secrets), never re-read unchecked.
    return { bytes: rec.bytes, state: objects };
  },

  async apply(c, ctx, _rec, p, o) {
    const client = kubeClient();
    const ns = namespaceOf(c, ctx);
    const dryRun = o.target?.dryRunNamespace;
    const stored = p.state as KubeObject[];
    const { entries, unmatched } = assignToEntries(c.resources, stored);
    for (const u of unmatched)
      ctx.log.warn('stored object no longer selected by the values: not restored', { component: c.name, object: describeRef(refOf(u)) });
    const counts: Partial<Record<Outcome, number>> = {};
    for (const { entry, objects } of entries) {
      const placed = objects.map((obj) => (obj.metadata?.namespace ? { ...obj, metadata: { ...obj.metadata, namespace: ns } } : obj));
      for (const obj of placed) {
        const outcome = await putObject(client, obj, c.existing, dryRun);
        counts[outcome] = (counts[outcome] ?? 0) + 1;
        ctx.log.info(`object ${outcome}`, { component: c.name, object: describeRef(refOf(obj)) });
      }
      if (entry.waitFor && !dryRun) {
        const timeoutMs = (durationSeconds(entry.waitFor.timeout) ?? 600) * 1000;
        for (const obj of placed) {
          const waited = await waitForCondition(client, refOf(obj), entry.waitFor.condition, timeoutMs, ctx.log);
          ctx.log.info('object ready', {
            component: c.name,
            object: describeRef(refOf(obj)),
            condition: entry.waitFor.condition,
            waitedSeconds: waited / 1000,
          });
        }
      }
    }
    ctx.log.info('kubernetes objects restored', { component: c.name, ...counts });
  },
};
