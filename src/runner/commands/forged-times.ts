// Protected repositories: a set whose stated time the storage contradicts is doubted, and retention then removes no good set.
import { durationSeconds } from '../../values/formats.js';
import type { RunContext } from '../context.js';
import { s3CredentialsFor } from '../../contract/layout.js';
import { snapshotStoredTimes } from '../restic/s3-times.js';
import type { BackupSet } from '../sets.js';

/** Clock skew between the pod that wrote a snapshot and the storage. */
export const CLOCK_SKEW_SECONDS = 300;

/**
 * Sets with a snapshot whose stated time (restic backup --time can write any) disagrees with when
 * the storage received its file: stated after the storage had it (future-dated), or earlier than a
 * backup can last (backdated). Pure.
 */
export function doubtedSets(sets: readonly BackupSet[], stored: ReadonlyMap<string, Date>, maxRunSeconds: number): Map<string, string> {
  const out = new Map<string, string>();
  for (const s of sets) {
    for (const snap of s.snapshots) {
      const at = stored.get(snap.id);
      const stated = Date.parse(snap.time);
      const why = !at
        ? 'its file is not in the bucket listing'
        : stated > at.getTime() + CLOCK_SKEW_SECONDS * 1000
          ? `it claims ${snap.time} but the storage received it at ${at.toISOString()} (future-dated)`
          : at.getTime() - stated > (maxRunSeconds + CLOCK_SKEW_SECONDS) * 1000
            ? `it claims ${snap.time} but the storage received it at ${at.toISOString()}, longer after than a backup may run (backdated)`
            : undefined;
      if (why) {
        out.set(s.id, `snapshot ${snap.short_id}: ${why}`);
        break;
      }
    }
  }
  return out;
}

/** The doubted sets of a protected S3 repository (empty for any other repository). */
export async function findDoubtedSets(ctx: RunContext, sets: readonly BackupSet[]): Promise<Map<string, string>> {
  const r = ctx.values.repository;
  if (!r.protection || !r.s3) return new Map();
  const creds = s3CredentialsFor(r, 'maintenance')!;
  const keys = {
    accessKeyId: ctx.secrets.read(creds.secretName, creds.accessKeyIdKey),
    secretAccessKey: ctx.secrets.read(creds.secretName, creds.secretAccessKeyKey),
  };
  const stored = await snapshotStoredTimes(r.s3, keys, ctx.secrets);
  return doubtedSets(sets, stored, durationSeconds(ctx.values.timeout) ?? 3600);
}
