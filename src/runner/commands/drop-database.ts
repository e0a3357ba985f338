// `safehold drop-database`: the first step of a restore request (Monoskope's drop Job), claimed and recorded like it.
import { dropRequestId, restoreRequestId } from '../../contract/requests.js';
import { RefusedError, UsageError } from '../../errors.js';
import { isDatabase } from '../../values/rules.js';
import { handlerFor } from '../components/index.js';
import type { RunContext } from '../context.js';
import { claimRequest } from '../requests/claim.js';
import { resolveRestore } from './restore.js';

/**
 * Drops only while its restore request has not started: the restore Job drops by itself when it
 * comes first, and a drop after the restore began (or gave up) could leave the database empty.
 * The set the restore will use is found and read before anything is dropped.
 */
export async function dropDatabase(ctx: RunContext, o: { expectRequest?: string } = {}): Promise<string> {
  const v = ctx.values;
  const req = v.dropDatabase;
  if (!req) throw new UsageError('no dropDatabase: section in the values; nothing to drop');
  const c = v.components.find((x) => x.name === req.component);
  // The loader's rules already checked this; the runner checks again, since it is the last line.
  if (!c || !isDatabase(c) || req.confirm !== c.database)
    throw new RefusedError(`dropDatabase.confirm must equal the database name of component ${req.component}`);
  const restoreId = restoreRequestId(v);
  if (!restoreId) throw new RefusedError('dropDatabase needs a restore: section (the drop is the first step of a restore request); nothing was changed');
  const id = dropRequestId(v)!;
  if (o.expectRequest && o.expectRequest !== id)
    throw new RefusedError(`this Job was created for drop request ${o.expectRequest}, but the config now describes ${id}; nothing was changed`);
  const { plan } = await resolveRestore(ctx);
  if (!plan.components.includes(c.name)) throw new RefusedError(`restore request ${restoreId} does not restore ${c.name}; nothing was changed`);
  const claim = await claimRequest(ctx, restoreId, 'drop');
  try {
    ctx.log.warn('dropping database and creating it empty; the restore Job of this request restores set', {
      component: c.name,
      database: c.database,
      host: c.host,
      request: restoreId,
      set: plan.setId,
    });
    await handlerFor(c).recreate!(c, ctx);
  } catch (e) {
    await claim.abandon(e);
    throw e;
  }
  await claim.dropped(`dropped ${c.database} on ${c.host}:${c.port}; set ${plan.setId} to be restored`);
  return id;
}
