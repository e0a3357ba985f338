// `safehold restore --undo` / `--discard-previous`: the way back after a restore, and forgetting it.
import { SafeholdError } from '../../errors.js';
import { discardPrevious, swapBack } from '../components/pg-swap.js';
import type { RunContext } from '../context.js';
import { endpointOf } from '../engines/index.js';
import { isServerComponent } from '../../values/server-rules.js';
import { databasesWithPrevious } from '../components/server/scope.js';

/**
 * PostgreSQL: the restored database and the one it replaced (kept as `<db>.safehold-previous`) change places;
 * running it again swaps back. Other engines go back by restoring the safety set the restore stored.
 */
export async function undoRestore(ctx: RunContext, o: { discard?: boolean } = {}): Promise<string[]> {
  const wanted = ctx.values.restore?.components;
  const pg = ctx.values.components.filter((c) => c.type === 'postgres' && (!wanted || wanted.includes(c.name)));
  if (!pg.length)
    throw new SafeholdError(
      'no PostgreSQL component to swap back; other engines go back with `safehold restore --snapshot <safety set id>` (listed by `safehold snapshots`)',
    );
  const said: string[] = [];
  for (const c of pg) {
    // A whole server: every database of it that kept its previous one.
    const databases = isServerComponent(c) ? await databasesWithPrevious(c, ctx) : [undefined];
    for (const database of databases) {
      const e = endpointOf(c, ctx.secrets, { database });
      const name = database === undefined ? c.name : `${c.name}/${database}`;
      said.push(o.discard ? await discardPrevious(e, name) : await swapBack(e, ctx.log, name));
      ctx.log.info(o.discard ? 'previous database discarded' : 'restore undone', { component: name, said: said.at(-1) });
    }
  }
  return said;
}
