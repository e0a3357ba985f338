// Retention by whole sets: restic's own policy decides over good manifests only; the newest good set always stays.
import { durationSeconds } from '../../values/formats.js';
import { forgetPolicyDryRunArgs } from '../restic/args.js';
import type { Snapshot } from '../restic/client.js';
import type { RunContext } from '../context.js';
import { baseFilter, groupSets, STATUS_GOOD, TAG_MANIFEST, tagValue, type BackupSet } from '../sets.js';
import { findDoubtedSets } from './forged-times.js';

interface ForgetGroup {
  readonly keep: Snapshot[] | null;
  readonly remove: Snapshot[] | null;
}

/**
 * Which sets to remove, given the sets and restic's verdict over good manifests. Pure.
 * `deadBefore`: a set started before it belongs to a run that is over (its timeout has passed): an incomplete one
 * is a killed run's leftover (SIGKILL, OOM), removed as soon as a newer good set exists.
 */
export function setsToRemove(sets: readonly BackupSet[], removeGoodIds: ReadonlySet<string>, deadBefore = ''): BackupSet[] {
  const good = sets.filter((s) => s.status === 'good');
  const newestGood = good[good.length - 1];
  const keptGood = good.filter((s) => !removeGoodIds.has(s.id));
  const oldestKept = keptGood[0];
  return sets.filter((s) => {
    if (s === newestGood) return false;
    if (s.status === 'good') return removeGoodIds.has(s.id);
    if (s.status === 'incomplete' && newestGood && s.time < newestGood.time && s.time < deadBefore) return true;
    // Leftovers of crashed runs and suspicious sets go once a kept good set is newer than all of them.
    return !!oldestKept && s.time < oldestKept.time;
  });
}

export async function applyRetention(ctx: RunContext): Promise<string[]> {
  const base = baseFilter(ctx.values);
  // Both only read: run side by side (each restic start costs ~0.5 s of key derivation).
  const [snapshots, dryRun] = await Promise.all([
    ctx.restic.snapshots(base),
    ctx.restic.run(forgetPolicyDryRunArgs(ctx.values.retention, { host: base.host, tags: [...base.tags, TAG_MANIFEST, STATUS_GOOD] })),
  ]);
  const sets = groupSets(snapshots);
  const verdict = JSON.parse(dryRun || '[]') as ForgetGroup[];
  const removeGood = new Set(
    (verdict ?? [])
      .flatMap((g) => g.remove ?? [])
      .map((s) => tagValue(s, 'set'))
      .filter((x): x is string => !!x),
  );
  // A forged time would shift restic's buckets (future sets fill keep-last, backdated ones take a day's
  // slot): while any set is doubted, no good set is removed, and the doubted ones stay as evidence.
  const doubted = await findDoubtedSets(ctx, sets);
  if (doubted.size) {
    ctx.log.error('retention HELD: sets with forged times found; no good set is removed until they are investigated', { doubted: Object.fromEntries(doubted) });
    removeGood.clear();
  }
  const timeout = durationSeconds(ctx.values.timeout) ?? 3600;
  const remove = setsToRemove(sets, removeGood, new Date(ctx.now().getTime() - timeout * 1000).toISOString()).filter((s) => !doubted.has(s.id));
  const ids = remove.flatMap((s) => s.snapshots.map((x) => x.id));
  if (ids.length) {
    await ctx.restic.forgetIds(ids);
    ctx.log.info('retention applied', {
      removedSets: remove.map((s) => `${s.id} (${s.status})`),
      keptGood: sets.filter((s) => s.status === 'good').length - remove.filter((s) => s.status === 'good').length,
    });
  }
  return remove.map((s) => s.id);
}
