// Claim before destroy: repository records first, then the ledger cache, then an atomic lock, then a claim record
// in the repository that the earliest claimant wins. A request the repository says finished never runs again.
// Only the restore claims; its drop Job answers the go-ahead written into the lock (go-ahead.ts).
import { setTimeout as sleep } from 'node:timers/promises';
import { dropRequestId, legacyRestoreRequestId, restoreRequestId } from '../../contract/requests.js';
import { RefusedError } from '../../errors.js';
import type { RunContext } from '../context.js';
import { ledgerFor } from '../ledger.js';
import { dropStepFor } from './drop-step.js';
import { claimLockFor, type ClaimLock, type LockHolder } from './lock.js';
import type { Snapshot } from '../restic/client.js';
import { describeRecord, listRecords, newHolder, recordsOf, viewOf, writeRecord, type RequestView } from './records.js';

/** What the refusal of a held claim tells the operator to do when the holder is gone. */
export function releaseHint(ctx: RunContext, request: string): string {
  return `if that run is gone (its pod deleted or failed), check the database, then release the claim with \`safehold release --request ${request}\` (the restore Job's image and config; locally --values ${ctx.configFile}), or by hand: delete ${claimLockFor(ctx).where} (and ${dropStepFor(ctx).where} if it exists) and \`restic forget --tag safehold-request=${request},safehold-request-state=claimed\``;
}

export interface Claim {
  readonly request: string;
  readonly holder: string;
  /** The data is back: recorded in the repository (the truth) and the ledger (a cache); the lock and the drop step go. */
  finish(detail: string): Promise<void>;
  /** Writes the go-ahead for the drop Job into the lock (undefined clears it); from then on a failure keeps the claim. */
  goAhead(component: string | undefined, until?: Date): Promise<void>;
  /** The drop Job dropped on this restore's go-ahead: recorded in its name (the drop pod has no repository access). */
  recordDrop(dropHolder: string, detail: string): Promise<void>;
  /** The run failed: a refusal (nothing changed) releases the claim; anything else keeps it, visibly. */
  abandon(e: unknown): Promise<void>;
}

export interface ClaimOptions {
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

async function refuseFromLedger(ctx: RunContext, request: string): Promise<void> {
  const ledger = ledgerFor(ctx);
  for (const id of new Set([request, legacyRestoreRequestId(ctx.values)].filter((x): x is string => !!x))) {
    const done = await ledger.get(id);
    if (done) throw new RefusedError(`request ${id} already ran (finished ${done.finishedAt}, recorded in ${ledger.where}); nothing was changed`);
  }
}

async function acquireOrRefuse(ctx: RunContext, lock: ClaimLock, mine: LockHolder): Promise<void> {
  const held = await lock.acquire(mine);
  if (!held) return;
  const what = held.request === mine.request ? `another ${held.step} run of request ${held.request}` : `request ${held.request} (${held.step})`;
  throw new RefusedError(`${what} holds ${lock.where} (${held.holder}, since ${held.at}); nothing was changed. ${releaseHint(ctx, held.request)}`);
}

/**
 * Claims a restore request for this process before anything destructive. Refuses (exit 3) when the repository
 * says it finished, when the ledger cache does, or when another process holds it. The repository claim
 * covers what the lock cannot see (a fresh --ledger, another cluster): after writing its claim the
 * process re-lists, waits as long as the write took, re-lists again, and only the earliest claim wins.
 * The drop Job never claims: it answers the go-ahead this claim gives (drop-step.ts, go-ahead.ts).
 */
export async function claimRequest(ctx: RunContext, request: string, step: 'restore', o: ClaimOptions = {}): Promise<Claim> {
  const before = viewOf(o.listing ? recordsOf(o.listing) : await listRecords(ctx, request), request);
  refuseFinished(ctx, before, request, 'restore');
  await refuseFromLedger(ctx, request);

  const holder = newHolder();
  const claimLock = claimLockFor(ctx);
  const mine: LockHolder = { request, step, holder, at: ctx.now().toISOString() };
  await acquireOrRefuse(ctx, claimLock, mine);
  const releaseLock = async () => {
    const dropStep = dropStepFor(ctx);
    for (const [where, remove] of [
      [dropStep.where, () => dropStep.remove((r) => r.request === request)],
      [claimLock.where, () => claimLock.release({ request, holder })],
    ] as const) {
      try {
        await remove();
      } catch (e) {
        ctx.log.warn('could not remove an object of the claim; remove it by hand', { where, error: (e as Error).message });
      }
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
    for (let pass = 0; pass < 2; pass++) {
      const view = viewOf(await listRecords(ctx, request), request);
      if (view.finished) await refuse(`restore request ${request} finished meanwhile (${describeRecord(ctx, view.finished)}); nothing was changed`);
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
  ctx.log.info('request claimed', { request, step, holder, lock: claimLock.where, repository: ctx.restic.access.location });

  const ledger = ledgerFor(ctx);
  const cache = async (id: string, detail: string) => {
    try {
      await ledger.record({ id, finishedAt: ctx.now().toISOString(), detail });
    } catch (e) {
      ctx.log.warn('the ledger cache could not be written; the repository record stands', { where: ledger.where, error: (e as Error).message });
    }
  };
  // Once a go-ahead was given a drop may have happened: no later error is a refusal that releases the claim.
  let goneAhead = false;
  return {
    request,
    holder,
    async finish(detail) {
      await writeRecord(ctx, { request, state: 'finished', step, holder, detail });
      await cache(request, detail);
      await releaseLock();
    },
    async goAhead(component, until) {
      if (component) goneAhead = true;
      await claimLock.update(component && until ? { ...mine, awaitingDrop: component, until: until.toISOString() } : mine);
    },
    async recordDrop(dropHolder, detail) {
      await writeRecord(ctx, { request, state: 'dropped', step: 'drop', holder: dropHolder, detail });
      await cache(dropRequestId(ctx.values) ?? request, detail);
    },
    async abandon(e) {
      if (e instanceof RefusedError && !goneAhead) {
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
