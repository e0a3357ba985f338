// How the runner reaches a copy: its own repository access, and the one restic process that reads the source and writes the copy.
import type { Operation } from '../../contract/layout.js';
import type { Values } from '../../values/schema.js';
import type { RunContext } from '../context.js';
import { Restic } from '../restic/client.js';
import { repoAccess, type RepoAccess } from '../restic/repository.js';

export type Copy = NonNullable<Values['copies']>[number];

/**
 * The destination's access with the source as restic's "from" repository (environment only: nothing in argv).
 * restic reads one set of AWS keys and global options for both (the rules refuse two S3 key pairs). Pure.
 */
export function copyAccess(source: RepoAccess, dest: RepoAccess): RepoAccess {
  const globalArgs = [...dest.globalArgs];
  for (let i = 0; i < source.globalArgs.length; i++) {
    const a = source.globalArgs[i];
    const pair = a === '-o' || a === '--cacert';
    const item = pair ? [a, source.globalArgs[++i]] : [a];
    const has = globalArgs.some((g, j) => g === item[0] && (!pair || globalArgs[j + 1] === item[1]));
    if (!has) globalArgs.push(...item);
  }
  return {
    location: dest.location,
    globalArgs,
    env: { ...source.env, ...dest.env, RESTIC_FROM_REPOSITORY: source.location, RESTIC_FROM_PASSWORD_FILE: source.env.RESTIC_PASSWORD_FILE },
  };
}

/** A restic client for the copy (with the source as its "from" repository). */
export function copyRestic(ctx: RunContext, copy: Copy, op: Operation): Restic {
  const dest = repoAccess(copy.repository, ctx.secrets, ctx.scratchDir, op);
  const r = new Restic(copyAccess(ctx.restic.access, dest), ctx.log);
  r.workload = ctx.restic.workload;
  return r;
}

/** The run context as seen from the copy: its repository, its retention, its restic. */
export function copyContext(ctx: RunContext, copy: Copy, restic: Restic): RunContext {
  const values: Values = { ...ctx.values, repository: copy.repository, retention: copy.retention ?? ctx.values.retention };
  return { ...ctx, values, restic };
}
