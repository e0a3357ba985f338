// Safety copies: before a restore changes a database it cannot build beside the live one (MariaDB, Redis), the live
// data is stored as a set of its own. A restore that fails puts it back; one that succeeds leaves it as the way back.
import { resticHost } from '../../contract/layout.js';
import { SafeholdError } from '../../errors.js';
import type { Component } from '../../values/components.js';
import { VERSION } from '../../version.js';
import { isServerComponent } from '../../values/server-rules.js';
import { handlerFor } from '../components/index.js';
import { liveServerScope } from '../components/server/scope.js';
import { mysqlDatabaseExists } from '../components/mysql-accounts.js';
import type { RestoreTarget } from '../components/types.js';
import type { RunContext } from '../context.js';
import { endpointOf } from '../engines/index.js';
import { baseFilter, MANIFEST_FILE, newSetId, setTag, STATUS_SAFETY, TAG_MANIFEST, type ComponentRecord, type Manifest } from '../sets.js';

export interface SafetySet {
  readonly setId: string;
  readonly records: ReadonlyMap<string, ComponentRecord>;
}

/** Components whose restore replaces live data in place: they get a safety copy first (drills never: their targets are scratch). */
export const needsSafetyCopy = (c: Component): boolean => c.type === 'mysql' || c.type === 'redis';

/** Stores the live data of `components` (those that exist) as one set with status safety; undefined when there was nothing live. */
export async function takeSafetyCopy(ctx: RunContext, components: readonly Component[]): Promise<SafetySet | undefined> {
  const live: Component[] = [];
  for (const c of components) {
    if (isServerComponent(c)) {
      const scoped = await liveServerScope(c, ctx);
      if (scoped) live.push(scoped);
      continue;
    }
    if (c.type === 'mysql' && !(await mysqlDatabaseExists(endpointOf(c, ctx.secrets)))) continue;
    live.push(c);
  }
  if (!live.length) return undefined;
  const v = ctx.values;
  const setId = newSetId(ctx.now());
  const tags = [...baseFilter(v).tags, setTag(setId)];
  const started = ctx.now().toISOString();
  ctx.log.info('safety copy of the live data before the restore changes it', { set: setId, components: live.map((c) => c.name) });
  const records: ComponentRecord[] = [];
  for (const c of live) {
    const h = handlerFor(c);
    const rec = await h.backup(c, ctx, { setId, host: resticHost(v), tags });
    const problem = await h.checkStored?.(c, ctx, rec);
    if (problem) throw new SafeholdError(`safety copy of ${c.name} is not readable (${problem}); the restore did not start, nothing was changed`);
    records.push(rec);
  }
  const manifest: Manifest = {
    format: 'safehold.backup-set/v1',
    setId,
    app: resticHost(v),
    safeholdVersion: VERSION,
    startedAt: started,
    finishedAt: ctx.now().toISOString(),
    status: 'safety',
    suspicious: [],
    components: records,
    artifacts: {},
  };
  await ctx.restic.backupBuffer(`${JSON.stringify(manifest, null, 2)}\n`, {
    host: resticHost(v),
    tags: [...tags, TAG_MANIFEST, STATUS_SAFETY],
    filename: MANIFEST_FILE,
  });
  ctx.log.info('safety copy stored', { set: setId });
  return { setId, records: new Map(records.map((r) => [r.name, r])) };
}

/** Puts the safety copy back into each component the failed restore may have touched; says what it could not. */
export async function putBack(
  ctx: RunContext,
  safety: SafetySet,
  touched: readonly Component[],
  targets?: Readonly<Record<string, RestoreTarget>>,
): Promise<string[]> {
  const problems: string[] = [];
  for (const c of touched) {
    const rec = safety.records.get(c.name);
    if (!rec) continue;
    const h = handlerFor(c);
    try {
      const p = await h.prepare(c, ctx, rec);
      if (c.type === 'mysql') await h.recreate?.(c, ctx, targets?.[c.name], p);
      await h.apply(c, ctx, rec, p, { clean: c.type !== 'mysql', target: targets?.[c.name], flush: true });
      ctx.log.warn('put back from the safety copy: the component is as it was before the restore', { component: c.name, set: safety.setId });
    } catch (e) {
      problems.push(
        `${c.name}: could not be put back (${(e as Error).message.split('\n')[0]}); restore it with \`safehold restore --snapshot ${safety.setId}\``,
      );
    }
  }
  return problems;
}
