// `safehold verify`: restic's integrity check (with a share of the data read back) and every good set's manifest.
import { SafeholdError } from '../../errors.js';
import type { RunContext } from '../context.js';
import { baseFilter, groupSets } from '../sets.js';
import { readManifest } from './manifest.js';

export interface VerifyReport {
  readonly ok: boolean;
  readonly sets: number;
  readonly problems: string[];
}

export async function verify(ctx: RunContext, o: { readData?: string } = {}): Promise<VerifyReport> {
  await ctx.restic.open({ create: false });
  const problems: string[] = [];
  try {
    await ctx.restic.check(o.readData ?? '10%');
  } catch (e) {
    problems.push(`restic check: ${(e as Error).message}`);
  }
  const sets = groupSets(await ctx.restic.snapshots(baseFilter(ctx.values))).filter((s) => s.status !== 'incomplete');
  for (const s of sets) {
    try {
      await readManifest(ctx, s);
    } catch (e) {
      problems.push(`set ${s.id}: manifest unreadable: ${(e as Error).message.split('\n')[0]}`);
    }
  }
  for (const p of problems) ctx.log.error('verify problem', { problem: p });
  if (problems.length) throw new SafeholdError(`verify found ${problems.length} problem(s):\n  ${problems.join('\n  ')}`);
  ctx.log.info('verify ok', { sets: sets.length });
  return { ok: true, sets: sets.length, problems };
}
