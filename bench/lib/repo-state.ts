// What a shared repository holds between runs, read by hand with restic: its locks, its snapshots by kind, its size.
import { readdirSync } from 'node:fs';
import { join } from 'node:path';
import { binaryPath } from '../../src/runner/binaries.js';
import { TAG_REQUEST } from '../../src/runner/requests/records.js';
import { catLockArgs, listLocksArgs } from '../../src/runner/restic/args.js';
import type { Snapshot } from '../../src/runner/restic/client.js';
import { parseLock, type LockInfo } from '../../src/runner/restic/locks.js';
import { groupSets } from '../../src/runner/sets.js';
import { duBytes, output } from './proc.js';

/** Every lock in the repository (`restic list locks`, then `cat lock` for who holds it), read without taking one. */
export async function repositoryLocks(env: Record<string, string>): Promise<LockInfo[]> {
  const restic = binaryPath('restic');
  const ids = (await output({ cmd: restic, args: listLocksArgs(), env })).split('\n').filter((l) => /^[0-9a-f]{64}$/.test(l));
  return Promise.all(ids.map(async (id) => parseLock(id, await output({ cmd: restic, args: catLockArgs(id), env }))));
}

export const describeLock = (l: LockInfo): string => `${l.id.slice(0, 8)} (${l.exclusive ? 'exclusive' : 'shared'}, ${l.hostname} pid ${l.pid}, ${l.time})`;

export interface Census {
  readonly snapshots: number;
  /** Backup sets over every application, by status. */
  readonly good: number;
  readonly incomplete: number;
  readonly other: number;
  /** Restore request records (claimed, dropped, finished…): one request's history each. */
  readonly requestRecords: number;
  /** Good sets per application host. */
  readonly goodByHost: ReadonlyMap<string, number>;
  /** Repository directory size, bytes (du -sb). */
  readonly bytes: number;
}

/** The repository's snapshots by kind and its size. */
export async function census(repo: string, env: Record<string, string>): Promise<Census> {
  const list = JSON.parse(await output({ cmd: binaryPath('restic'), args: ['snapshots', '--json', '--no-lock'], env })) as Snapshot[];
  const byHost = new Map<string, Snapshot[]>();
  for (const s of list) byHost.set(s.hostname, [...(byHost.get(s.hostname) ?? []), s]);
  const goodByHost = new Map<string, number>();
  let [good, incomplete, other] = [0, 0, 0];
  for (const [host, snaps] of byHost) {
    const sets = groupSets(snaps);
    const g = sets.filter((s) => s.status === 'good').length;
    goodByHost.set(host, g);
    good += g;
    incomplete += sets.filter((s) => s.status === 'incomplete').length;
    other += sets.length - g - sets.filter((s) => s.status === 'incomplete').length;
  }
  const requestRecords = list.filter((s) => s.tags?.includes(TAG_REQUEST)).length;
  return { snapshots: list.length, good, incomplete, other, requestRecords, goodByHost, bytes: await duBytes(repo) };
}

export interface LockSample {
  /** Most lock files seen at once. */
  readonly peak: number;
  /** Share of the samples that saw at least one lock, and at least two (runs holding the repository together). */
  readonly busy: number;
  readonly shared: number;
}

/** Counts the lock files of a directory repository every `everyMs` until stopped (a readdir: no restic start). */
export function sampleLocks(repo: string, everyMs = 200): { stop(): LockSample } {
  let [samples, busy, shared, peak] = [0, 0, 0, 0];
  const timer = setInterval(() => {
    let n = 0;
    try {
      n = readdirSync(join(repo, 'locks')).length;
    } catch {
      // The directory is recreated by restic when missing: nothing locked.
    }
    samples++;
    if (n > 0) busy++;
    if (n > 1) shared++;
    peak = Math.max(peak, n);
  }, everyMs);
  return {
    stop: () => {
      clearInterval(timer);
      return { peak, busy: samples ? busy / samples : 0, shared: samples ? shared / samples : 0 };
    },
  };
}
