// `safehold status`: for one values file, a directory of them, or the in-cluster config — one repository listing each.
import { readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { ExitCode, UsageError } from '../../errors.js';
import { buildContext, type ContextOptions, type RunContext } from '../context.js';
import { pushgatewayCa } from '../metrics/push.js';
import { groupOf, readPushgateway, type PushedGroup } from '../metrics/read.js';
import type { Snapshot } from '../restic/client.js';
import { appStatus, type AppStatus, type SetPoint } from '../status/model.js';

export interface StatusReport {
  readonly format: 'safehold.status/v1';
  readonly generatedAt: string;
  readonly ok: boolean;
  readonly apps: readonly AppStatus[];
}

/** Values files of a directory (`_`-prefixed files are shared defaults, not applications). */
export function valuesFilesIn(path: string): string[] {
  if (!statSync(path, { throwIfNoEntry: false })?.isDirectory()) return [path];
  const files = readdirSync(path)
    .filter((f) => /\.ya?ml$/.test(f) && !f.startsWith('_'))
    .sort();
  if (!files.length) throw new UsageError(`${path}: no values files (*.yaml) in this directory`);
  return files.map((f) => join(path, f));
}

/** Lists each repository once, however many applications share it; read-only (no lock, no unlock). */
async function listings(ctxs: readonly RunContext[]): Promise<Map<string, Snapshot[]>> {
  const out = new Map<string, Promise<Snapshot[]>>();
  for (const c of ctxs) {
    const key = c.restic.access.location;
    if (!out.has(key))
      out.set(
        key,
        c.restic.run(['snapshots', '--json', '--no-lock']).then((t) => (JSON.parse(t || '[]') ?? []) as Snapshot[]),
      );
  }
  return new Map(await Promise.all([...out].map(async ([k, p]) => [k, await p] as const)));
}

/** Each Pushgateway once; a per-app note says why a drill result is unknown. */
async function drillGroups(ctxs: readonly RunContext[], override?: string): Promise<Array<{ group?: PushedGroup; note?: string }>> {
  const reads = new Map<string, ReturnType<typeof readPushgateway>>();
  return Promise.all(
    ctxs.map(async (c) => {
      if (!c.values.drill) return {};
      const base = override ?? (c.values.monitoring.enabled ? c.values.monitoring.pushgateway : undefined);
      if (!base) return { note: 'no monitoring.pushgateway to read drill results from' };
      if (!reads.has(base)) reads.set(base, readPushgateway(base, pushgatewayCa(c.values, c.secrets)));
      const r = await reads.get(base)!;
      if (!r.groups) return { note: `Pushgateway ${base} did not answer: ${r.error}` };
      return { group: groupOf(r.groups, c.values, 'drill') };
    }),
  );
}

export async function collectStatus(
  ctxs: readonly RunContext[],
  o: { pushgateway?: string; now?: Date } = {},
): Promise<Array<AppStatus & { history: readonly SetPoint[] }>> {
  const [lists, drills] = await Promise.all([listings(ctxs), drillGroups(ctxs, o.pushgateway)]);
  const now = o.now ?? ctxs[0]?.now() ?? new Date();
  return ctxs.map((c, i) =>
    appStatus({
      values: c.values,
      repository: c.restic.access.location,
      snapshots: lists.get(c.restic.access.location)!,
      drill: drills[i].group,
      drillNote: drills[i].note,
      now,
    }),
  );
}

export function statusContexts(o: ContextOptions): RunContext[] {
  if (o.config) return [buildContext(o)];
  if (!o.values) throw new UsageError('give --values FILE|DIR (locally) or --config FILE (in the cluster)');
  return valuesFilesIn(o.values).map((f) => buildContext({ ...o, values: f }));
}

export function statusReport(apps: ReadonlyArray<AppStatus & { history?: unknown }>, now = new Date()): StatusReport {
  const stripped = apps.map(({ history: _history, ...a }) => a);
  return { format: 'safehold.status/v1', generatedAt: now.toISOString(), ok: stripped.every((a) => !a.problems.length), apps: stripped };
}

export const statusExitCode = (r: StatusReport) => (r.ok ? ExitCode.ok : ExitCode.failed);
