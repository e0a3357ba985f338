// `safehold release --request ID`: ends the claim of a request whose run is gone (pod deleted, node lost).
import { UsageError } from '../../errors.js';
import type { RunContext } from '../context.js';
import { dropStepFor } from '../requests/drop-step.js';
import { claimLockFor } from '../requests/lock.js';
import { ANY_HOLDER, listRecords, viewOf, writeRecord } from '../requests/records.js';

export interface ReleaseReport {
  readonly request: string;
  readonly lockRemoved: boolean;
  readonly wasFinished: boolean;
}

/** Records a release of every claim of the request in the repository and removes its lock and drop step; a finished request stays finished. */
export async function releaseRequest(ctx: RunContext, request: string | undefined): Promise<ReleaseReport> {
  if (!request) throw new UsageError('release needs --request ID (the id the refusal named, or see `safehold snapshots`)');
  await ctx.restic.open({ create: false });
  const view = viewOf(await listRecords(ctx, request), request);
  if (!view.records.length) throw new UsageError(`the repository ${ctx.restic.access.location} has no record of request ${request} for this application`);
  if (!view.finished) await writeRecord(ctx, { request, state: 'released', holder: ANY_HOLDER, detail: 'released by hand' });
  // The drop step first: without the lock no restore waits for it, and a drop Job only takes it on a live go-ahead.
  await dropStepFor(ctx).remove((r) => r.request === request);
  const lockRemoved = await claimLockFor(ctx).release({ request });
  ctx.log.warn('request claim released', { request, lockRemoved, finished: !!view.finished });
  return { request, lockRemoved, wasFinished: !!view.finished };
}
