// MariaDB/MySQL accounts a set names (DEFINERs, grantees): created where missing, never changed where they exist.
import { accountExistsSql, accountName, mysqlString, type MysqlGlobals } from '../engines/mysql-globals.js';
import { mysqlScript, mysqlStatement } from '../engines/mysql.js';
import type { Endpoint } from '../engines/types.js';
import type { Logger } from '../log.js';
import { run } from '../process/spawn.js';

const serverOnly = (e: Endpoint): Endpoint => ({ ...e, database: undefined });

export async function mysqlDatabaseExists(e: Endpoint): Promise<boolean> {
  const out = await run(mysqlStatement(serverOnly(e), `SELECT COUNT(*) FROM information_schema.SCHEMATA WHERE SCHEMA_NAME = ${mysqlString(e.database!)}`));
  return out.stdout.trim() !== '0';
}

/** Creates each recorded account that does not exist, with its grants; returns the accounts created. */
export async function createMissingAccounts(e: Endpoint, g: Pick<MysqlGlobals, 'accounts'>, log: Logger, component: string): Promise<string[]> {
  const created: string[] = [];
  const unreadable: string[] = [];
  for (const a of g.accounts) {
    if ((await run(mysqlStatement(serverOnly(e), accountExistsSql(a)))).stdout.trim() !== '0') continue;
    if (!a.create) {
      unreadable.push(accountName(a));
      continue;
    }
    // Statements go to the client's stdin: CREATE USER carries the password hash.
    await run(mysqlScript(serverOnly(e)), `${[a.create, ...a.grants].map((s) => `${s};`).join('\n')}\n`);
    created.push(accountName(a));
  }
  if (created.length) log.info('accounts created (they did not exist on this server)', { component, accounts: created });
  if (unreadable.length)
    log.warn('accounts missing here could not be recreated: the backup login could not read them (grant it SELECT on mysql.*)', {
      component,
      accounts: unreadable,
    });
  return created;
}
