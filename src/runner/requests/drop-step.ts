// The drop step of a restore request, taken once: a create-only object beside the claim lock. The drop Job creates
// it on the restore's go-ahead; the restore creates it itself when no drop Job came in time. A second create fails.
import { dropStepConfigMapName } from '../../contract/requests.js';
import type { RunContext } from '../context.js';
import { createOnlyFor } from './lock.js';

/** dropping: the drop Job took the step; dropped / failed: its outcome; taken: the restore took it back. */
export type DropStepState = 'dropping' | 'dropped' | 'failed' | 'taken';

export interface DropStepRecord {
  readonly request: string;
  readonly state: DropStepState;
  /** Who took the step: the drop pod, or the restore pod that took it back. */
  readonly holder: string;
  /** The restore whose go-ahead it answers (its claim holder). */
  readonly restoreHolder: string;
  readonly at: string;
  /** What was dropped, or the error. */
  readonly detail?: string;
}

export interface DropStep {
  readonly where: string;
  /** Creates the object; returns undefined when created, else the record that holds the step. */
  take(r: DropStepRecord): Promise<DropStepRecord | undefined>;
  read(): Promise<DropStepRecord | undefined>;
  /** The taker reports its outcome; fails when the object is no longer its own. */
  update(r: DropStepRecord): Promise<void>;
  /** Removes the object if `which` says so of the record read (the version read, never a newer one). */
  remove(which: (r: DropStepRecord) => boolean): Promise<boolean>;
}

/** How messages name a drop step record. */
export function describeDropStep(r: DropStepRecord): string {
  const what = r.state === 'taken' ? 'taken back by the restore' : `${r.state} by the drop pod`;
  return `${what} ${r.holder} at ${r.at}${r.detail ? `: ${r.detail}` : ''}`;
}

/** The drop step over a create-only record: locally the file `<ledger>.claim.drop`, in a cluster `<claim>-drop`. */
export function dropStepFor(ctx: RunContext): DropStep {
  const record = createOnlyFor<DropStepRecord>(ctx, dropStepConfigMapName(ctx.values), `${ctx.ledgerFile}.claim.drop`);
  return {
    where: record.where,
    take: (r) => record.create(r, { ...r, state: 'dropping', holder: 'unknown (drop step unreadable or deleted meanwhile)' }),
    read: () => record.read(),
    update: (r) => record.replace(r, (cur) => cur.request === r.request && cur.holder === r.holder, r.holder),
    remove: (which) => record.remove(which),
  };
}
