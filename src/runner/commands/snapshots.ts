// `safehold snapshots`: this application's backup sets, newest last, with their status.
import type { RunContext } from '../context.js';
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
