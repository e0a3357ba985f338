// The restore's side of the drop step: it gives the drop Job the go-ahead once the set is verified, waits for the
// step to be taken, and takes it back itself when no drop Job came in time. The drop Job never reads the repository.
import { setTimeout as sleep } from 'node:timers/promises';
import { SafeholdError } from '../../errors.js';
import type { Component } from '../../values/components.js';
import type { RunContext } from '../context.js';
import type { Claim } from './claim.js';
import { describeDropStep, dropStepFor, type DropStepRecord } from './drop-step.js';

/** Who did the drop step: the drop Job (dropped, or failed with its error), or the restore that took it back. */
export interface DropStepOutcome {
  readonly by: 'drop' | 'restore';
  readonly record: DropStepRecord;
}

/**
 * Writes the go-ahead for `component` into the claim lock and waits up to `waitSeconds` for the drop Job to take
 * the step and report. Nobody took it: the restore takes it (a late drop Job gets 409 and refuses) and drops by
 * itself. A drop Job that took it in time and has not reported within as long again fails the restore: it may
 * still be dropping, and the restore must not write under it. The go-ahead is cleared when the wait ends.
 */
export async function awaitDropStep(ctx: RunContext, claim: Claim, component: string, waitSeconds: number): Promise<DropStepOutcome> {
  const step = dropStepFor(ctx);
  // A drop step of an earlier claim (a run that died and was released by hand) answers no go-ahead of this one.
  if (await step.remove((r) => r.restoreHolder !== claim.holder)) ctx.log.warn('removed a drop step left by an earlier claim', { where: step.where });
  const until = Date.now() + waitSeconds * 1000;
  await claim.goAhead(component, new Date(until));
  ctx.log.info('go-ahead for the drop Job of this request: it may drop now', { component, request: claim.request, until: new Date(until).toISOString() });
  try {
    for (;;) {
      const cur = await step.read();
      if (cur?.state === 'dropped' || cur?.state === 'failed') return { by: 'drop', record: cur };
      if (cur?.state === 'taken' && cur.holder === claim.holder) return { by: 'restore', record: cur };
      if (cur && Date.now() >= until + waitSeconds * 1000) {
        throw new SafeholdError(
          `the drop step of request ${claim.request} was ${describeDropStep(cur)} and has not reported within ${2 * waitSeconds} s; ` +
            `nothing was restored (the drop may still be running). Check the drop Job's pod and the database, then release the request`,
        );
      }
      if (!cur && Date.now() >= until) {
        const mine: DropStepRecord = { request: claim.request, state: 'taken', holder: claim.holder, restoreHolder: claim.holder, at: ctx.now().toISOString() };
        // Lost to a drop Job that came at the last moment: its step is waited for like any other.
        if (!(await step.take(mine))) return { by: 'restore', record: mine };
        continue;
      }
      const left = until - Date.now();
      await sleep(left > 0 ? Math.max(50, Math.min(500, left)) : 500);
    }
  } finally {
    await claim.goAhead(undefined).catch((e: Error) => ctx.log.warn('could not clear the go-ahead in the claim lock', { error: e.message }));
  }
}

/**
 * The drop step of a restore whose values' dropDatabase names a component it restores (else nothing happens).
 * Returns that component when the drop Job changed it (dropped, or failed half-way): a failure later puts its
 * safety copy back like any component the restore touched. A failed drop does not stop the restore: it drops
 * (MariaDB/MySQL, CockroachDB) or swaps in (PostgreSQL) by itself, which rebuilds the database either way.
 */
export async function dropStepOfRestore(ctx: RunContext, claim: Claim, restored: readonly Component[], waitSeconds = 900): Promise<Component | undefined> {
  const c = restored.find((x) => x.name === ctx.values.dropDatabase?.component);
  if (!c) return undefined;
  const { by, record } = await awaitDropStep(ctx, claim, c.name, waitSeconds);
  if (by === 'restore') {
    ctx.log.info('no drop Job took the go-ahead in time: the restore took the drop step back and drops by itself', { component: c.name, waited: waitSeconds });
    return undefined;
  }
  if (record.state === 'dropped') {
    await claim.recordDrop(record.holder, record.detail ?? `dropped ${c.name}`);
    ctx.log.warn('the drop Job dropped the database on this go-ahead; restoring', { component: c.name, drop: record.holder });
  } else {
    ctx.log.warn('the drop Job FAILED to drop; the restore drops or swaps in by itself', { component: c.name, drop: record.holder, error: record.detail });
  }
  return c;
}
