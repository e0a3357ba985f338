// MariaDB/MySQL, a whole server: the schemas a `databases:` selection may take and every account of the server with
// its CREATE USER and grants (never root's, nor the server's own accounts). Pure, except the capture's reads.
import { mysqlLines as lines, readAccount, unhex, type MysqlAccount } from './mysql-globals.js';
import type { Endpoint } from './types.js';

export const MYSQL_SERVER_GLOBALS_FORMAT = 'safehold.mysql-server-globals/v1';

export interface MysqlServerGlobals {
  readonly format: typeof MYSQL_SERVER_GLOBALS_FORMAT;
  /** Password hashes recorded (passwords: true); otherwise accounts come back locked, without one. */
  readonly passwords: boolean;
  readonly accounts: readonly MysqlAccount[];
}

/** The server's own accounts: never recorded, never created. */
export const SYSTEM_ACCOUNTS = ['root', 'mariadb.sys', 'mysql', 'PUBLIC', ''];

export const LIST_SCHEMAS_SQL = 'SELECT HEX(SCHEMA_NAME) FROM information_schema.SCHEMATA ORDER BY SCHEMA_NAME';

/** Accounts (not roles) except the server's own and the login itself. */
export const SERVER_ACCOUNTS_SQL = `SELECT HEX(User), HEX(Host) FROM mysql.user
 WHERE User NOT IN (${SYSTEM_ACCOUNTS.map((u) => `'${u}'`).join(', ')}) AND is_role <> 'Y'
   AND CONCAT(User, '@', Host) <> CURRENT_USER() ORDER BY User, Host`;

export async function listSchemas(e: Endpoint): Promise<string[]> {
  return (await lines({ ...e, database: undefined }, LIST_SCHEMAS_SQL)).map(unhex);
}

export async function captureMysqlServer(e: Endpoint, passwords: boolean): Promise<MysqlServerGlobals> {
  const server = { ...e, database: undefined };
  const names = (await lines(server, SERVER_ACCOUNTS_SQL)).map((l) => l.split('\t').map(unhex)).map(([user, host]) => ({ user, host }));
  const accounts: MysqlAccount[] = [];
  for (const a of names) accounts.push(await readAccount(server, a, { passwords }));
  return { format: MYSQL_SERVER_GLOBALS_FORMAT, passwords, accounts };
}

/** Grants on tables, columns and routines need their objects: they run after the data is loaded. */
export const needsObjects = (grant: string): boolean => /^GRANT .* ON (`(?:[^`]|``)+`\.`|(PROCEDURE|FUNCTION|PACKAGE)( BODY)? )/.test(grant);
