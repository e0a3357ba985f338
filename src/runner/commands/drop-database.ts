// `safehold drop-database`: the drop step of a restore request (Monoskope's drop Job), taken on the restore's go-ahead.
import { setTimeout as sleep } from 'node:timers/promises';
import { dropRequestId, restoreRequestId } from '../../contract/requests.js';
import { RefusedError, UsageError } from '../../errors.js';
import { durationSeconds } from '../../values/formats.js';
import { isDatabase } from '../../values/rules.js';
import type { Values } from '../../values/schema.js';
import { handlerFor } from '../components/index.js';
import type { RunContext } from '../context.js';
import { describeDropStep, dropStepFor, type DropStepRecord } from '../requests/drop-step.js';
import { claimLockFor, type LockHolder } from '../requests/lock.js';
import { newHolder } from '../requests/records.js';
import { runnerWorkSeconds, withinDeadline } from './deadline.js';

export interface DropOptions {
  /** The request id the Job was created for; refuse if the config now describes another request. */
  readonly expectRequest?: string;
  /** How long to wait for the restore's go-ahead. @default the Job's work time (timeout − start-up − grace) less 60 s */
  readonly goAheadWaitSeconds?: number;
}

/** A go-ahead this close to its end is left to the restore: the two pods' clocks may differ by a few seconds. */
const CLOCK_MARGIN_MS = 5000;

/** The drop waits for as long as its Job may run, keeping a minute for the drop itself. */
export const defaultGoAheadWait = (v: Values) => Math.max(1, runnerWorkSeconds(durationSeconds(v.timeout) ?? 3600) - 60);

const liveGoAhead = (held: LockHolder | undefined, request: string, component: string): held is LockHolder =>
  held?.request === request && held.awaitingDrop === component && !!held.until && Date.parse(held.until) - CLOCK_MARGIN_MS > Date.now();

function noGoAhead(held: LockHolder | undefined, where: string, request: string): string {
  if (!held) return `no restore of request ${request} holds ${where}`;
  if (held.request !== request) return `${where} is held by request ${held.request} (${held.holder}), not by ${request}`;
  return `the restore of request ${request} holds ${where} (${held.holder}, since ${held.at}) but gave no go-ahead`;
}

/**
 * Drops only on the go-ahead of its own restore, which gives it once it has claimed the request and verified the
 * set, and never after it finished, refused, gave up or took the step back. The drop step is taken with a
 * create-only object, so of two drop pods one drops. The drop pod reads no repository: the restore records the drop.
 */
export async function dropDatabase(ctx: RunContext, o: DropOptions = {}): Promise<string> {
  const v = ctx.values;
  const req = v.dropDatabase;
  if (!req) throw new UsageError('no dropDatabase: section in the values; nothing to drop');
  const c = v.components.find((x) => x.name === req.component);
  // The loader's rules already checked this; the runner checks again, since it is the last line.
  if (!c || !isDatabase(c) || req.confirm !== c.database)
    throw new RefusedError(`dropDatabase.confirm must equal the database name of component ${req.component}`);
  const restoreId = restoreRequestId(v);
  if (!restoreId || !v.restore)
    throw new RefusedError('dropDatabase needs a restore: section (the drop is the first step of a restore request); nothing was changed');
  const id = dropRequestId(v)!;
  if (o.expectRequest && o.expectRequest !== id)
    throw new RefusedError(`this Job was created for drop request ${o.expectRequest}, but the config now describes ${id}; nothing was changed`);
  const restored = v.restore.components ?? (v.restore.only ? Object.keys(v.restore.only) : undefined);
  if (restored && !restored.includes(c.name)) throw new RefusedError(`restore request ${restoreId} does not restore ${c.name}; nothing was changed`);
  const wait = o.goAheadWaitSeconds ?? defaultGoAheadWait(v);

  return withinDeadline(v.timeout, async () => {
    const lock = claimLockFor(ctx);
    const deadline = Date.now() + wait * 1000;
    let held = await lock.read();
    for (let logged = false; !liveGoAhead(held, restoreId, c.name); logged = true) {
      if (Date.now() >= deadline)
        throw new RefusedError(
          `${noGoAhead(held, lock.where, restoreId)} within ${wait} s: the restore gives it once it has claimed the request and verified the set, ` +
            `and never after it finished, refused, gave up or dropped by itself; nothing was changed`,
        );
      if (!logged) ctx.log.info('waiting for the go-ahead of the restore of this request', { request: restoreId, lock: lock.where, seconds: wait });
      await sleep(Math.max(50, Math.min(1000, deadline - Date.now())));
      held = await lock.read();
    }
    const step = dropStepFor(ctx);
    const mine: DropStepRecord = { request: restoreId, state: 'dropping', holder: newHolder(), restoreHolder: held.holder, at: ctx.now().toISOString() };
    const other = await step.take(mine);
    if (other) throw new RefusedError(`the drop step of request ${restoreId} is taken (${step.where}: ${describeDropStep(other)}); nothing was changed`);
    try {
      ctx.log.warn('dropping database and creating it empty on the go-ahead of the restore of this request', {
        component: c.name,
        database: c.database,
        host: c.host,
        request: restoreId,
        restore: held.holder,
      });
      await handlerFor(c).recreate!(c, ctx);
    } catch (e) {
      await step
        .update({ ...mine, state: 'failed', detail: (e as Error).message.split('\n')[0] })
        .catch((w: Error) => ctx.log.error('could not report the failure in the drop step', { where: step.where, error: w.message }));
      throw e;
    }
    await step.update({ ...mine, state: 'dropped', detail: `dropped ${c.database} on ${c.host}:${c.port}` });
    return id;
  });
}
