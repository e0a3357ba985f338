// restic locks that outlive their run: the run's own after a stop (restic < 0.17 leaves its lock on SIGTERM), and
// those of an earlier pod of the same workload that was SIGKILLed (OOM). A lock names its host (the pod) and pid.
import { hostname } from 'node:os';
import type { Logger } from '../log.js';

export interface LockInfo {
  readonly id: string;
  readonly time: string;
  readonly exclusive: boolean;
  readonly hostname: string;
  readonly pid: number;
}

/** `restic cat lock ID` output. */
export function parseLock(id: string, json: string): LockInfo {
  const l = JSON.parse(json) as Partial<LockInfo>;
  return { id, time: String(l.time ?? ''), exclusive: !!l.exclusive, hostname: String(l.hostname ?? ''), pid: Number(l.pid ?? 0) };
}

/** The run's own locks: taken on this host by a restic child of this run that ended by a signal. Pure. */
export function ownLocks(locks: readonly LockInfo[], host: string, pids: readonly number[]): LockInfo[] {
  return locks.filter((l) => l.hostname === host && pids.includes(l.pid));
}

/**
 * Locks of an earlier pod of the same workload: the host name is `<workload>-…` but not ours, and the lock is
 * older than this run. A CronJob with concurrencyPolicy Forbid (and a Job's one pod at a time) runs no two of
 * them at once, so that pod is gone — killed before restic could remove its lock. Pure.
 */
export function deadRunLocks(locks: readonly LockInfo[], o: { host: string; workload: string; startedAt: Date }): LockInfo[] {
  const prefix = `${o.workload}-`;
  return locks.filter(
    (l) => l.hostname !== o.host && l.hostname.startsWith(prefix) && l.hostname.length > prefix.length && Date.parse(l.time) < o.startedAt.getTime(),
  );
}

/** What the lock clean-up needs from the restic adapter. */
export interface LockStore {
  locks(): Promise<LockInfo[]>;
  /** restic unlock: removes stale locks only (restic's rule: same host and the process is gone, or 30 minutes old). */
  unlockStale(): Promise<void>;
  /** Removes lock files by id where the repository allows it directly; returns the ids it could not remove. */
  removeLocks(ids: readonly string[]): Promise<string[]>;
}

/** After a stop: the locks of this run's killed restic processes are removed, then checked gone. */
export async function freeOwnLocks(store: LockStore, pids: readonly number[], log: Logger, host = hostname()): Promise<void> {
  if (!pids.length) return;
  const mine = ownLocks(await store.locks(), host, pids);
  if (!mine.length) return;
  // Their processes are gone and the host is ours: restic's own stale rule removes them, on every backend.
  await store.unlockStale();
  const still = (await store.locks()).filter((l) => mine.some((m) => m.id === l.id)).map((l) => l.id);
  const left = still.length ? await store.removeLocks(still) : [];
  if (left.length) log.warn("the run's own restic locks could not be removed; they become stale after 30 minutes", { locks: left });
  else log.info("the run's own restic locks removed", { locks: mine.map((l) => l.id) });
}

/** At the start of a run in a cluster: locks of a dead earlier pod of this workload are removed by id. */
export async function clearDeadRunLocks(store: LockStore, o: { workload: string; startedAt: Date }, log: Logger, host = hostname()): Promise<void> {
  const dead = deadRunLocks(await store.locks(), { ...o, host });
  if (!dead.length) return;
  const left = await store.removeLocks(dead.map((l) => l.id));
  const removed = dead.filter((l) => !left.includes(l.id));
  if (removed.length)
    log.warn('removed the restic locks of an earlier pod of this workload that was killed', {
      locks: removed.map((l) => `${l.id} (${l.hostname}, pid ${l.pid}, ${l.time})`),
    });
  if (left.length)
    log.warn('locks of an earlier, killed pod of this workload stay until they are stale (30 minutes): this repository type has no direct removal', {
      locks: left,
    });
}
