// What a failed or stopped run does first: a fresh cleanup allowance, every child ended, the run's own restic locks
// freed — so that forgetting the partial set (an exclusive lock) and the failure metric can follow.
import { BINARIES, binaryPath } from '../binaries.js';
import type { RunContext } from '../context.js';
import { allExited, endedBySignal, KILL_AFTER_MS } from '../process/spawn.js';
import { freeOwnLocks } from '../restic/locks.js';
import { startCleanup } from './deadline.js';

export async function tidyAfterFailure(ctx: RunContext): Promise<void> {
  startCleanup();
  await allExited(KILL_AFTER_MS + 1000);
  try {
    await freeOwnLocks(ctx.restic, endedBySignal(binaryPath(BINARIES.restic)), ctx.log);
  } catch (e) {
    ctx.log.warn("could not check the run's own restic locks (they become stale after 30 minutes)", { error: (e as Error).message });
  }
}
