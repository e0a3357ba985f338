// `safehold backup`: hooks, every component into restic, sanity gates, manifest last, retention, metrics.
import { rmSync } from 'node:fs';
import { join } from 'node:path';
import { METRICS } from '../../contract/metrics.js';
import { resticHost } from '../../contract/layout.js';
import { ExitCode } from '../../errors.js';
import { VERSION } from '../../version.js';
import { handlerFor } from '../components/index.js';
import { preflight } from '../components/preflight.js';
import { pruneArgs } from '../restic/args.js';
import type { RunContext } from '../context.js';
import { runHooks } from '../hooks/run.js';
import { pushMetrics, type Sample } from '../metrics/push.js';
import { refuseDuringRequests, RequestInProgressError } from '../requests/busy.js';
import {
  baseFilter,
  groupSets,
  MANIFEST_FILE,
  newSetId,
  setTag,
  sizesFromTags,
  sizeTag,
  sourceOf,
  STATUS_GOOD,
  STATUS_SUSPICIOUS,
  TAG_MANIFEST,
  type ComponentRecord,
  type Manifest,
} from '../sets.js';
import { failureReason } from '../process/stop.js';
import { tidyAfterFailure } from './cleanup.js';
import { withinDeadline } from './deadline.js';
import { applyRetention } from './retention.js';

export interface BackupReport {
  readonly setId: string;
  readonly status: 'good' | 'suspicious';
  readonly suspicious: readonly string[];
  readonly components: readonly ComponentRecord[];
  readonly forgotten: readonly string[];
}

export interface PreviousSizes {
  readonly setId: string;
  readonly bytes: ReadonlyMap<string, number>;
}

/** Compares each stream with the previous good set: a sharp drop marks the new set suspicious. */
export function sizeProblems(current: readonly ComponentRecord[], previous: PreviousSizes | undefined, ratio: number): string[] {
  if (!previous) return [];
  const out: string[] = [];
  for (const c of current) {
    const before = previous.bytes.get(c.name);
    if (before !== undefined && before > 0 && c.bytes < before * ratio) {
      out.push(`${c.name}: ${c.bytes} bytes, previous good set ${previous.setId} had ${before} (below ${Math.round(ratio * 100)}%)`);
    }
  }
  return out;
}

export async function backup(ctx: RunContext): Promise<BackupReport> {
  return withinDeadline(ctx.values.timeout, () => backupSet(ctx));
}

async function backupSet(ctx: RunContext): Promise<BackupReport> {
  const v = ctx.values;
  const started = ctx.now();
  const setId = newSetId(started);
  const base = baseFilter(v);
  const tags = [...base.tags, setTag(setId)];
  const artifactsDir = join(ctx.scratchDir, `artifacts-${setId}`);
  ctx.log.info('backup started', { set: setId, repository: ctx.restic.access.location, components: v.components.map((c) => c.name) });
  try {
    const listing = await ctx.restic.openListing({ create: true }, base);
    await refuseDuringRequests(ctx, 'backup', listing);
    const sets = groupSets(listing);
    const previousGood = [...sets].reverse().find((s) => s.status === 'good');
    const previous = previousGood?.manifestSnapshot ? { setId: previousGood.id, bytes: sizesFromTags(previousGood.manifestSnapshot) } : undefined;

    await preflight(ctx);
    const artifacts = await runHooks('preBackup', v.hooks.preBackup, ctx, { artifactsDir, setId });
    const records: ComponentRecord[] = [];
    for (const c of v.components) {
      records.push(await handlerFor(c).backup(c, ctx, { setId, host: resticHost(v), tags }));
    }
    Object.assign(artifacts, await runHooks('postBackup', v.hooks.postBackup, ctx, { artifactsDir, setId }));

    const suspicious = sizeProblems(records, previous, v.monitoring.alerts.sizeDropRatio);
    for (const c of v.components) {
      const problem = await handlerFor(c).checkStored?.(
        c,
        ctx,
        records.find((r) => r.name === c.name)!,
      );
      if (problem) suspicious.push(`${c.name}: ${problem}`);
    }
    // Again at the end: a restore claimed while the dumps ran may have changed what they read.
    await refuseDuringRequests(ctx, 'backup');
    const status = suspicious.length ? 'suspicious' : 'good';
    const manifest: Manifest = {
      format: 'safehold.backup-set/v1',
      setId,
      app: resticHost(v),
      safeholdVersion: VERSION,
      startedAt: started.toISOString(),
      finishedAt: ctx.now().toISOString(),
      status,
      suspicious,
      // Each record with where its data came from (the records themselves stay the handlers' objects: checkStored knows them).
      components: records.map((r) => {
        const source = sourceOf(v.components.find((c) => c.name === r.name));
        return source ? { ...r, source } : r;
      }),
      artifacts,
    };
    // The manifest is stored last: only a set with a manifest is complete.
    await ctx.restic.backupBuffer(`${JSON.stringify(manifest, null, 2)}\n`, {
      host: resticHost(v),
      tags: [...tags, TAG_MANIFEST, status === 'good' ? STATUS_GOOD : STATUS_SUSPICIOUS, ...records.map((r) => sizeTag(r.name, r.bytes))],
      filename: MANIFEST_FILE,
    });
    if (suspicious.length) ctx.log.warn('backup set stored but SUSPICIOUS: not counted by retention', { set: setId, problems: suspicious });
    // A protected repository's backup only adds: retention and prune are the maintenance job's.
    const retention = status === 'good' && !v.repository.protection ? await retentionOrWarn(ctx) : undefined;
    const forgotten = retention?.removed ?? [];
    const seconds = (ctx.now().getTime() - started.getTime()) / 1000;
    const samples = successSamples(ctx, records, previous, status, seconds);
    // A suspicious set skips retention: the last status stays what the last retention did.
    if (retention) samples.push({ name: METRICS.retentionLastStatus, value: retention.ok ? 1 : 0 });
    await pushMetrics(v, 'backup', samples, ctx.log, ctx.secrets);
    ctx.log.info('backup finished', { set: setId, status, seconds, bytes: records.reduce((n, r) => n + r.bytes, 0) });
    return { setId, status, suspicious, components: records, forgotten };
  } catch (e) {
    ctx.log.error('backup FAILED; the partial set is removed and not counted', { set: setId, error: failureReason(e) });
    await tidyAfterFailure(ctx);
    await forgetSet(ctx, setId);
    const now = ctx.now().getTime() / 1000;
    await pushMetrics(
      v,
      'backup',
      [
        { name: METRICS.backupLastAttempt, value: now },
        { name: METRICS.backupLastStatus, value: 0 },
        { name: METRICS.backupRefused, value: e instanceof RequestInProgressError ? 1 : 0 },
      ],
      ctx.log,
      ctx.secrets,
    );
    throw e;
  } finally {
    rmSync(artifactsDir, { recursive: true, force: true });
  }
}

/** A stored good set is not undone by a retention failure (e.g. another pod's lock): it is logged loudly and retried next run. */
async function retentionOrWarn(ctx: RunContext): Promise<{ removed: string[]; ok: boolean }> {
  try {
    const removed = await applyRetention(ctx);
    if (removed.length && ctx.values.retention.prune) {
      await ctx.restic.run(pruneArgs());
      ctx.log.info('repository pruned', { removedSets: removed.length });
    }
    return { removed, ok: true };
  } catch (e) {
    ctx.log.error('retention FAILED; the new set is stored and good, old sets remain until the next run', { error: (e as Error).message });
    return { removed: [], ok: false };
  }
}

function successSamples(ctx: RunContext, records: readonly ComponentRecord[], previous: PreviousSizes | undefined, status: string, seconds: number): Sample[] {
  const now = ctx.now().getTime() / 1000;
  const samples: Sample[] = [
    { name: METRICS.backupLastAttempt, value: now },
    { name: METRICS.backupLastStatus, value: 1 },
    { name: METRICS.backupDuration, value: seconds },
    { name: METRICS.backupSuspicious, value: status === 'good' ? 0 : 1 },
    // A run that stored a set was not refused: the refusal alert resolves with the first backup after the request.
    { name: METRICS.backupRefused, value: 0 },
  ];
  if (status === 'good') samples.push({ name: METRICS.backupLastSuccess, value: now });
  for (const r of records) {
    samples.push({ name: METRICS.backupSize, value: r.bytes, labels: { component: r.name } });
    samples.push({ name: METRICS.backupPreviousSize, value: previous?.bytes.get(r.name) ?? r.bytes, labels: { component: r.name } });
  }
  return samples;
}

/** Removes every snapshot of a failed set (best effort: a leftover is still never "complete"). */
async function forgetSet(ctx: RunContext, setId: string): Promise<void> {
  if (!ctx.restic.opened) return;
  if (ctx.values.repository.protection) {
    ctx.log.info('partial set left for the maintenance job (this pod cannot delete in a protected repository)', { set: setId });
    return;
  }
  try {
    const snaps = await ctx.restic.snapshots({ ...baseFilter(ctx.values), tags: [...baseFilter(ctx.values).tags, setTag(setId)] });
    await ctx.restic.forgetIds(snaps.map((s) => s.id));
    if (snaps.length) ctx.log.info('partial set forgotten', { set: setId, snapshots: snaps.length });
  } catch (e) {
    ctx.log.warn('could not forget the partial set (it stays incomplete and is removed by the next retention run)', {
      set: setId,
      error: (e as Error).message,
    });
  }
}

export function backupExitCode(r: BackupReport): number {
  return r.status === 'good' ? ExitCode.ok : ExitCode.suspicious;
}
