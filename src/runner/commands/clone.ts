// `safehold clone`: another application's set into this one's PostgreSQL targets, each built in a closed side
// database, masked there, opened as the live target is, and only then swapped in. A one-shot request like a restore.
import { rmSync } from 'node:fs';
import { cloneRequestId } from '../../contract/requests.js';
import { RefusedError, SafeholdError, UsageError } from '../../errors.js';
import { clonedComponents } from '../../values/clone.js';
import type { RunContext } from '../context.js';
import { sourceContext } from '../clones/source.js';
import { matchComponents, ownTargetProblem, type ClonePair } from '../clones/plan.js';
import { maskSide, openSide } from '../clones/side.js';
import { handlerFor } from '../components/index.js';
import { refuseUnreachable } from '../components/preflight.js';
import { pgSideNames, stagePostgres, type Staged } from '../components/pg-swap.js';
import { targetEndpoint } from '../components/stream.js';
import type { Prepared } from '../components/types.js';
import { requireStreamEngine } from '../engines/index.js';
import { psql } from '../engines/postgres.js';
import { quoteLiteral } from '../engines/postgres-globals.js';
import { run, start } from '../process/spawn.js';
import { failureReason } from '../process/stop.js';
import { claimRequest, type Claim } from '../requests/claim.js';
import { baseFilter, groupSets, pickSet, type Manifest } from '../sets.js';
import { tidyAfterFailure } from './cleanup.js';
import { withinDeadline } from './deadline.js';
import { readManifest } from './manifest.js';
import { commitStaged } from './restore.js';

export interface ClonePlan {
  readonly requestId: string;
  /** The source application, namespace/name. */
  readonly from: string;
  readonly repository: string;
  readonly setId: string;
  readonly setTime: string;
  readonly setStatus: string;
  readonly components: readonly string[];
  /** Components of the source set that this clone does not write. */
  readonly ignored: readonly string[];
  readonly steps: readonly string[];
}

export interface CloneOptions {
  readonly planOnly?: boolean;
  /** The request id the Job was created for; refuse if the config now describes another request. */
  readonly expectRequest?: string;
}

interface Resolved {
  readonly plan: ClonePlan;
  readonly manifest: Manifest;
  readonly pairs: readonly ClonePair[];
  readonly src: RunContext;
}

/** Finds the source set, reads its manifest (proves the read-only keys and the password), matches components, refuses the source's own targets. */
export async function resolveClone(ctx: RunContext): Promise<Resolved> {
  const v = ctx.values;
  const c = v.clone;
  const requestId = cloneRequestId(v);
  if (!c || !requestId)
    throw new UsageError(`${ctx.configFile}: no clone: section in the values; write clone: { from: { namespace, name }, mask: […] } (docs/clones.md)`);
  const src = sourceContext(ctx);
  const from = `${c.from.namespace}/${c.from.name}${c.from.instance ? ` (instance ${c.from.instance})` : ''}`;
  const sets = groupSets(await src.restic.snapshots(baseFilter(src.values)));
  const set = pickSet(sets, c.snapshot);
  if (!set) {
    const known = sets.map((s) => `${s.id} (${s.status})`).join(', ') || 'none';
    throw new SafeholdError(
      `no ${c.snapshot === 'latest' ? 'good backup set' : `complete backup set ${c.snapshot}`} of ${from} in ${src.restic.access.location}; sets: ${known}`,
    );
  }
  const manifest = await readManifest(src, set);
  const { pairs, problems, ignored } = matchComponents(clonedComponents(v), manifest, from);
  for (const p of pairs) {
    const e = targetEndpoint(p.c, ctx.secrets);
    const problem = ownTargetProblem(p, { host: e.host, port: e.port, database: e.database }, from);
    if (problem) problems.push(problem);
  }
  if (problems.length) throw new RefusedError(`clone refused, nothing was changed:\n  ${problems.join('\n  ')}`);
  const steps = [
    `verify: fetch every component of set ${set.id} from ${src.restic.access.location} (read-only, no lock) and check its sha256 against the manifest before changing anything`,
    ...pairs.flatMap(({ c: comp }) => {
      const db = ('database' in comp ? comp.database : undefined) ?? '';
      const side = pgSideNames(db).restoring;
      const masks = c.mask.filter((m) => m.component === comp.name);
      return [
        `${comp.name}: create side database ${side} closed (connections off, CONNECT revoked from PUBLIC: only the restore login and superusers can reach it) and restore the dump into it, every object owned by the restore login, no privileges of ${from}`,
        ...(masks.length
          ? masks.map(
              (m, i) =>
                `${comp.name}: mask ${i + 1}: ${'sql' in m ? `SQL (${typeof m.sql === 'string' ? 1 : m.sql.length} statement(s), one transaction)` : `hook ${m.hook.name} (${m.hook.type})`}`,
            )
          : [`${comp.name}: NO masking step: the data arrives as it is in ${from}`]),
        `${comp.name}: give ${side} the owner and database privileges of ${db} (or PUBLIC's defaults when ${db} does not exist)`,
      ];
    }),
    'swap: every side database is renamed into place once all are masked; the replaced databases are kept as <db>.safehold-previous',
    'on any failure before the swap every side database is dropped and each target is left as it was',
  ];
  const plan: ClonePlan = {
    requestId,
    from,
    repository: src.restic.access.location,
    setId: set.id,
    setTime: set.time,
    setStatus: set.status,
    components: pairs.map((p) => p.c.name),
    ignored,
    steps,
  };
  return { plan, manifest, pairs, src };
}

export async function clone(ctx: RunContext, o: CloneOptions = {}): Promise<ClonePlan> {
  const held: { claim?: Claim } = {};
  try {
    return await withinDeadline(ctx.values.clone?.timeout ?? '2h', () => cloneSet(ctx, o, held));
  } catch (e) {
    await held.claim?.abandon(e);
    throw e;
  }
}

async function cloneSet(ctx: RunContext, o: CloneOptions, held: { claim?: Claim }): Promise<ClonePlan> {
  const v = ctx.values;
  const mask = v.clone!.mask;
  const started = Date.now();
  const { plan, manifest, pairs, src } = await resolveClone(ctx);
  ctx.log.info('clone plan', { ...plan });
  if (o.planOnly) return plan;
  if (o.expectRequest && o.expectRequest !== plan.requestId)
    throw new RefusedError(`this Job was created for clone request ${o.expectRequest}, but the config now describes ${plan.requestId}; nothing was changed`);
  await refuseUnreachable(
    ctx,
    pairs.map((p) => p.c),
  );
  // Claimed in this application's own repository (made if staging was never backed up): the request is the target's.
  await ctx.restic.open({ create: true });
  const claim = (held.claim = await claimRequest(ctx, plan.requestId, 'restore'));
  const prepared = new Map<string, Prepared>();
  try {
    const staged: Staged[] = [];
    try {
      for (const { c, rec } of pairs) prepared.set(c.name, await handlerFor(c).prepare(c, src, rec));
      ctx.log.info('every component verified; cloning', { set: manifest.setId, from: plan.from });
      for (const { c } of pairs) {
        const engine = requireStreamEngine(c);
        const p = prepared.get(c.name)!;
        const jobs = 'restoreJobs' in c ? c.restoreJobs : 1;
        const io = { start, scratchDir: ctx.scratchDir, log: ctx.log };
        const s = await stagePostgres(
          c.name,
          targetEndpoint(c, ctx.secrets),
          undefined,
          (into, lo) => engine.restoreFromFile!(into, p.file!, { jobs, clean: false, ...lo }, io),
          { jobs, owners: 'login', drill: false, sealed: true },
          ctx.log,
        );
        staged.push(s);
        rmSync(p.file!, { force: true });
        await maskSide(
          ctx,
          c.name,
          s.side!,
          mask.filter((m) => m.component === c.name),
          manifest.setId,
        );
      }
      // Opened only once every component is masked: a failure above leaves every target as it was.
      for (const [i, s] of staged.entries()) {
        const said = await openSide(s.side!, ('database' in pairs[i].c ? pairs[i].c.database : undefined) ?? '');
        ctx.log.info('side database opened as the live one is', { component: s.component, statements: said });
      }
    } catch (e) {
      for (const s of staged.reverse()) await s.abort();
      // Nothing was swapped in: when every side database is gone the targets are as they were, and the claim is
      // released, so the corrected request (a new id) can run; a side database left behind keeps it, visibly.
      if (await sidesGone(ctx, pairs)) {
        await claim.abandon(new RefusedError(`nothing was changed: ${(e as Error).message.split('\n')[0]}`));
        held.claim = undefined;
      }
      throw e;
    }
    await commitStaged(ctx, staged);
    await claim.finish(`set ${manifest.setId} of ${plan.from}, masked`);
    held.claim = undefined;
    ctx.log.info('clone finished', { set: manifest.setId, from: plan.from, seconds: (Date.now() - started) / 1000 });
    return plan;
  } catch (e) {
    ctx.log.error('clone FAILED', { set: manifest.setId, from: plan.from, error: failureReason(e) });
    await tidyAfterFailure(ctx);
    throw e;
  } finally {
    for (const p of prepared.values()) if (p.file) rmSync(p.file, { force: true });
  }
}

/** No side database of any cloned component is left on its server (an unreachable server counts as not proven). */
async function sidesGone(ctx: RunContext, pairs: readonly ClonePair[]): Promise<boolean> {
  for (const { c } of pairs) {
    const e = targetEndpoint(c, ctx.secrets);
    const side = pgSideNames(e.database!).restoring;
    const left = await run(psql(e, `SELECT count(*) FROM pg_database WHERE datname = ${quoteLiteral(side)}`)).catch(() => undefined);
    if (left?.stdout.trim() !== '0') return false;
  }
  return true;
}

export function formatClonePlan(p: ClonePlan): string {
  return [
    `clone plan (request ${p.requestId})`,
    `  from:       ${p.from}, set ${p.setId} (${p.setStatus}, ${p.setTime}) in ${p.repository}`,
    `  components: ${p.components.join(', ')}${p.ignored.length ? ` (not cloned: ${p.ignored.join(', ')})` : ''}`,
    '  steps:',
    ...p.steps.map((s, i) => `    ${i + 1}. ${s}`),
    '',
  ].join('\n');
}
