// The restic adapter: runs the restic binary through the process module and parses its --json output.
import { rm } from 'node:fs/promises';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { ProcessError, RefusedError, RepositoryError } from '../../errors.js';
import { BINARIES, binaryPath } from '../binaries.js';
import type { Logger } from '../log.js';
import { deadlinePassed, run, type ProcessSpec } from '../process/spawn.js';
import { stopReason, stopSignal } from '../process/stop.js';
import * as a from './args.js';
import { clearDeadRunLocks, parseLock, type LockInfo, type LockStore } from './locks.js';
import type { RepoAccess } from './repository.js';
import { byTime } from './time-order.js';

export interface Snapshot {
  readonly id: string;
  readonly short_id: string;
  readonly time: string;
  readonly hostname: string;
  readonly tags?: string[];
  readonly paths: string[];
}

/** restic's documented exit codes (0.14–0.18), as our messages explain them. */
export function resticMeaning(code: number | null, stderr: string): string | undefined {
  if (/wrong password or no key found/.test(stderr)) return 'wrong repository password';
  if (/repository is already locked/.test(stderr)) return 'repository locked by another process';
  if (/Is there a repository at the following location\?|unable to open config file/.test(stderr)) return 'no repository at this location';
  switch (code) {
    case 1:
      return 'fatal error';
    case 3:
      return 'partial: some source data could not be read; a partial backup is a failed backup';
    case 10:
      return 'repository does not exist';
    case 11:
      return 'repository locked';
    case 12:
      return 'wrong repository password';
    case 130:
      return 'interrupted';
    default:
      return undefined;
  }
}

/** How long restic ≥ 0.16 waits for another process's lock (a prune of another app in a shared repository). */
export const RETRY_LOCK = '10m';

/** `--retry-lock` where the restic version has it (0.16+); older versions fail at once and are retried by run(). */
export function retryLockArgs(versionOutput: string): string[] {
  const m = /restic (\d+)\.(\d+)/.exec(versionOutput);
  return m && (Number(m[1]) > 0 || Number(m[2]) >= 16) ? ['--retry-lock', RETRY_LOCK] : [];
}

/** The oldest restic with what the runner uses: repository format 2 (compression), `list locks`/`cat lock`, JSON summaries. */
export const MIN_RESTIC = '0.14.0';

/** Why this restic cannot be used (too old, or no version to be read), or undefined. Pure. */
export function resticVersionProblem(versionOutput: string): string | undefined {
  const m = /restic (\d+)\.(\d+)\.(\d+)/.exec(versionOutput);
  const first = versionOutput.trim().split('\n')[0] ?? '';
  if (!m) return `cannot read the restic version from "${first.slice(0, 100)}"; safehold needs restic ${MIN_RESTIC} or newer`;
  const [have, need] = [m.slice(1, 4).map(Number), MIN_RESTIC.split('.').map(Number)];
  const older = have[0] - need[0] || have[1] - need[1] || have[2] - need[2];
  if (older < 0) {
    return `restic ${m.slice(1, 4).join('.')} is older than ${MIN_RESTIC}, the oldest safehold works with (repository format 2 with compression, the JSON output of backup, snapshots and forget, list locks); install restic ${MIN_RESTIC} or newer (the image ships 0.18)`;
  }
  return undefined;
}

export interface RunOptions {
  /** A lock error is returned at once, not retried (the caller unlocks stale locks and retries itself). */
  readonly lockIsFinal?: boolean;
}

const isLockError = (e: unknown): boolean => e instanceof ProcessError && (e.code === 11 || /repository is already locked/.test(e.stderrTail));

const TRANSIENT =
  /connection refused|connection reset|timeout|i\/o timeout|no such host|EOF|503|502|500 Internal|TLS handshake|broken pipe|repository is already locked/i;

export class Restic implements LockStore {
  /** Flags that depend on the restic version, learned by open(). */
  private versionArgs: string[] = [];
  /** In a cluster: the CronJob/Job this pod belongs to (SAFEHOLD_WORKLOAD); open() clears a dead earlier pod's locks. */
  workload?: string;
  readonly startedAt = new Date();
  /** open() succeeded: until then nothing of this run is in the repository (and restic may be unusable). */
  opened = false;

  constructor(
    readonly access: RepoAccess,
    readonly log: Logger,
    readonly retry = { attempts: 4, baseDelayMs: 1000 },
  ) {}

  /** A process spec for a restic command; for use in pipes. */
  spec(args: readonly string[], timeoutMs?: number): ProcessSpec {
    return {
      cmd: binaryPath(BINARIES.restic),
      args: [...this.access.globalArgs, ...this.versionArgs, ...args],
      env: { ...this.access.env },
      meaning: resticMeaning,
      timeoutMs,
    };
  }

  /** Runs an idempotent command, retrying transient storage errors with exponential backoff. */
  async run(args: readonly string[], input?: string | Buffer, o: RunOptions = {}): Promise<string> {
    for (let attempt = 1; ; attempt++) {
      try {
        return (await run(this.spec(args), input)).stdout;
      } catch (e) {
        if (!(e instanceof ProcessError)) throw e;
        if (/wrong password or no key found/.test(e.stderrTail) || e.code === 12)
          throw new RepositoryError(`${this.access.location}: wrong repository password (restic: ${lastLine(e.stderrTail)})`);
        if (o.lockIsFinal && isLockError(e)) throw e;
        // Past the deadline or asked to stop, a retry is stopped at once: fail with the real cause.
        if (attempt >= this.retry.attempts || !TRANSIENT.test(e.stderrTail) || deadlinePassed() || stopReason() !== undefined) {
          if (/repository is already locked/.test(e.stderrTail)) {
            throw new RepositoryError(
              `${this.access.location}: locked by another process (restic: ${lastLine(e.stderrTail)}); a lock of a crashed run becomes stale after 30 minutes, or run restic unlock once you are sure nothing else runs`,
            );
          }
          throw e;
        }
        const delay = this.retry.baseDelayMs * 2 ** (attempt - 1);
        this.log.warn('restic: transient error, retrying', { command: args[0], attempt, delayMs: delay, error: lastLine(e.stderrTail) });
        await sleep(delay, undefined, { signal: stopSignal() });
      }
    }
  }

  /** Opens the repository (one restic call): clears stale locks only; creates the repository on first use. */
  async open(opts: { create: boolean }): Promise<void> {
    await this.openWith(opts, async () => {
      await this.run(a.unlockArgs());
    });
  }

  /**
   * Opens the repository with the run's first listing as the probe (one restic start instead of unlock + listing):
   * `unlock` runs only when the listing meets a lock (restic ≥ 0.14 lists under a shared lock, so a stale
   * exclusive lock of a killed prune is found here), then the listing is retried. Returns the listing.
   */
  async openListing(opts: { create: boolean }, filter: a.SnapshotFilter): Promise<Snapshot[]> {
    let listing: Snapshot[] = [];
    const created = await this.openWith(opts, async (retryLock) => {
      try {
        listing = await this.snapshots(filter, { lockIsFinal: true });
      } catch (e) {
        if (!isLockError(e)) throw e;
        this.log.info('restic: the repository is locked; removing stale locks', { error: lastLine((e as ProcessError).stderrTail) });
        await this.run(a.unlockArgs());
        retryLock();
        listing = await this.snapshots(filter);
      }
    });
    return created ? [] : listing;
  }

  /** The version check, the probe (missing repository → init when asked), dead pods' locks; true when it initialized. */
  private async openWith(opts: { create: boolean }, probe: (retryLock: () => void) => Promise<void>): Promise<boolean> {
    const version = (await run({ cmd: binaryPath(BINARIES.restic), args: ['version'] })).stdout;
    const tooOld = resticVersionProblem(version);
    if (tooOld) throw new RefusedError(`${binaryPath(BINARIES.restic)}: ${tooOld}; nothing was done`);
    const retryLock = retryLockArgs(version);
    // The probe meets a lock at once (no --retry-lock): a stale one is removed instead of waited for.
    this.versionArgs = [];
    try {
      await probe(() => (this.versionArgs = retryLock));
    } catch (e) {
      this.versionArgs = retryLock;
      const missing =
        e instanceof ProcessError &&
        (e.code === 10 || /Is there a repository|unable to open config file|does not exist|NoSuchKey|NoSuchBucket|Not Found|404/i.test(e.stderrTail));
      if (!missing) throw e;
      if (!opts.create) throw new RepositoryError(`no restic repository at ${this.access.location}`);
      this.log.info('restic: initializing repository', { repository: this.access.location });
      await this.run(a.initArgs());
      this.opened = true;
      return true;
    }
    this.versionArgs = retryLock;
    if (this.workload) await clearDeadRunLocks(this, { workload: this.workload, startedAt: this.startedAt }, this.log);
    this.opened = true;
    return false;
  }

  /** Every lock in the repository, read without taking one. */
  async locks(): Promise<LockInfo[]> {
    const ids = (await this.run(a.listLocksArgs())).split('\n').filter((l) => /^[0-9a-f]{64}$/.test(l));
    return Promise.all(ids.map(async (id) => parseLock(id, await this.run(a.catLockArgs(id)))));
  }

  async unlockStale(): Promise<void> {
    await this.run(a.unlockArgs());
  }

  /** A directory repository's lock files are removed directly; an S3 one's are not (restic has no command for one lock). */
  async removeLocks(ids: readonly string[]): Promise<string[]> {
    if (this.access.location.startsWith('s3:')) return [...ids];
    await Promise.all(ids.map((id) => rm(join(this.access.location, 'locks', id), { force: true })));
    return [];
  }

  async snapshots(filter: a.SnapshotFilter, o: RunOptions = {}): Promise<Snapshot[]> {
    const out = await this.run(a.snapshotsArgs(filter), undefined, o);
    const list = (JSON.parse(out || '[]') ?? []) as Snapshot[];
    return byTime(list);
  }

  /** Stores a small buffer (a manifest) as a snapshot; retried, since the input can be resent. */
  async backupBuffer(data: string, o: { host: string; tags: readonly string[]; filename: string }): Promise<string> {
    const out = await this.run(a.backupStdinArgs(o), data);
    return summaryOf(out).snapshot_id;
  }

  async dumpText(snapshotId: string, filename: string): Promise<string> {
    return this.run(a.dumpArgs(snapshotId, filename));
  }

  async forgetIds(ids: readonly string[]): Promise<void> {
    if (ids.length) await this.run(a.forgetIdsArgs(ids));
  }

  async check(readDataSubset?: string): Promise<string> {
    return this.run(a.checkArgs(readDataSubset));
  }
}

export interface BackupSummary {
  readonly snapshot_id: string;
  readonly total_bytes_processed?: number;
  readonly data_added?: number;
}

/** The summary line of `restic backup --json`. */
export function summaryOf(stdout: string): BackupSummary {
  const lines = stdout.split('\n').filter((l) => l.includes('"summary"'));
  const last = lines[lines.length - 1];
  if (!last) throw new ProcessError('restic backup', 0, null, 'no summary in restic output', 'unexpected output');
  return JSON.parse(last) as BackupSummary;
}

function lastLine(s: string): string {
  return s.trim().split('\n').slice(-1)[0] ?? '';
}
