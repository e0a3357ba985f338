// `safehold drop-database`: the confirmed, one-shot drop of one database (Monoskope's drop job), recorded in the ledger.
import { dropRequestId, restoreRequestId } from '../../contract/requests.js';
import { RefusedError, UsageError } from '../../errors.js';
import { isDatabase } from '../../values/rules.js';
import { handlerFor } from '../components/index.js';
import type { RunContext } from '../context.js';
import { ledgerFor } from '../ledger.js';

export async function dropDatabase(ctx: RunContext, o: { expectRequest?: string } = {}): Promise<string> {
  const v = ctx.values;
  const req = v.dropDatabase;
  if (!req) throw new UsageError('no dropDatabase: section in the values; nothing to drop');
  const c = v.components.find((x) => x.name === req.component);
  // The loader's rules already checked this; the runner checks again, since it is the last line.
  if (!c || !isDatabase(c) || req.confirm !== c.database) throw new RefusedError(`dropDatabase.confirm must equal the database name of component ${req.component}`);
  const id = dropRequestId(v)!;
  if (o.expectRequest && o.expectRequest !== id) throw new RefusedError(`this Job was created for drop request ${o.expectRequest}, but the config now describes ${id}; nothing was changed`);
  const ledger = ledgerFor(ctx);
  const done = await ledger.get(id);
  if (done) throw new RefusedError(`drop request ${id} already ran (finished ${done.finishedAt}); nothing was changed`);
  const restoreId = restoreRequestId(v);
  const restored = restoreId ? await ledger.get(restoreId) : undefined;
  if (restored) throw new RefusedError(`restore request ${restoreId} already ran (${restored.finishedAt}); dropping now would destroy the restored data. Nothing was changed`);
  ctx.log.warn('dropping database and creating it empty', { component: c.name, database: c.database, host: c.host });
  await handlerFor(c).recreate!(c, ctx);
  await ledger.record({ id, finishedAt: ctx.now().toISOString(), detail: `dropped ${c.database} on ${c.host}:${c.port}` });
  return id;
}
