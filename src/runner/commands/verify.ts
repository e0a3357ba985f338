// `safehold verify`: restic's integrity check (with a share of the data read back) and every good set's manifest.
import { METRICS } from '../../contract/metrics.js';
import { SafeholdError } from '../../errors.js';
import type { RunContext } from '../context.js';
import { pushMetrics } from '../metrics/push.js';
import { baseFilter, groupSets } from '../sets.js';
import { readManifest } from './manifest.js';

export interface VerifyReport {
  readonly ok: boolean;
  readonly sets: number;
  readonly readData: string;
  readonly problems: string[];
}

/** The share a scheduled check reads: n/N with n the UTC day number mod N, so N daily runs read every pack once. */
export function rotatingSubset(subsets: number, now: Date): string {
  const day = Math.floor(now.getTime() / 86_400_000);
  return `${(day % subsets) + 1}/${subsets}`;
}

/** Without --read-data, the share of the day from verify.readDataSubsets (what the scheduled verify CronJob reads). */
export async function verify(ctx: RunContext, o: { readData?: string } = {}): Promise<VerifyReport> {
  const started = ctx.now().getTime();
  const readData = o.readData ?? rotatingSubset(ctx.values.verify.readDataSubsets, ctx.now());
  const problems: string[] = [];
  let sets = 0;
  try {
    await ctx.restic.open({ create: false });
    try {
      await ctx.restic.check(readData);
    } catch (e) {
      problems.push(`restic check: ${(e as Error).message}`);
    }
    const complete = groupSets(await ctx.restic.snapshots(baseFilter(ctx.values))).filter((s) => s.status !== 'incomplete');
    sets = complete.length;
    for (const s of complete) {
      try {
        await readManifest(ctx, s);
      } catch (e) {
        problems.push(`set ${s.id}: manifest unreadable: ${(e as Error).message.split('\n')[0]}`);
      }
    }
  } catch (e) {
    // The repository could not be opened or listed: a failed check too.
    await pushVerify(ctx, started, readData, false);
    throw e;
  }
  for (const p of problems) ctx.log.error('verify problem', { problem: p });
  await pushVerify(ctx, started, readData, !problems.length);
  if (problems.length) throw new SafeholdError(`verify found ${problems.length} problem(s):\n  ${problems.join('\n  ')}`);
  ctx.log.info('verify ok', { sets, readData });
  return { ok: true, sets, readData, problems };
}

async function pushVerify(ctx: RunContext, started: number, readData: string, ok: boolean): Promise<void> {
  const now = ctx.now().getTime() / 1000;
  const subset = /^(\d+)\/\d+$/.exec(readData);
  await pushMetrics(
    ctx.values,
    'verify',
    [
      { name: METRICS.verifyLastAttempt, value: now },
      { name: METRICS.verifyLastStatus, value: ok ? 1 : 0 },
      ...(ok
        ? [
            { name: METRICS.verifyLastSuccess, value: now },
            { name: METRICS.verifyDuration, value: now - started / 1000 },
          ]
        : []),
      ...(subset ? [{ name: METRICS.verifyReadDataSubset, value: Number(subset[1]) }] : []),
    ],
    ctx.log,
    ctx.secrets,
  );
}
