// `safehold drill`: restore the newest good set into scratch targets, check it, always clean up, push the result.
import { rmSync } from 'node:fs';
import { METRICS } from '../../contract/metrics.js';
import { SafeholdError, UsageError } from '../../errors.js';
import type { Component } from '../../values/components.js';
import type { Values } from '../../values/schema.js';
import { handlerFor } from '../components/index.js';
import type { RestoreTarget } from '../components/types.js';
import type { RunContext } from '../context.js';
import { alwaysOnChecks, DrillCheckError, dumpTables, flushRedis, scratchEndpoint, userChecks, type CheckResult, type DumpTables } from '../drill/checks.js';
import { refuseForeignDatabases, refuseProductionTargets } from '../drill/guard.js';
import { stopSidecarServers, waitForServer } from '../drill/sidecars.js';
import { describeTarget, resolveDrillTargets, type DrillTarget } from '../drill/targets.js';
import { pushMetrics } from '../metrics/push.js';
import { startCleanup, withinDeadline } from './deadline.js';
import { restore } from './restore.js';

export interface DrillReport {
  readonly setId: string;
  readonly setTime: string;
  readonly seconds: number;
  /** Fetch, verify and apply of every component. */
  readonly restoreSeconds: number;
  readonly restoredBytes: number;
  readonly bytesPerSecond: number;
  readonly targets: ReadonlyArray<{ readonly component: string; readonly target: string }>;
  /** Components this runner cannot restore into a scratch place (no dry-run / scratch-directory support). */
  readonly skipped: ReadonlyArray<{ readonly component: string; readonly reason: string }>;
  readonly checks: readonly CheckResult[];
}

/** How long a sidecar may take to initialize (a large image's first start). */
const SIDECAR_WAIT_MS = 5 * 60_000;

const seconds = (ms: number) => Math.round(ms) / 1000;

function drillSupport(c: Component): 'dry-run' | 'restore-to' | undefined {
  try {
    return handlerFor(c).drillMode;
  } catch {
    return undefined; // no handler for this type in this runner build
  }
}

/** The values the drill's restore runs with: newest good set, only what can be drilled, files into scratch directories. */
function drillValues(v: Values, targets: readonly DrillTarget[]): Values {
  const dirs = new Map(targets.flatMap((t) => (t.kind === 'directory' ? [[t.component, t.directory] as const] : [])));
  return {
    ...v,
    components: v.components.map((c) => (c.type === 'files' && dirs.has(c.name) ? { ...c, restoreTo: dirs.get(c.name) } : c)),
    restore: {
      snapshot: 'latest',
      components: targets.filter((t) => t.kind !== 'skipped').map((t) => t.component),
      dropExisting: true,
      owners: 'login',
      timeout: v.drill!.timeout,
    },
    dropDatabase: undefined,
  };
}

function restoreTargets(targets: readonly DrillTarget[]): Record<string, RestoreTarget> {
  return Object.fromEntries(targets.flatMap((t) => (t.kind === 'server' || t.kind === 'dry-run' ? [[t.component, t.restore]] : [])));
}

/** Drops every scratch database, empties scratch Redis servers, removes scratch directories; returns what could not be cleaned. */
async function cleanUp(ctx: RunContext, targets: readonly DrillTarget[]): Promise<string[]> {
  const problems: string[] = [];
  for (const t of targets) {
    try {
      if (t.kind === 'server') {
        const c = ctx.values.components.find((x) => x.name === t.component)!;
        if (t.type === 'redis') await flushRedis(scratchEndpoint(ctx, t));
        else {
          const h = handlerFor(c);
          if (!h.drop) throw new SafeholdError(`the ${c.type} handler cannot drop databases`);
          await h.drop(c, ctx, t.restore);
        }
        ctx.log.info(t.type === 'redis' ? 'scratch server emptied' : 'scratch database dropped', { component: t.component, target: describeTarget(t) });
      } else if (t.kind === 'directory') {
        rmSync(t.directory, { recursive: true, force: true });
      }
    } catch (e) {
      const msg = (e as Error).message.split('\n').slice(0, 3).join(' | ');
      // A sidecar's data lives in the pod's emptyDir and goes with it.
      if (t.kind === 'server' && t.sidecar) ctx.log.warn('could not clean the sidecar scratch server', { component: t.component, error: msg });
      else problems.push(`${t.component}: ${describeTarget(t)} could not be cleaned: ${msg}`);
    }
  }
  return problems;
}

async function runDrill(ctx: RunContext, started: number): Promise<DrillReport> {
  const v = ctx.values;
  const { targets, warnings } = resolveDrillTargets(v, { scratchDir: ctx.scratchDir, support: drillSupport });
  for (const w of warnings) ctx.log.warn(w);
  // The guard runs before anything is created, and before the finally that drops: a refused target is never touched.
  await refuseProductionTargets(v, targets);
  await refuseForeignDatabases(ctx, targets);
  const skipped = targets.flatMap((t) => (t.kind === 'skipped' ? [{ component: t.component, reason: t.reason }] : []));
  for (const s of skipped) ctx.log.warn('component skipped by the drill', s);
  if (skipped.length === targets.length)
    throw new SafeholdError(`nothing to drill: every component was skipped (${skipped.map((s) => s.component).join(', ')})`);
  ctx.log.info('drill started', { targets: Object.fromEntries(targets.map((t) => [t.component, describeTarget(t)])) });

  const dctx: RunContext = { ...ctx, values: drillValues(v, targets) };
  let failed = false;
  try {
    for (const t of targets) if (t.kind === 'server' && t.sidecar) await waitForServer(t.host, t.port, SIDECAR_WAIT_MS, ctx.log, t.component);
    // A scratch Redis server starts empty, so restored keys are the only keys.
    for (const t of targets) if (t.kind === 'server' && t.type === 'redis') await flushRedis(scratchEndpoint(dctx, t));

    const dumps = new Map<string, DumpTables>();
    let bytes = 0;
    const restoreStarted = Date.now();
    const plan = await restore(dctx, {
      drill: true,
      snapshot: 'latest',
      targets: restoreTargets(targets),
      inspect: async (c, p) => {
        bytes += p.bytes;
        const d = await dumpTables(c, p);
        if (d) dumps.set(c.name, d);
      },
    });
    const restoreMs = Date.now() - restoreStarted;

    const input = { ctx: dctx, targets, restored: plan.components, dumps, setId: plan.setId };
    const checks = [...(await alwaysOnChecks(input)), ...(await userChecks(input))];
    for (const r of checks) ctx.log[r.ok ? 'info' : 'error'](r.ok ? 'drill check holds' : 'drill check FAILED', { ...r });
    if (checks.some((r) => !r.ok)) throw new DrillCheckError(checks);
    return {
      setId: plan.setId,
      setTime: plan.setTime,
      seconds: seconds(Date.now() - started),
      restoreSeconds: seconds(restoreMs),
      restoredBytes: bytes,
      bytesPerSecond: Math.round(bytes / Math.max(restoreMs / 1000, 0.001)),
      targets: targets.filter((t) => t.kind !== 'skipped').map((t) => ({ component: t.component, target: describeTarget(t) })),
      skipped,
      checks,
    };
  } catch (e) {
    failed = true;
    throw e;
  } finally {
    // A drill stopped by its deadline still cleans up, within a fresh allowance.
    if (failed) startCleanup();
    const problems = await cleanUp(dctx, targets);
    if (problems.length) {
      ctx.log.error('drill scratch targets NOT cleaned: remove them by hand', { problems });
      // A passing drill that leaves a copy of production behind is a failed drill.
      // eslint-disable-next-line no-unsafe-finally -- on purpose: a passing drill's result is replaced by this failure
      if (!failed) throw new SafeholdError(`drill passed its checks but could not clean up:\n  ${problems.join('\n  ')}`);
    }
  }
}

/** Component types whose sidecar servers run in this pod (from the values, so a refused drill stops them too). */
function sidecarTypes(v: Values): Set<Component['type']> {
  const names = Object.entries(v.drill?.targets ?? {}).flatMap(([name, t]) => (t.sidecar ? [name] : []));
  return new Set(v.components.filter((c) => names.includes(c.name)).map((c) => c.type));
}

export async function drill(ctx: RunContext): Promise<DrillReport> {
  const v = ctx.values;
  if (!v.drill) throw new UsageError('no drill: section in the values; nothing to drill');
  const started = Date.now();
  try {
    // The Job's activeDeadlineSeconds is drill.timeout: stop children before it, so that the scratch databases are dropped.
    const report = await withinDeadline(v.drill.timeout, () => runDrill(ctx, started));
    const now = ctx.now().getTime() / 1000;
    await pushMetrics(
      v,
      'drill',
      [
        { name: METRICS.drillLastSuccess, value: now },
        { name: METRICS.drillLastAttempt, value: now },
        { name: METRICS.drillLastStatus, value: 1 },
        { name: METRICS.drillDuration, value: report.seconds },
        { name: METRICS.drillRestoreBytesPerSecond, value: report.bytesPerSecond },
        { name: METRICS.drillRestoreDuration, value: report.restoreSeconds },
        { name: METRICS.drillRestoredSetAge, value: Math.max(0, Math.round(now - Date.parse(report.setTime) / 1000)) },
      ],
      ctx.log,
      ctx.secrets,
    );
    ctx.log.info('drill passed', {
      set: report.setId,
      seconds: report.seconds,
      bytes: report.restoredBytes,
      bytesPerSecond: report.bytesPerSecond,
      checks: report.checks.length,
      skipped: report.skipped.map((s) => s.component),
    });
    return report;
  } catch (e) {
    ctx.log.error('drill FAILED', { error: (e as Error).message, seconds: seconds(Date.now() - started) });
    // The last success timestamp stays: only the attempt and the status change.
    await pushMetrics(
      v,
      'drill',
      [
        { name: METRICS.drillLastAttempt, value: ctx.now().getTime() / 1000 },
        { name: METRICS.drillLastStatus, value: 0 },
      ],
      ctx.log,
      ctx.secrets,
    );
    throw e;
  } finally {
    // Kubernetes 1.27 has no native sidecars: the Job completes only when they have stopped.
    if (ctx.inCluster) stopSidecarServers(sidecarTypes(v), ctx.log);
  }
}

export function formatDrillReport(r: DrillReport): string {
  return [
    `drill passed: set ${r.setId} (${r.setTime}) in ${r.seconds} s (restore ${r.restoreSeconds} s, ${r.restoredBytes} bytes, ${r.bytesPerSecond} bytes/s)`,
    ...r.targets.map((t) => `  ${t.component}: ${t.target}`),
    ...r.skipped.map((s) => `  ${s.component}: SKIPPED (${s.reason})`),
    '  checks:',
    ...r.checks.map((c) => `    ${c.ok ? 'ok  ' : 'FAIL'} ${c.check}${c.component ? ` ${c.component}` : ''}: ${c.what}: ${c.got}`),
    '',
  ].join('\n');
}
