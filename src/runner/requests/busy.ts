// No backup or prune beside a restore of the same application: the set would hold a half-restored database.
import { METRICS } from '../../contract/metrics.js';
import { RefusedError } from '../../errors.js';
import type { RunContext } from '../context.js';
import { pushMetrics } from '../metrics/push.js';
import type { Snapshot } from '../restic/client.js';
import { releaseHint } from './claim.js';
import { describeRecord, listRecords, recordsOf, requestsInProgress, type RequestRecord } from './records.js';

/** A backup or prune refused because a one-shot request of the same application is in progress (exit 3). */
export class RequestInProgressError extends RefusedError {}

/**
 * Throws when a request of this application is claimed and not finished. `snapshots` is the listing the
 * caller already has (a backup lists the application's snapshots anyway); without it, one listing is made.
 */
export async function refuseDuringRequests(ctx: RunContext, what: 'backup' | 'prune', snapshots?: readonly Snapshot[]): Promise<void> {
  const records: RequestRecord[] = snapshots ? recordsOf(snapshots) : await listRecords(ctx);
  const [busy] = requestsInProgress(records);
  if (!busy) return;
  const claim = busy.records.find((r) => r.state === 'claimed')!;
  ctx.log.error(`${what} REFUSED: a restore of this application is in progress`, { request: claim.request, holder: claim.holder, since: claim.time });
  throw new RequestInProgressError(
    `${what} refused, nothing was stored: request ${claim.request} of this application is in progress (${describeRecord(ctx, claim)}); ` +
      `${what === 'backup' ? 'a backup now could keep a half-restored database as a good set' : "a prune's exclusive lock could fail the restore"}. It runs again on schedule once the request finished; ${releaseHint(ctx, claim.request)}`,
  );
}

/**
 * A prune or a maintenance run (retention, prune, check) beside a restore would take restic's exclusive lock under
 * it: refused like a backup, and `safehold_prune_refused` says which it was (pushed as operation `maintenance`).
 */
export async function pruneUnlessBusy<T>(ctx: RunContext, work: () => Promise<T>): Promise<T> {
  const push = (refused: boolean) => pushMetrics(ctx.values, 'maintenance', [{ name: METRICS.pruneRefused, value: refused ? 1 : 0 }], ctx.log, ctx.secrets);
  try {
    await refuseDuringRequests(ctx, 'prune');
  } catch (e) {
    if (e instanceof RequestInProgressError) await push(true);
    throw e;
  }
  const r = await work();
  await push(false);
  return r;
}
