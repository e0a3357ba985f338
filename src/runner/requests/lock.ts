// The atomic half of a claim: a create-only object that a second pod of the same set cannot create (409 / EEXIST).
import { closeSync, mkdirSync, openSync, readFileSync, unlinkSync, writeSync } from 'node:fs';
import { dirname } from 'node:path';
import type { RunContext } from '../context.js';
import type { RequestStep } from './records.js';

export interface LockHolder {
  readonly request: string;
  readonly step: RequestStep;
  readonly holder: string;
  readonly at: string;
}

export interface ClaimLock {
  readonly where: string;
  /** Creates the lock; returns undefined when created, else who holds it. */
  acquire(h: LockHolder): Promise<LockHolder | undefined>;
  read(): Promise<LockHolder | undefined>;
  /** Removes the lock if it is still this request's (and this holder's, unless force). */
  release(h: { request: string; holder?: string }): Promise<boolean>;
}

/** Outside a cluster: an exclusively created file (O_EXCL) next to the --ledger file. */
export class FileClaimLock implements ClaimLock {
  constructor(readonly where: string) {}

  async acquire(h: LockHolder) {
    let fd: number;
    mkdirSync(dirname(this.where), { recursive: true });
    try {
      fd = openSync(this.where, 'wx', 0o600);
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code !== 'EEXIST') throw e;
      return (await this.read()) ?? { ...h, holder: 'unknown (unreadable claim file)' };
    }
    try {
      writeSync(fd, `${JSON.stringify(h)}\n`);
    } finally {
      closeSync(fd);
    }
    return undefined;
  }

  async read(): Promise<LockHolder | undefined> {
    try {
      return JSON.parse(readFileSync(this.where, 'utf8')) as LockHolder;
    } catch {
      return undefined;
    }
  }

  async release(h: { request: string; holder?: string }) {
    const cur = await this.read();
    if (!cur || cur.request !== h.request || (h.holder && cur.holder !== h.holder)) return false;
    unlinkSync(this.where);
    return true;
  }
}

/** In a cluster the kubernetes module provides a create-only ConfigMap lock in the set's namespace. */
let clusterLock: ((ctx: RunContext) => ClaimLock) | undefined;
export function setClusterClaimLock(f: (ctx: RunContext) => ClaimLock): void {
  clusterLock = f;
}

export function claimLockFor(ctx: RunContext): ClaimLock {
  return ctx.inCluster && clusterLock ? clusterLock(ctx) : new FileClaimLock(`${ctx.ledgerFile}.claim`);
}
