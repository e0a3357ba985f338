// MariaDB/MySQL, a whole server: at restore the missing accounts created (locked when the set holds no password),
// every schema loaded in place, then the grants that need their tables. A failure removes the schemas and accounts
// this restore created; the schemas that existed are put back by the restore's safety copy (commands/safety.ts).
import { RefusedError } from '../../../errors.js';
import type { ServerComponent } from '../../../values/server-rules.js';
import type { RunContext } from '../../context.js';
import { endpointOf } from '../../engines/index.js';
import { accountExistsSql, accountName } from '../../engines/mysql-globals.js';
import { needsObjects, type MysqlServerGlobals } from '../../engines/mysql-server-globals.js';
import { mysqlScript, mysqlStatement, quoteMysqlIdent } from '../../engines/mysql.js';
import type { Endpoint } from '../../engines/types.js';
import { run } from '../../process/spawn.js';
import { createMissingAccounts, mysqlDatabaseExists } from '../mysql-accounts.js';
import { streamHandler } from '../stream.js';
import type { ApplyOptions } from '../types.js';
import type { ServerPrepared } from './prepared.js';

const server = (e: Endpoint): Endpoint => ({ ...e, database: undefined });

export async function applyMysqlServer(c: ServerComponent, ctx: RunContext, sp: ServerPrepared, o: ApplyOptions): Promise<void> {
  if (o.drill || o.target) throw new RefusedError(`${c.name}: a whole-server component is not drilled (docs/whole-servers.md); nothing was changed`);
  const e = server(endpointOf(c, ctx.secrets));
  const g = sp.globals as MysqlServerGlobals | undefined;
  const createdSchemas: string[] = [];
  const createdAccounts: string[] = [];
  try {
    if (sp.all && g) {
      const early = { accounts: g.accounts.map((a) => ({ ...a, grants: a.grants.filter((x) => !needsObjects(x)) })) };
      createdAccounts.push(...(await createMissingAccounts(e, early, ctx.log, c.name)));
      if (createdAccounts.length && !g.passwords)
        ctx.log.warn(
          'accounts created locked, without a password (the set records none; passwords: true records them): ALTER USER … IDENTIFIED BY …, ACCOUNT UNLOCK',
          {
            component: c.name,
            accounts: createdAccounts,
          },
        );
    }
    for (const part of sp.parts) {
      if (!(await mysqlDatabaseExists(endpointOf(part.c, ctx.secrets)))) createdSchemas.push(part.rec.database);
      await streamHandler.apply(part.c, ctx, part.rec, part.p, o);
    }
    if (sp.all && g) {
      const late = g.accounts
        .filter((a) => createdAccounts.includes(accountName(a)))
        .flatMap((a) => a.grants.filter(needsObjects))
        .map((x) => `${x};`);
      if (late.length) await run(mysqlScript(e), `${late.join('\n')}\n`);
    }
  } catch (err) {
    sp.removeFiles();
    for (const db of createdSchemas)
      await run(mysqlStatement(e, `DROP DATABASE IF EXISTS ${quoteMysqlIdent(db)}`)).catch((x) =>
        ctx.log.error('could not drop a schema this restore created', { component: c.name, database: db, error: (x as Error).message }),
      );
    for (const a of createdAccounts)
      await run(mysqlStatement(e, `DROP USER IF EXISTS ${a}`)).catch((x) =>
        ctx.log.error('could not drop an account this restore created', { component: c.name, account: a, error: (x as Error).message }),
      );
    throw err;
  }
}

/** Plan lines for the server's accounts (read-only). */
export async function planMysqlServer(c: ServerComponent, ctx: RunContext, g: MysqlServerGlobals | undefined, all: boolean): Promise<string[]> {
  if (!g || !all) return [`${c.name}: no server-wide accounts created (restore.databases chooses databases: each one creates the accounts it names)`];
  const e = server(endpointOf(c, ctx.secrets));
  const missing: string[] = [];
  try {
    for (const a of g.accounts) if ((await run(mysqlStatement(e, accountExistsSql(a)))).stdout.trim() === '0') missing.push(accountName(a));
  } catch {
    return [`${c.name}: server not reachable for planning; missing accounts of the set are created first`];
  }
  return [
    missing.length
      ? `${c.name}: create accounts that do not exist on this server: ${missing.join(', ')}${g.passwords ? '' : ' (locked: the set records no password)'}; existing accounts are not changed`
      : `${c.name}: every account of the set exists on this server (none created, none changed)`,
  ];
}
