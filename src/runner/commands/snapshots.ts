// `safehold snapshots`: this application's backup sets, newest last, with their status.
import type { RunContext } from '../context.js';
import { listRecords, viewOf } from '../requests/records.js';
import { baseFilter, groupSets, tagValue } from '../sets.js';

export interface SetListing {
  readonly id: string;
  readonly time: string;
  readonly status: string;
  readonly components: string[];
  readonly snapshots: string[];
}

export async function listSets(ctx: RunContext): Promise<SetListing[]> {
  await ctx.restic.open({ create: false });
  return groupSets(await ctx.restic.snapshots(baseFilter(ctx.values))).map((s) => ({
    id: s.id,
    time: s.time,
    status: s.status,
    components: [...new Set(s.snapshots.map((x) => tagValue(x, 'component')).filter((x): x is string => !!x))],
    snapshots: s.snapshots.map((x) => x.short_id),
  }));
}

export function formatSets(sets: readonly SetListing[]): string {
  if (!sets.length) return 'no backup sets\n';
  return `${sets.map((s) => `${s.id}  ${s.time.slice(0, 19)}Z  ${s.status.padEnd(10)}  ${s.components.join(',')}`).join('\n')}\n`;
}

export interface RequestListing {
  readonly request: string;
  /** finished, in progress (claimed, maybe dropped), or released (free to run again). */
  readonly status: 'finished' | 'in progress' | 'released';
  readonly records: ReadonlyArray<{ state: string; step?: string; holder: string; time: string; snapshot: string }>;
}

/** The one-shot requests the repository records for this application (one listing). */
export async function listRequests(ctx: RunContext): Promise<RequestListing[]> {
  await ctx.restic.open({ create: false });
  const all = await listRecords(ctx);
  return [...new Set(all.map((r) => r.request))].map((request) => {
    const v = viewOf(all, request);
    return {
      request,
      status: v.finished ? 'finished' : v.inProgress ? 'in progress' : 'released',
      records: v.records.map((r) => ({ state: r.state, step: r.step, holder: r.holder, time: r.time, snapshot: r.shortId })),
    };
  });
}

export function formatRequests(reqs: readonly RequestListing[]): string {
  if (!reqs.length) return '';
  const lines = reqs.map(
    (q) =>
      `${q.request.padEnd(20)}  ${q.status.padEnd(11)}  ${q.records.map((r) => `${r.state}${r.step ? `(${r.step})` : ''} ${r.time.slice(0, 19)}Z ${r.snapshot}`).join(', ')}`,
  );
  return `requests:\n${lines.join('\n')}\n`;
}
