// `safehold copy [--to NAME]`: the good sets of this application into each copy (restic copy, same chunker), verified.
import { METRICS } from '../../contract/metrics.js';
import { RepositoryError, SafeholdError, UsageError } from '../../errors.js';
import { copyNamed } from '../../values/copies.js';
import type { RunContext } from '../context.js';
import { copyContext, copyRestic, type Copy } from '../copies/access.js';
import { copyProblems, planCopy, type CopiedSnapshot } from '../copies/plan.js';
import { pushMetrics } from '../metrics/push.js';
import { pruneArgs } from '../restic/args.js';
import type { Restic } from '../restic/client.js';
import { baseFilter, groupSets, type BackupSet } from '../sets.js';
import { readManifest } from './manifest.js';
import { applyRetention } from './retention.js';

export interface CopyResult {
  readonly name: string;
  readonly repository: string;
  readonly copied: readonly string[];
  /** Source sets not copied because they are not good. */
  readonly skipped: ReadonlyArray<{ id: string; status: string }>;
  readonly newestSet?: string;
  readonly newestSetTime?: string;
  readonly lagSeconds: number;
  /** Sets the copy's retention removed (none in a protected copy: its maintenance does that). */
  readonly removedSets: readonly string[];
}

/** Every copy (or the one named): one failing copy does not stop the others; the run fails if any failed. */
export async function copy(ctx: RunContext, o: { to?: string } = {}): Promise<CopyResult[]> {
  const all = ctx.values.copies ?? [];
  const wanted = o.to === undefined ? all : [copyNamed(ctx.values, o.to)].filter((c): c is Copy => !!c);
  if (!wanted.length)
    throw new UsageError(
      o.to === undefined
        ? 'no copies: in the values; nothing to copy'
        : `--to ${o.to}: no copy of that name (copies: ${all.map((c) => c.name).join(', ') || 'none'})`,
    );
  await ctx.restic.open({ create: false });
  const results: CopyResult[] = [];
  const failures: string[] = [];
  for (const c of wanted) {
    try {
      const r = await copyOne(ctx, c);
      results.push(r);
      await pushCopy(ctx, c, r);
    } catch (e) {
      ctx.log.error('copy FAILED', { copy: c.name, error: (e as Error).message });
      failures.push(`${c.name}: ${(e as Error).message}`);
      await pushCopy(ctx, c, undefined);
    }
  }
  if (failures.length) throw new SafeholdError(`copy failed for ${failures.length} of ${wanted.length} copies:\n  ${failures.join('\n  ')}`);
  return results;
}

async function copyOne(ctx: RunContext, c: Copy): Promise<CopyResult> {
  const dest = copyRestic(ctx, c, 'copy');
  await openCopy(ctx, dest);
  const filter = baseFilter(ctx.values);
  const [sourceSnaps, destBefore] = await Promise.all([ctx.restic.snapshots(filter), dest.snapshots(filter)]);
  const sourceSets = groupSets(sourceSnaps);
  const plan = planCopy(sourceSets, groupSets(destBefore));
  for (const s of plan.skipped) ctx.log.warn('not copied: only good sets are copied', { copy: c.name, set: s.id, status: s.status });
  if (plan.sets.length) {
    ctx.log.info('copying sets', { copy: c.name, to: dest.access.location, sets: plan.sets.map((s) => s.id) });
    // Streams first, manifests last: a copy cut short leaves incomplete sets, which restore never picks.
    if (plan.data.length) await dest.run(['copy', '--', ...plan.data]);
    await dest.run(['copy', '--', ...plan.manifests]);
  }
  const copyCtx = copyContext(ctx, c, dest);
  await verifyCopied(ctx, copyCtx, plan.sets, await dest.snapshots(filter));
  // The copy's structure (index, packs, trees): the verify CronJob checks the source only.
  if (plan.sets.length) await dest.check();
  let removedSets: string[] = [];
  if (c.repository.protection) ctx.log.info('protected copy: its maintenance applies retention', { copy: c.name });
  else {
    removedSets = await applyRetention(copyCtx);
    if (removedSets.length && copyCtx.values.retention.prune) await dest.run(pruneArgs());
  }
  const destGood = groupSets(await dest.snapshots(filter)).filter((s) => s.status === 'good');
  const newest = destGood[destGood.length - 1];
  const sourceNewest = sourceSets.filter((s) => s.status === 'good').pop();
  const lagSeconds = sourceNewest && newest ? Math.max(0, (Date.parse(sourceNewest.time) - Date.parse(newest.time)) / 1000) : 0;
  ctx.log.info('copy finished', { copy: c.name, copied: plan.sets.map((s) => s.id), newestSet: newest?.id, lagSeconds, removedSets });
  return {
    name: c.name,
    repository: dest.access.location,
    copied: plan.sets.map((s) => s.id),
    skipped: plan.skipped,
    newestSet: newest?.id,
    newestSetTime: newest?.time,
    lagSeconds,
    removedSets,
  };
}

/**
 * Opens the copy, creating it with the source's chunker parameters (restic init --copy-chunker-params);
 * refuses a copy created without them: deduplication between the two would break and the copy would grow.
 */
async function openCopy(ctx: RunContext, dest: Restic): Promise<void> {
  try {
    await dest.open({ create: false });
  } catch (e) {
    if (!(e instanceof RepositoryError) || !/^no restic repository/.test(e.message)) throw e;
    ctx.log.info("restic: initializing copy with the source's chunker parameters", { repository: dest.access.location });
    await dest.run(['init', '--copy-chunker-params']);
    await dest.open({ create: false });
  }
  const [src, dst] = await Promise.all([ctx.restic.run(['cat', 'config', '--no-lock']), dest.run(['cat', 'config', '--no-lock'])]);
  const poly = (t: string) => (JSON.parse(t) as { chunker_polynomial?: string }).chunker_polynomial;
  if (poly(src) !== poly(dst)) {
    throw new SafeholdError(
      `${dest.access.location} was created with other chunker parameters than ${ctx.restic.access.location}: copies would not deduplicate and the copy would grow by every set's full size. Point the copy at a new, empty location (safehold creates it with restic init --copy-chunker-params)`,
    );
  }
}

/** Each copied set is good in the copy, with every snapshot and the same tree ids (same content), and its manifest reads back equal. */
async function verifyCopied(ctx: RunContext, copyCtx: RunContext, sets: readonly BackupSet[], destSnaps: readonly CopiedSnapshot[]): Promise<void> {
  const destSets = new Map(groupSets(destSnaps).map((s) => [s.id, s]));
  const problems = sets.flatMap((s) => copyProblems(s, s.snapshots, destSets.get(s.id)));
  for (const s of sets) {
    const there = destSets.get(s.id);
    if (!there?.manifestSnapshot) continue;
    const [a, b] = await Promise.all([readManifest(ctx, s), readManifest(copyCtx, there)]);
    if (JSON.stringify(a) !== JSON.stringify(b)) problems.push(`set ${s.id}: the manifest in the copy differs from the source's`);
  }
  if (problems.length) throw new SafeholdError(`the copy in ${copyCtx.restic.access.location} is not whole:\n  ${problems.join('\n  ')}`);
}

async function pushCopy(ctx: RunContext, c: Copy, r: CopyResult | undefined): Promise<void> {
  const now = ctx.now().getTime() / 1000;
  const ok = !!r;
  await pushMetrics(
    ctx.values,
    'copy',
    [
      { name: METRICS.copyLastAttempt, value: now },
      { name: METRICS.copyLastStatus, value: ok ? 1 : 0 },
      ...(r
        ? [
            { name: METRICS.copyLastSuccess, value: now },
            { name: METRICS.copyLag, value: r.lagSeconds },
            { name: METRICS.copySetsCopied, value: r.copied.length },
          ]
        : []),
      ...(r?.newestSetTime ? [{ name: METRICS.copyNewestSet, value: Date.parse(r.newestSetTime) / 1000 }] : []),
    ],
    ctx.log,
    ctx.secrets,
    c.name,
  );
}
