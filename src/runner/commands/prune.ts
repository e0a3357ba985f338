// `safehold prune`: retention by sets, then restic prune (exclusive lock: run it apart from backups).
import { pruneArgs } from '../restic/args.js';
import type { RunContext } from '../context.js';
import { pruneUnlessBusy } from '../requests/busy.js';
import { applyRetention } from './retention.js';

export async function prune(ctx: RunContext): Promise<string[]> {
  await ctx.restic.open({ create: false });
  return pruneUnlessBusy(ctx, async () => {
    const removed = await applyRetention(ctx);
    await ctx.restic.run(pruneArgs());
    ctx.log.info('prune finished', { removedSets: removed });
    return removed;
  });
}
