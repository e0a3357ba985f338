// The part of a whole server a restore may change, as it is live now: what its safety copy stores (commands/safety.ts),
// and what `restore --undo` swaps back.
import type { ServerComponent } from '../../../values/server-rules.js';
import type { RunContext } from '../../context.js';
import { endpointOf } from '../../engines/index.js';
import { listSchemas } from '../../engines/mysql-server-globals.js';
import { pgSideNames, serverState } from '../pg-swap.js';
import { listPgDatabases } from './pg-server.js';
import { selectDatabases } from './select.js';

/** The component narrowed to the live databases the restore may replace (restore.databases, else its selection); undefined when none is live. */
export async function liveServerScope(c: ServerComponent, ctx: RunContext): Promise<ServerComponent | undefined> {
  if (c.type !== 'mysql') return c;
  const live = await listSchemas(endpointOf(c, ctx.secrets));
  const wanted = ctx.values.restore?.databases;
  const databases = selectDatabases(c.type, wanted ?? c.databases, live).databases;
  return databases.length ? { ...c, databases: [...databases] } : undefined;
}

/** PostgreSQL: the databases of the selection (or restore.databases) that have a kept previous database to swap back to. */
export async function databasesWithPrevious(c: ServerComponent, ctx: RunContext): Promise<string[]> {
  const e = endpointOf(c, ctx.secrets);
  const chosen = selectDatabases('postgres', ctx.values.restore?.databases ?? c.databases, await listPgDatabases(e)).databases;
  // Every name: a kept previous database does not allow connections (the swap closed it).
  const all = (await serverState(e)).databases;
  return chosen.filter((db) => all.has(pgSideNames(db).previous));
}
