// `safehold maintenance`: what a protected repository's backups may not do — retention by sets, prune, restic check.
import { pruneArgs } from '../restic/args.js';
import type { RunContext } from '../context.js';
import { pruneUnlessBusy } from '../requests/busy.js';
import { applyRetention } from './retention.js';

export interface MaintenanceReport {
  readonly removedSets: readonly string[];
  readonly pruned: boolean;
  readonly checked: boolean;
}

/**
 * Runs with the maintenance credentials (context built for operation `maintenance`); a failed check fails the run.
 * Beside a restore of the application it refuses like a prune (exit 3), before taking any lock.
 */
export async function maintenance(ctx: RunContext): Promise<MaintenanceReport> {
  await ctx.restic.open({ create: false });
  return pruneUnlessBusy(ctx, async () => {
    const removedSets = await applyRetention(ctx);
    const pruned = removedSets.length > 0 && ctx.values.retention.prune;
    if (pruned) await ctx.restic.run(pruneArgs());
    await ctx.restic.check();
    ctx.log.info('maintenance finished', { removedSets, pruned });
    return { removedSets, pruned, checked: true };
  });
}
