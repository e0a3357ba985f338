// The handler a restore uses for a component: its own, or the partial one when restore.only names it.
import { join } from 'node:path';
import { RefusedError, SafeholdError } from '../../../errors.js';
import type { Component, FilesComponent } from '../../../values/components.js';
import { onlyFor, pgTableName, type OnlySpec } from '../../../values/only.js';
import type { Restore, Values } from '../../../values/schema.js';
import type { RunContext } from '../../context.js';
import { requireStreamEngine } from '../../engines/index.js';
import type { MysqlGlobals } from '../../engines/mysql-globals.js';
import { start } from '../../process/spawn.js';
import type { ComponentRecord } from '../../sets.js';
import { filesHandler, restoreDestinations, restoreTree } from '../files.js';
import type { OwnedNode } from '../file-owners.js';
import { handlerFor } from '../index.js';
import { streamHandler, targetEndpoint } from '../stream.js';
import type { Staged } from '../pg-swap.js';
import type { ComponentHandler, Prepared } from '../types.js';
import { mysqlRefusals, planPartialMysql, stagePartialMysql } from './mysql.js';
import { pgRefusals, planPartialPostgres, stagePartialPostgres } from './postgres.js';

/** Redis into: side: the restored keys are written under this prefix, beside the live ones. */
export const REDIS_SIDE_PREFIX = 'safehold-restored:';
/** Files into: side: the restored paths go under this directory of their backed-up root. */
export const FILES_SIDE_DIR = '.safehold-restored';

const specOf = (ctx: RunContext, c: Component): OnlySpec => onlyFor(ctx.values, c)!;
const endpoint = (c: Component, ctx: RunContext) => targetEndpoint(c, ctx.secrets);
const restoreLine = (c: Component, rec: ComponentRecord) =>
  `${c.name} (${c.type}): restore ${rec.fileName} (${rec.bytes} bytes, snapshot ${rec.snapshotId.slice(0, 8)}), only what restore.only names:`;

/** A live database the partial restore replaces tables in must exist; what refuses the restore up front. */
async function refusals(ctx: RunContext, c: Component, check: () => Promise<string[]>): Promise<string[]> {
  if (specOf(ctx, c).into === 'side') return [];
  try {
    const fix = c.type === 'postgres' ? `add the tables that depend on it to restore.only.${c.name}.tables, or ` : '';
    return (await check()).map((r) => `${c.name}: cannot replace it alone: ${r}; ${fix}restore into: side and copy the rows by hand`);
  } catch (e) {
    return [
      `${c.name}: cannot inspect the live database (${(e as Error).message.split('\n')[0]}); a partial restore needs it to exist: restore the whole component`,
    ];
  }
}

type Endpoint = ReturnType<typeof endpoint>;

/** PostgreSQL and MariaDB: planned, refused and staged by their module, swapped in once every component is restored. */
function stagedPartial(m: {
  readonly plan: (e: Endpoint, s: OnlySpec, component: string) => Promise<string[]>;
  readonly refusals: (e: Endpoint, s: OnlySpec) => Promise<string[]>;
  readonly stage: (e: Endpoint, c: Component, ctx: RunContext, p: Prepared) => Promise<Staged>;
}): ComponentHandler {
  return {
    ...streamHandler,
    plan: async (c, ctx, rec) => [restoreLine(c, rec), ...(await m.plan(endpoint(c, ctx), specOf(ctx, c), c.name))],
    preconditions: (c, ctx) => refusals(ctx, c, () => m.refusals(endpoint(c, ctx), specOf(ctx, c))),
    stage: (c, ctx, _rec, p) => {
      // The TOC is read and filtered from the verified spool: a partial restore never streams (prepare must spool it).
      if (!p.file) throw new SafeholdError(`${c.name}: a partial restore needs the verified local copy of the dump; nothing was changed`);
      return m.stage(endpoint(c, ctx), c, ctx, p);
    },
    apply: async (c) => {
      throw new SafeholdError(`${c.name}: a partial ${c.type} restore is staged and swapped in, never applied in place`);
    },
  };
}

const postgresPartial = stagedPartial({
  plan: planPartialPostgres,
  refusals: (e, s) => pgRefusals(e, (s.tables ?? []).map(pgTableName)),
  stage: (e, c, ctx, p) =>
    stagePartialPostgres(e, p.file!, {
      component: c.name,
      spec: specOf(ctx, c),
      noOwner: ctx.values.restore?.owners === 'login',
      scratchDir: ctx.scratchDir,
      log: ctx.log,
    }),
});

const mysqlPartial = stagedPartial({
  plan: planPartialMysql,
  refusals: (e, s) => mysqlRefusals(e, s.tables ?? []),
  stage: (e, c, ctx, p) =>
    stagePartialMysql(e, p.file!, { component: c.name, spec: specOf(ctx, c), globals: p.state as MysqlGlobals | undefined, log: ctx.log }),
});

const redisPartial: ComponentHandler = {
  ...streamHandler,
  async plan(c, ctx, rec) {
    const s = specOf(ctx, c);
    return [
      restoreLine(c, rec),
      s.into === 'side'
        ? `${c.name}: keys matching ${s.keys!.join(', ')} are written under the prefix ${REDIS_SIDE_PREFIX} (e.g. ${REDIS_SIDE_PREFIX}${s.keys![0]}); live keys are not touched`
        : `${c.name}: keys matching ${s.keys!.join(', ')} in the set replace the live keys of the same name; every other key is left alone (never flushed, whatever restoreMode says)`,
    ];
  },
  async apply(c, ctx, _rec, p) {
    const s = specOf(ctx, c);
    const opts = { jobs: 1, clean: false, flush: false, match: s.keys, keyPrefix: s.into === 'side' ? REDIS_SIDE_PREFIX : undefined };
    await requireStreamEngine(c).restoreFromFile!(endpoint(c, ctx), p.file!, opts, { start, scratchDir: ctx.scratchDir, log: ctx.log });
  },
};

/** Each requested path with the stored root it lies in and where it goes. */
function filesTargets(c: FilesComponent, rec: ComponentRecord, s: OnlySpec): Array<{ root: string; dest: string; includes: string[] }> {
  const roots = rec.items ?? [];
  const outside = s.paths!.filter((p) => !roots.some((r) => r === '/' || p === r || p.startsWith(`${r}/`)));
  if (outside.length)
    throw new RefusedError(
      `${c.name}: restore.only paths not in the set: ${outside.join(', ')} (the set holds ${roots.join(', ') || 'nothing'}); nothing was changed`,
    );
  return restoreDestinations(roots, c.restoreTo)
    .map(({ root, dest }) => ({
      root,
      dest: s.into === 'side' ? join(dest, FILES_SIDE_DIR) : dest,
      includes: s.paths!.filter((p) => root === '/' || p === root || p.startsWith(`${root}/`)),
    }))
    .filter((t) => t.includes.length);
}

const filesPartial: ComponentHandler<FilesComponent> = {
  ...filesHandler,
  async plan(c, ctx, rec) {
    const s = specOf(ctx, c);
    return [
      restoreLine(c, rec),
      ...filesTargets(c, rec, s).map(({ root, dest, includes }) =>
        s.into === 'side'
          ? `${c.name}: ${includes.join(', ')} → under ${dest} (relative to ${root}); the live files are not touched`
          : `${c.name}: ${includes.join(', ')} → ${dest}: stored files overwrite existing ones; other paths are left alone`,
      ),
    ];
  },
  async apply(c, ctx, rec, p) {
    const nodes = (p.state as OwnedNode[] | undefined) ?? [];
    const targets = filesTargets(c, rec, specOf(ctx, c));
    // Checked before anything is written: a path the snapshot does not hold would otherwise restore nothing, silently.
    const absent = targets.flatMap((t) => t.includes).filter((i) => !/[*?[]/.test(i) && !nodes.some((n) => n.path === i || n.path.startsWith(`${i}/`)));
    if (absent.length) throw new RefusedError(`${c.name}: restore.only paths the set does not hold: ${absent.join(', ')}; nothing was changed`);
    for (const t of targets) await restoreTree(c, ctx, rec, nodes, t);
  },
};

const PARTIAL: Readonly<Record<string, ComponentHandler>> = {
  postgres: postgresPartial,
  mysql: mysqlPartial,
  redis: redisPartial,
  files: filesPartial as ComponentHandler,
};

/** The handler a restore of `c` uses under these values. */
export function restoreHandler(v: Pick<Values, 'restore'>, c: Component): ComponentHandler {
  const partial = onlyFor(v, c) ? PARTIAL[c.type] : undefined;
  return partial ?? handlerFor(c);
}

/** A partial MariaDB restore keeps the replaced tables itself: no safety copy of the whole database. */
export const partialKeepsPrevious = (v: Pick<Values, 'restore'>, c: Component): boolean => c.type === 'mysql' && !!onlyFor(v, c);

/** restore.only as the plan prints it: what each component restores, and where to. */
export function describeOnly(only: NonNullable<Restore['only']>): Record<string, string> {
  return Object.fromEntries(
    Object.entries(only).map(([c, s]) => {
      const parts = [
        ...(s.tables?.length ? [`tables ${s.tables.join(', ')}`] : []),
        ...(s.schemas?.length ? [`schemas ${s.schemas.join(', ')}`] : []),
        ...(s.keys?.length ? [`keys ${s.keys.join(', ')}`] : []),
        ...(s.paths?.length ? [`paths ${s.paths.join(', ')}`] : []),
      ];
      return [c, `${parts.join('; ')} (into ${s.into === 'side' ? 'a side place, nothing live replaced' : 'the live target'})`];
    }),
  );
}
