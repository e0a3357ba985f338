// Reads a set's manifest back from the repository: proves the password and the data are readable.
import { SafeholdError } from '../../errors.js';
import type { RunContext } from '../context.js';
import { MANIFEST_FILE, type BackupSet, type Manifest } from '../sets.js';

export async function readManifest(ctx: RunContext, set: BackupSet): Promise<Manifest> {
  if (!set.manifestSnapshot) throw new SafeholdError(`backup set ${set.id} is incomplete (no manifest): it cannot be restored`);
  const text = await ctx.restic.dumpText(set.manifestSnapshot.id, MANIFEST_FILE);
  const m = JSON.parse(text) as Manifest;
  if (m.format !== 'safehold.backup-set/v1' || m.setId !== set.id)
    throw new SafeholdError(`backup set ${set.id}: manifest is not a safehold v1 manifest of this set`);
  return m;
}
