// `safehold restore`: find the set, verify everything, then (only if asked) drop, restore in order, hooks, restart, record.
import { rmSync } from 'node:fs';
import { join } from 'node:path';
import { METRICS } from '../../contract/metrics.js';
import { restoreRequestId } from '../../contract/requests.js';
import { RefusedError, SafeholdError, UsageError } from '../../errors.js';
import type { Component } from '../../values/components.js';
import { isDatabase } from '../../values/rules.js';
import type { Restore } from '../../values/schema.js';
import { clusterOps, scaleBackCommands, type ScaledWorkload } from '../cluster.js';
import { manifestInCopy } from '../copies/plan.js';
import { describeOnly, partialKeepsPrevious, restoreHandler } from '../components/partial/index.js';
import { refuseUnreachable } from '../components/preflight.js';
import type { Staged } from '../components/pg-swap.js';
import type { Prepared, RestoreTarget } from '../components/types.js';
import type { RunContext } from '../context.js';
import { materializeArtifacts, runHooks } from '../hooks/run.js';
import { needsSafetyCopy, putBack, takeSafetyCopy } from './safety.js';
import { pushMetrics } from '../metrics/push.js';
import { claimRequest, type Claim } from '../requests/claim.js';
import { dropStepOfRestore } from '../requests/go-ahead.js';
import { baseFilter, groupSets, pickSet, type ComponentRecord, type Manifest } from '../sets.js';
import { failureReason } from '../process/stop.js';
import type { Snapshot } from '../restic/client.js';
import { tidyAfterFailure } from './cleanup.js';
import { withinDeadline } from './deadline.js';
import { readManifest } from './manifest.js';

export interface RestorePlan {
  readonly requestId?: string;
  readonly setId: string;
  readonly setTime: string;
  readonly setStatus: string;
  /** Where the set is read from: the set's own repository, or a copy (restore.from / --from). */
  readonly repository: string;
  readonly from?: string;
  readonly components: readonly string[];
  /** restore.only: what each partially restored component restores (docs/partial-restores.md). */
  readonly only?: Readonly<Record<string, string>>;
  readonly drop: readonly string[];
  readonly steps: readonly string[];
  readonly rolloutRestart?: string;
}

export interface RestoreOptions {
  /** Overrides the values' restore.snapshot (local runs). */
  readonly snapshot?: string;
  readonly planOnly?: boolean;
  /** Drills: restore into scratch targets, never production, no ledger, no hooks that touch production. */
  readonly targets?: Readonly<Record<string, RestoreTarget>>;
  readonly drill?: boolean;
  /** Drills: sees each verified local copy before it is applied (the table list of a dump). */
  readonly inspect?: (c: Component, p: Prepared) => Promise<void>;
  /** The request id the Job was created for; refuse if the config now describes another request. */
  readonly expectRequest?: string;
  /** How long the go-ahead for the drop Job of the same request holds before the restore drops by itself. @default 900 */
  readonly dropWaitSeconds?: number;
}

function request(ctx: RunContext, o: RestoreOptions): Restore {
  if (o.snapshot && ctx.values.restore && !o.drill && o.snapshot !== ctx.values.restore.snapshot) {
    throw new UsageError(
      `--snapshot ${o.snapshot} conflicts with restore.snapshot "${ctx.values.restore.snapshot}" in the values: the request in git decides; change it there`,
    );
  }
  const r = ctx.values.restore ?? { snapshot: 'latest', dropExisting: false, owners: 'keep' as const, timeout: '2h' };
  return {
    ...r,
    snapshot: o.snapshot ?? r.snapshot,
    ...(o.drill ? { dropExisting: true, rolloutRestart: undefined, scaleDown: undefined, only: undefined } : {}),
  };
}

interface Resolved {
  readonly plan: RestorePlan;
  readonly manifest: Manifest;
  readonly components: ReadonlyArray<{ c: Component; rec: ComponentRecord }>;
  /** Components prepared without a spool: stage() streams and verifies them (streamedComponents). */
  readonly streamed: ReadonlySet<string>;
  /** The application's snapshots as listed to find the set (request records included). */
  readonly listing: readonly Snapshot[];
}

/** Finds the set and reads its manifest (this proves the password and the repository are good), and plans. */
export async function resolveRestore(ctx: RunContext, o: RestoreOptions = {}): Promise<Resolved> {
  const v = ctx.values;
  const r = request(ctx, o);
  const listing = await ctx.restic.openListing({ create: false }, baseFilter(v));
  const sets = groupSets(listing);
  const set = pickSet(sets, r.snapshot);
  if (!set) {
    const known = sets.map((s) => `${s.id} (${s.status})`).join(', ') || 'none';
    throw new SafeholdError(
      `no ${r.snapshot === 'latest' ? 'good backup set' : `complete backup set ${r.snapshot}`} for ${v.namespace}/${v.name} in ${ctx.restic.access.location}; sets: ${known}`,
    );
  }
  // Read from a copy, the manifest's snapshot ids are translated to the copy's.
  const manifest = manifestInCopy(await readManifest(ctx, set), set);
  const wanted = r.components ?? (r.only ? Object.keys(r.only) : v.components.map((c) => c.name));
  const components = v.components
    .filter((c) => wanted.includes(c.name))
    .map((c) => {
      const rec = manifest.components.find((x) => x.name === c.name);
      if (!rec) throw new SafeholdError(`backup set ${set.id} has no component ${c.name}`);
      return { c, rec };
    });
  // PostgreSQL is never dropped: it is built beside the live database and swapped in (components/pg-swap.ts).
  // dropDatabase is the first step of this request: if its Job has not dropped yet (or lost the race), the restore does.
  const drop = components
    .filter(({ c }) => isDatabase(c) && !swapsIn(c) && (r.dropExisting || (!o.drill && v.dropDatabase?.component === c.name)))
    .map(({ c }) => c.name);
  const componentSteps = await Promise.all(
    components.map(async ({ c, rec }) =>
      restoreHandler({ restore: r }, c).plan(c, ctx, rec, { drop: drop.includes(c.name), target: o.targets?.[c.name], drill: o.drill }),
    ),
  );
  const streamed = streamedComponents(
    components.map(({ c }) => c),
    o,
    r,
  );
  const steps = [
    streamed.size === components.length
      ? `verify: the data streams from the repository into side databases (into a server older than pg_restore: fetched first) and is checked against the manifest's sha256 there; nothing live changes before the swap`
      : `verify: fetch every component and check its sha256 against the manifest before changing anything`,
    ...(r.scaleDown
      ? [`scale Deployments/StatefulSets matching ${r.scaleDown.selector} to zero (counts recorded in the log) and wait for their pods to go`]
      : []),
    ...v.hooks.preRestore.map((h) => `hook preRestore ${h.name} (${h.type})`),
    ...(!o.drill && components.some(({ c }) => safetyCopied(r, c))
      ? [
          `safety copy: the live data of ${components
            .filter(({ c }) => safetyCopied(r, c))
            .map(({ c }) => c.name)
            .join(
              ', ',
            )} is stored as a set with status safety before anything changes; a failed restore puts it back, after a successful one it is the way back (\`safehold restore --snapshot <safety set>\`)`,
        ]
      : []),
    ...componentSteps.flat(),
    ...(components.some(({ c }) => swapsIn(c)) ? ['swap: every side database is renamed into place once all components are restored'] : []),
    ...(r.scaleDown ? [`scale them back to their recorded counts`] : []),
    ...v.hooks.postRestore.map((h) => `hook postRestore ${h.name} (${h.type})`),
    ...(r.rolloutRestart ? [`rollout restart of Deployments/StatefulSets matching ${r.rolloutRestart.selector}`] : []),
  ];
  const plan: RestorePlan = {
    requestId: o.drill ? undefined : restoreRequestId(v),
    setId: set.id,
    setTime: set.time,
    setStatus: set.status,
    repository: ctx.restic.access.location,
    from: ctx.from,
    components: components.map(({ c }) => c.name),
    ...(r.only ? { only: describeOnly(r.only) } : {}),
    drop,
    steps,
    rolloutRestart: r.rolloutRestart?.selector,
  };
  return { plan, manifest, components, streamed, listing };
}

/**
 * Components whose data streams straight into a side database at stage time instead of being spooled and verified
 * first: only when every component of the restore is staged (nothing is applied in place before a later component's
 * check could fail), never for drills (they inspect the verified copy) nor partial restores.
 */
function streamedComponents(cs: readonly Component[], o: RestoreOptions, r: Restore): ReadonlySet<string> {
  // A partial restore reads the verified spool's table of contents (pg_restore --list, then -L).
  if (o.drill || o.inspect || r.only || !cs.every(swapsIn)) return new Set();
  return new Set(cs.filter((c) => restoreHandler({ restore: r }, c).streams?.(c)).map((c) => c.name));
}

export async function restore(ctx: RunContext, o: RestoreOptions = {}): Promise<RestorePlan> {
  const held: { claim?: Claim } = {};
  try {
    return await withinDeadline(request(ctx, o).timeout, () => restoreSet(ctx, o, held));
  } catch (e) {
    await held.claim?.abandon(e);
    throw e;
  }
}

async function restoreSet(ctx: RunContext, o: RestoreOptions, held: { claim?: Claim }): Promise<RestorePlan> {
  const v = ctx.values;
  const r = request(ctx, o);
  const started = Date.now();
  const { plan, manifest, components, streamed, listing } = await resolveRestore(ctx, o);
  ctx.log.info('restore plan', { ...plan });
  if (o.planOnly) return plan;

  if (o.expectRequest && o.expectRequest !== plan.requestId) {
    throw new RefusedError(
      `this Job was created for restore request ${o.expectRequest}, but the config now describes ${plan.requestId ?? 'no restore'}; nothing was changed`,
    );
  }
  if (!o.drill)
    await refuseUnreachable(
      ctx,
      components.map(({ c }) => c),
      o.targets,
    );
  // Claimed before anything destructive: refused when the repository (or the ledger cache) says it ran, or another pod holds it.
  const claim = plan.requestId ? (held.claim = await claimRequest(ctx, plan.requestId, 'restore', { listing })) : undefined;
  if (!plan.requestId && !o.drill) ctx.log.warn('ad-hoc restore (no restore: section in values): not recorded in a ledger');

  if (o.drill) {
    // A drill drops and recreates what it restores into: a server component without a scratch target would be production.
    const bare = components.filter(({ c }) => 'host' in c && !o.targets?.[c.name]).map(({ c }) => c.name);
    if (bare.length) throw new RefusedError(`drill restore refused, nothing was changed: no scratch target for ${bare.join(', ')}`);
  }
  const refusals: string[] = [];
  // Preconditions guard production; a drill never writes there (its targets are checked by the drill's guard).
  const handler = (c: Component) => restoreHandler({ restore: r }, c);
  if (!o.drill) for (const { c } of components) refusals.push(...((await handler(c).preconditions?.(c, ctx)) ?? []));
  if (refusals.length) throw new RefusedError(`restore refused, nothing was changed:\n  ${refusals.join('\n  ')}`);

  const prepared = new Map<string, Prepared>();
  let scaled: ScaledWorkload[] = [];
  const artifactsDir = join(ctx.scratchDir, `restore-artifacts-${manifest.setId}`);
  try {
    for (const { c, rec } of components) {
      const p = await handler(c).prepare(c, ctx, rec, { stream: streamed.has(c.name) });
      prepared.set(c.name, p);
      await o.inspect?.(c, p);
    }
    ctx.log.info(
      streamed.size
        ? 'every component ready (PostgreSQL data streams into side databases and is checked there); restoring'
        : 'every component verified; restoring',
      {
        set: manifest.setId,
        ...(streamed.size ? { streamed: [...streamed] } : {}),
      },
    );
    materializeArtifacts(artifactsDir, manifest.artifacts);
    if (r.scaleDown) scaled = await clusterOps().scaleDown(ctx, r.scaleDown.selector, r.scaleDown.namespace ?? v.namespace);
    const hookEnv = { artifactsDir, setId: manifest.setId };
    if (!o.drill) await runHooks('preRestore', v.hooks.preRestore, ctx, hookEnv);
    const staged: Staged[] = [];
    const touched: Component[] = [];
    const safety = o.drill
      ? undefined
      : await takeSafetyCopy(
          ctx,
          components.map(({ c }) => c).filter((c) => safetyCopied(r, c)),
        );
    if (safety) ctx.log.info('way back for the components restored in place: the safety set', { set: safety.setId });
    try {
      // The drop Job's go-ahead comes where the restore would drop by itself: after every check and the safety copy.
      const droppedByJob = claim
        ? await dropStepOfRestore(
            ctx,
            claim,
            components.map(({ c }) => c),
            o.dropWaitSeconds,
          )
        : undefined;
      if (droppedByJob) touched.push(droppedByJob);
      for (const { c, rec } of components) {
        const h = handler(c);
        const target = o.targets?.[c.name];
        const p = prepared.get(c.name)!;
        const applyOptions = { clean: !plan.drop.includes(c.name), target, drill: o.drill };
        const s = await h.stage?.(c, ctx, rec, p, applyOptions);
        if (s) {
          staged.push(s);
          continue;
        }
        if (!touched.includes(c)) touched.push(c);
        if (plan.drop.includes(c.name)) {
          if (!h.recreate) throw new UsageError(`component ${c.name} cannot be dropped`);
          ctx.log.warn('dropping and recreating database', { component: c.name, target: target?.database ?? ('database' in c ? c.database : undefined) });
          await h.recreate(c, ctx, target, p);
        }
        await h.apply(c, ctx, rec, p, applyOptions);
        ctx.log.info('component restored', { component: c.name });
      }
    } catch (e) {
      // Nothing was swapped in yet: every side database (and role it created) is removed; the targets are as they were.
      for (const s of staged.reverse()) await s.abort();
      const problems = safety ? await putBack(ctx, safety, touched, o.targets) : [];
      if (safety && touched.some((c) => safety.records.has(c.name))) {
        throw new SafeholdError(
          `${(e as Error).message}\n${problems.length ? `  NOT put back:\n  ${problems.join('\n  ')}` : `  the live data was put back from safety set ${safety.setId}: every target is as it was`}`,
        );
      }
      throw e;
    }
    await commitStaged(ctx, staged);
    // Recorded as soon as the data is back: once applications restart and write, running this request
    // again (a re-created Job) would drop their new data. Later steps that fail say so and are redone by hand.
    if (claim) {
      await claim.finish(`set ${manifest.setId}`);
      held.claim = undefined;
    }
    if (!o.drill) {
      try {
        if (scaled.length) {
          await clusterOps().scaleBack(ctx, scaled);
          scaled = [];
        }
        await runHooks('postRestore', v.hooks.postRestore, ctx, hookEnv);
        if (r.rolloutRestart) {
          const restarted = await clusterOps().rolloutRestart(ctx, r.rolloutRestart.selector, r.rolloutRestart.namespace ?? v.namespace);
          ctx.log.info('rollout restart requested', { selector: r.rolloutRestart.selector, restarted });
        }
      } catch (e) {
        throw new SafeholdError(
          `the data of set ${manifest.setId} is restored${plan.requestId ? ` and request ${plan.requestId} recorded (it will not run again)` : ''}, but a later step failed; finish it by hand: ${(e as Error).message}`,
        );
      }
    }
    if (!o.drill) {
      await pushMetrics(
        v,
        'restore',
        [
          { name: METRICS.restoreLastSuccess, value: ctx.now().getTime() / 1000 },
          { name: METRICS.restoreLastStatus, value: 1 },
        ],
        ctx.log,
        ctx.secrets,
      );
    }
    ctx.log.info('restore finished', { set: manifest.setId, seconds: (Date.now() - started) / 1000 });
    return plan;
  } catch (e) {
    ctx.log.error('restore FAILED', { set: manifest.setId, error: failureReason(e) });
    await tidyAfterFailure(ctx);
    if (!o.drill) await pushMetrics(v, 'restore', [{ name: METRICS.restoreLastStatus, value: 0 }], ctx.log, ctx.secrets);
    // Left at zero on purpose (the data may be half-restored): say how to bring the application back.
    if (scaled.length)
      throw new SafeholdError(
        `${(e as Error).message}\n  still scaled to zero by restore.scaleDown; when the data is right, scale back with:\n  ${scaleBackCommands(scaled).join('\n  ')}`,
      );
    throw e;
  } finally {
    for (const p of prepared.values()) if (p.file) rmSync(p.file, { force: true });
    rmSync(artifactsDir, { recursive: true, force: true });
  }
}

/** Swaps every staged component in; if one swap fails, the ones not yet swapped are thrown away and the error says which are in place. */
export async function commitStaged(ctx: RunContext, staged: readonly Staged[]): Promise<void> {
  const done: string[] = [];
  for (const [i, s] of staged.entries()) {
    try {
      const said = await s.commit();
      done.push(s.component);
      ctx.log.info('component restored', { component: s.component, swap: said });
    } catch (e) {
      for (const rest of staged.slice(i)) await rest.abort();
      throw new SafeholdError(
        `swap of ${s.component} failed (${(e as Error).message.split('\n')[0]}); ${done.length ? `already swapped in: ${done.join(', ')}` : 'nothing was swapped in'}; the side databases not swapped were removed`,
      );
    }
  }
}

/** Components whose live data is stored first (a partial MariaDB restore keeps the replaced tables instead). */
const safetyCopied = (r: Restore, c: Component) => needsSafetyCopy(c) && !partialKeepsPrevious({ restore: r }, c);

/** Components restored beside the live target and swapped in (all or nothing), instead of dropped first. */
const swapsIn = (c: Component) => c.type === 'postgres';

export function formatPlan(p: RestorePlan): string {
  return [
    `restore plan${p.requestId ? ` (request ${p.requestId})` : ''}`,
    `  set:        ${p.setId} (${p.setStatus}, ${p.setTime})`,
    `  from:       ${p.from ? `copy ${p.from} (${p.repository})` : p.repository}`,
    `  components: ${p.components.join(', ')}`,
    ...(p.only ? Object.entries(p.only).map(([c, what]) => `  only:       ${c}: ${what}`) : []),
    `  drop first: ${p.drop.length ? p.drop.join(', ') : 'nothing'}`,
    `  restart:    ${p.rolloutRestart ?? 'nothing'}`,
    '  steps:',
    ...p.steps.map((s, i) => `    ${i + 1}. ${s}`),
    '',
  ].join('\n');
}
