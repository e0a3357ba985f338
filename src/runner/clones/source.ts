// How a clone reads the source application's sets: its repository (or this set's own), read-only (no lock ever written).
import type { Values } from '../../values/schema.js';
import type { RunContext } from '../context.js';
import { Restic } from '../restic/client.js';
import { repoAccess } from '../restic/repository.js';

export type Clone = NonNullable<Values['clone']>;

/**
 * The source as a run context: its namespace/name (the snapshot host and tags of its sets), its repository
 * opened with `--no-lock`, so read-only keys suffice and a clone never blocks the source's backups or prune.
 * The claim and the request records stay in this application's own repository (ctx.restic).
 */
export function sourceContext(ctx: RunContext): RunContext {
  const c = ctx.values.clone!;
  const repository = c.from.repository ?? ctx.values.repository;
  const access = repoAccess(repository, ctx.secrets, ctx.scratchDir, 'restore');
  const restic = new Restic({ ...access, globalArgs: [...access.globalArgs, '--no-lock'] }, ctx.log);
  const values: Values = { ...ctx.values, namespace: c.from.namespace, name: c.from.name, instance: c.from.instance, repository };
  return { ...ctx, values, restic };
}
