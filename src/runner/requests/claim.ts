// Claim before destroy: repository records first, then the ledger cache, then an atomic lock, then a claim record
// in the repository that the earliest claimant wins. A request the repository says finished never runs again.
import { setTimeout as sleep } from 'node:timers/promises';
import { dropRequestId, legacyRestoreRequestId, restoreRequestId } from '../../contract/requests.js';
import { RefusedError } from '../../errors.js';
import type { RunContext } from '../context.js';
import { ledgerFor } from '../ledger.js';
import { claimLockFor, type ClaimLock, type LockHolder } from './lock.js';
import type { Snapshot } from '../restic/client.js';
import { describeRecord, listRecords, newHolder, recordsOf, viewOf, writeRecord, type RequestStep, type RequestView } from './records.js';

/** What the refusal of a held claim tells the operator to do when the holder is gone. */
export function releaseHint(ctx: RunContext, request: string): string {
  return `if that run is gone (its pod deleted or failed), check the database, then release the claim with \`safehold release --request ${request}\` (the restore Job's image and config; locally --values ${ctx.configFile}), or by hand: delete ${claimLockFor(ctx).where} and \`restic forget --tag safehold-request=${request},safehold-request-state=claimed\``;
}

export interface Claim {
  readonly request: string;
  readonly holder: string;
  /** The data is back: recorded in the repository (the truth) and the ledger (a cache); the lock goes. */
  finish(detail: string): Promise<void>;
  /** The drop step is done: recorded, and the lock is handed over to the restore Job of the same request. */
  dropped(detail: string): Promise<void>;
  /** The run failed: a refusal (nothing changed) releases the claim; anything else keeps it, visibly. */
  abandon(e: unknown): Promise<void>;
}

export interface ClaimOptions {
  /** How long a restore waits for the drop step of its own request held by another pod. @default 900 */
  readonly dropWaitSeconds?: number;
  /**
   * The application's snapshots as this run listed them moments ago (a restore's set listing carries the request
   * records too): the early refusal reads them instead of listing again. The claim itself always re-lists.
   */
  readonly listing?: readonly Snapshot[];
}

function refuseFinished(ctx: RunContext, view: RequestView, request: string, what: string): void {
  if (view.finished)
    throw new RefusedError(
      `${what} request ${request} already ran: ${describeRecord(ctx, view.finished)} says it finished; nothing was changed. Set restore.requestId to a new value for a new request`,
    );
}

function refuseDrop(ctx: RunContext, view: RequestView, request: string): void {
  if (view.dropped) throw new RefusedError(`drop-database of request ${request} already ran: ${describeRecord(ctx, view.dropped)}; nothing was changed`);
  if (view.restoreStarted) {
    throw new RefusedError(
      `the restore of request ${request} has started (${describeRecord(ctx, view.restoreStarted)}): it drops the database itself, and a drop now might have no restore after it. Nothing was changed`,
    );
  }
}

async function refuseFromLedger(ctx: RunContext, request: string, step: RequestStep): Promise<void> {
  const ledger = ledgerFor(ctx);
  const ids = [request, legacyRestoreRequestId(ctx.values), step === 'drop' ? dropRequestId(ctx.values) : undefined].filter((x): x is string => !!x);
  for (const id of new Set(ids)) {
    const done = await ledger.get(id);
    if (done) throw new RefusedError(`request ${id} already ran (finished ${done.finishedAt}, recorded in ${ledger.where}); nothing was changed`);
  }
}

async function lockOrWait(ctx: RunContext, lock: ClaimLock, mine: LockHolder, waitSeconds: number): Promise<void> {
  const until = Date.now() + waitSeconds * 1000;
  for (let logged = false; ; logged = true) {
    const held = await lock.acquire(mine);
    if (!held) return;
    // Only the drop step of the same request is waited for: it hands the claim over when it is done.
    const handOver = held.request === mine.request && held.step === 'drop' && mine.step === 'restore';
    if (!handOver || Date.now() >= until) {
      const what = held.request === mine.request ? `another ${held.step} run of request ${held.request}` : `request ${held.request} (${held.step})`;
      throw new RefusedError(
        `${what} holds ${lock.where} (${held.holder}, since ${held.at}); nothing was changed. ${handOver ? `It did not hand over within ${waitSeconds} s; ` : ''}${releaseHint(ctx, held.request)}`,
      );
    }
    if (!logged) ctx.log.info('waiting for the drop step of this request to finish first', { request: mine.request, holder: held.holder });
    await sleep(Math.min(1000, Math.max(50, until - Date.now())));
  }
}

/**
 * Claims a request for this process before anything destructive. Refuses (exit 3) when the repository
 * says it finished, when the ledger cache does, or when another process holds it. The repository claim
 * covers what the lock cannot see (a fresh --ledger, another cluster): after writing its claim the
 * process re-lists, waits as long as the write took, re-lists again, and only the earliest claim wins.
 */
export async function claimRequest(ctx: RunContext, request: string, step: RequestStep, o: ClaimOptions = {}): Promise<Claim> {
  const what = step === 'drop' ? 'drop-database' : 'restore';
  const before = viewOf(o.listing ? recordsOf(o.listing) : await listRecords(ctx, request), request);
  refuseFinished(ctx, before, request, what);
  if (step === 'drop') refuseDrop(ctx, before, request);
  await refuseFromLedger(ctx, request, step);

  const holder = newHolder();
  const lock = claimLockFor(ctx);
  await lockOrWait(ctx, lock, { request, step, holder, at: ctx.now().toISOString() }, o.dropWaitSeconds ?? 900);
  const releaseLock = async () => {
    try {
      await lock.release({ request, holder });
    } catch (e) {
      ctx.log.warn('could not remove the claim lock; remove it by hand', { where: lock.where, error: (e as Error).message });
    }
  };
  const refuse = async (msg: string): Promise<never> => {
    await writeRecord(ctx, { request, state: 'released', step, holder, detail: 'lost the claim; nothing was changed' });
    await releaseLock();
    throw new RefusedError(msg);
  };

  try {
    const t0 = Date.now();
    await writeRecord(ctx, { request, state: 'claimed', step, holder });
    const settleMs = Math.max(300, Date.now() - t0);
    const waitUntil = Date.now() + (o.dropWaitSeconds ?? 900) * 1000;
    for (let pass = 0; pass < 2; pass++) {
      let view = viewOf(await listRecords(ctx, request), request);
      // A drop step claimed through another lock (another cluster, another --ledger): wait until it hands over.
      while (step === 'restore' && view.live[0]?.step === 'drop' && view.live[0].holder !== holder && Date.now() < waitUntil) {
        await sleep(1000);
        view = viewOf(await listRecords(ctx, request), request);
      }
      if (view.finished) await refuse(`restore request ${request} finished meanwhile (${describeRecord(ctx, view.finished)}); nothing was changed`);
      const earlier = view.restoreStarted && view.restoreStarted.holder !== holder ? view.restoreStarted : undefined;
      if (step === 'drop' && earlier)
        await refuse(`the restore of request ${request} has started (${describeRecord(ctx, earlier)}): it drops the database itself. Nothing was changed`);
      const winner = view.live[0];
      if (winner && winner.holder !== holder) {
        await refuse(`request ${request} is claimed by another run: ${describeRecord(ctx, winner)}; nothing was changed. ${releaseHint(ctx, request)}`);
      }
      if (pass === 0) await sleep(settleMs);
    }
  } catch (e) {
    if (!(e instanceof RefusedError)) await releaseLock();
    throw e;
  }
  ctx.log.info('request claimed', { request, step, holder, lock: lock.where, repository: ctx.restic.access.location });

  const ledger = ledgerFor(ctx);
  const cache = async (id: string, detail: string) => {
    try {
      await ledger.record({ id, finishedAt: ctx.now().toISOString(), detail });
    } catch (e) {
      ctx.log.warn('the ledger cache could not be written; the repository record stands', { where: ledger.where, error: (e as Error).message });
    }
  };
  return {
    request,
    holder,
    async finish(detail) {
      await writeRecord(ctx, { request, state: 'finished', step, holder, detail });
      await cache(request, detail);
      await releaseLock();
    },
    async dropped(detail) {
      await writeRecord(ctx, { request, state: 'dropped', step, holder, detail });
      await cache(dropRequestId(ctx.values) ?? request, detail);
      await releaseLock();
    },
    async abandon(e) {
      if (e instanceof RefusedError) {
        try {
          await writeRecord(ctx, { request, state: 'released', step, holder, detail: `refused: ${e.message.split('\n')[0]}` });
        } catch (w) {
          ctx.log.warn('could not record the release of the claim', { request, error: (w as Error).message });
        }
        await releaseLock();
        return;
      }
      ctx.log.error('the request stays CLAIMED: its data may be half-restored, backups of this application refuse until it is released', {
        request,
        holder,
        hint: releaseHint(ctx, request),
      });
    },
  };
}

/** The request of a restore run: the values' restore request, unless a drill (never claimed). */
export const claimableRequest = (ctx: RunContext, drill?: boolean) => (drill ? undefined : restoreRequestId(ctx.values));
