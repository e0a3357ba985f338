// The atomic half of a claim: a create-only object that a second pod of the same set cannot create (409 / EEXIST).
import { claimConfigMapName } from '../../contract/requests.js';
import type { RunContext } from '../context.js';
import { CreateOnlyFile, type CreateOnly } from './create-only.js';
import type { RequestStep } from './records.js';

export interface LockHolder {
  readonly request: string;
  readonly step: RequestStep;
  readonly holder: string;
  readonly at: string;
  /** The restore's go-ahead to the drop Job of its request: the component it may drop now (drop-step.ts). */
  readonly awaitingDrop?: string;
  /** Until when the go-ahead holds (ISO time); afterwards the restore takes the drop step back. */
  readonly until?: string;
}

export interface ClaimLock {
  readonly where: string;
  /** Creates the lock; returns undefined when created, else who holds it. */
  acquire(h: LockHolder): Promise<LockHolder | undefined>;
  read(): Promise<LockHolder | undefined>;
  /** Rewrites the lock this holder holds (the go-ahead fields); fails when the lock is not this holder's. */
  update(h: LockHolder): Promise<void>;
  /** Removes the lock if it is still this request's (and this holder's, when named). */
  release(h: { request: string; holder?: string }): Promise<boolean>;
}

/** The claim over a create-only record: locally the file `<ledger>.claim`, in a cluster the claim ConfigMap. */
class RecordClaimLock implements ClaimLock {
  constructor(private readonly record: CreateOnly<LockHolder>) {}

  get where() {
    return this.record.where;
  }

  acquire(h: LockHolder) {
    return this.record.create(h, { ...h, holder: 'unknown (claim unreadable or deleted meanwhile; retry)' });
  }

  read() {
    return this.record.read();
  }

  update(h: LockHolder) {
    return this.record.replace(h, (cur) => cur.request === h.request && cur.holder === h.holder, h.holder);
  }

  release(h: { request: string; holder?: string }) {
    return this.record.remove((cur) => cur.request === h.request && (!h.holder || cur.holder === h.holder));
  }
}

/** In a cluster the kubernetes module provides create-only ConfigMaps in the set's namespace (kube/create-only-configmap.ts). */
type RecordFactory = <T extends object>(ctx: RunContext, name: string) => CreateOnly<T>;
let clusterRecord: RecordFactory | undefined;
export function setClusterCreateOnly(f: RecordFactory): void {
  clusterRecord = f;
}

/** The create-only record `name` in a cluster, else the file `file`. */
export function createOnlyFor<T extends object>(ctx: RunContext, name: string, file: string): CreateOnly<T> {
  return ctx.inCluster && clusterRecord ? clusterRecord<T>(ctx, name) : new CreateOnlyFile<T>(file);
}

export function claimLockFor(ctx: RunContext): ClaimLock {
  return new RecordClaimLock(createOnlyFor<LockHolder>(ctx, claimConfigMapName(ctx.values), `${ctx.ledgerFile}.claim`));
}
