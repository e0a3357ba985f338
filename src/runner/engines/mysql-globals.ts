// MySQL/MariaDB: what a database needs to exist again — its default charset and collation, and the accounts its
// DEFINERs and grants name (with their CREATE USER and GRANT statements, where the login may read them).
// I/O: only captureMysqlGlobals (runs the mariadb client); the SQL builders and parsers are pure.
import { run } from '../process/spawn.js';
import { mysqlStatement } from './mysql.js';
import type { Endpoint } from './types.js';

export const MYSQL_GLOBALS_FORMAT = 'safehold.mysql-globals/v1';

export interface MysqlAccount {
  readonly user: string;
  readonly host: string;
  /** SHOW CREATE USER; null when the backup login may not read it (the account is then not recreated). */
  readonly create: string | null;
  readonly grants: readonly string[];
}

export interface MysqlGlobals {
  readonly format: typeof MYSQL_GLOBALS_FORMAT;
  readonly database: { readonly name: string; readonly charset: string; readonly collation: string };
  readonly accounts: readonly MysqlAccount[];
}

export const hex = (s: string) => `X'${Buffer.from(s, 'utf8').toString('hex')}'`;
/** A string literal that survives any sql_mode (hex, then converted). */
export const mysqlString = (s: string) => `CONVERT(${hex(s)} USING utf8mb4)`;
/** 'user'@'host' as account names are written in SHOW/CREATE/DROP USER. */
export const accountName = (a: { user: string; host: string }) =>
  `'${a.user.replace(/\\/g, '\\\\').replace(/'/g, "\\'")}'@'${a.host.replace(/\\/g, '\\\\').replace(/'/g, "\\'")}'`;
export const unhex = (h: string) => Buffer.from(h, 'hex').toString('utf8');
/** mariadb --batch escapes \n, \t, \\ and \0 in values. */
const unescapeBatch = (s: string) => s.replace(/\\(.)/g, (_, c: string) => ({ n: '\n', t: '\t', '0': '\0' })[c] ?? c);

/** "user@host" (DEFINER) or "'user'@'host'" (GRANTEE) → parts; the host follows the last @. */
export function parseAccount(text: string): { user: string; host: string } {
  const at = text.lastIndexOf('@');
  const strip = (s: string) =>
    s.startsWith("'") && s.endsWith("'") ? s.slice(1, -1).replace(/''/g, "'") : s.startsWith('`') && s.endsWith('`') ? s.slice(1, -1) : s;
  return { user: strip(text.slice(0, at)), host: strip(text.slice(at + 1)) };
}

export function referencedAccountsSql(db: string): string {
  const d = hex(db);
  return `SELECT DISTINCT HEX(a) FROM (
    SELECT DEFINER a FROM information_schema.ROUTINES WHERE ROUTINE_SCHEMA = ${d}
    UNION SELECT DEFINER FROM information_schema.VIEWS WHERE TABLE_SCHEMA = ${d}
    UNION SELECT DEFINER FROM information_schema.TRIGGERS WHERE TRIGGER_SCHEMA = ${d}
    UNION SELECT DEFINER FROM information_schema.EVENTS WHERE EVENT_SCHEMA = ${d}
    UNION SELECT GRANTEE FROM information_schema.SCHEMA_PRIVILEGES WHERE TABLE_SCHEMA = ${d}
    UNION SELECT GRANTEE FROM information_schema.TABLE_PRIVILEGES WHERE TABLE_SCHEMA = ${d}
    UNION SELECT GRANTEE FROM information_schema.COLUMN_PRIVILEGES WHERE TABLE_SCHEMA = ${d}) x`;
}

/**
 * An account statement without its authentication (IDENTIFIED BY PASSWORD '…' / IDENTIFIED VIA … USING '…'): what a
 * set records when its values do not ask for passwords. CREATE USER then gets ACCOUNT LOCK: never an open account.
 */
export function withoutAuthentication(stmt: string): string {
  const bare = stmt.replace(/ IDENTIFIED (BY PASSWORD|VIA) .*?(?=( REQUIRE | WITH | PASSWORD EXPIRE| ACCOUNT (UN)?LOCK)|$)/, '');
  if (!/^CREATE USER /.test(bare)) return bare;
  return / ACCOUNT (UN)?LOCK/.test(bare) ? bare.replace(/ ACCOUNT UNLOCK/, ' ACCOUNT LOCK') : `${bare} ACCOUNT LOCK`;
}

/** One statement's result rows (batch mode: tab-separated, escaped), empty lines dropped. */
export async function mysqlLines(e: Endpoint, sql: string): Promise<string[]> {
  return (await run(mysqlStatement(e, sql))).stdout.split('\n').filter((l) => l !== '');
}

/** SHOW CREATE USER and SHOW GRANTS of one account (null/[] when the login may not read them). */
export async function readAccount(e: Endpoint, a: { user: string; host: string }, o: { passwords: boolean }): Promise<MysqlAccount> {
  const q = (sql: string) => mysqlLines(e, sql);
  const strip = (s: string) => (o.passwords ? s : withoutAuthentication(s));
  try {
    const [create] = (await q(`SHOW CREATE USER ${accountName(a)}`)).map(unescapeBatch);
    const grants = (await q(`SHOW GRANTS FOR ${accountName(a)}`)).map(unescapeBatch);
    return { ...a, create: create === undefined ? null : strip(create), grants: grants.map(strip) };
  } catch {
    return { ...a, create: null, grants: [] };
  }
}

export async function captureMysqlGlobals(e: Endpoint, o: { passwords: boolean } = { passwords: true }): Promise<MysqlGlobals> {
  const db = e.database!;
  const q = (sql: string) => mysqlLines(e, sql);
  const [props] = await q(
    `SELECT HEX(DEFAULT_CHARACTER_SET_NAME), HEX(DEFAULT_COLLATION_NAME) FROM information_schema.SCHEMATA WHERE SCHEMA_NAME = ${hex(db)}`,
  );
  const [charset, collation] = (props ?? '').split('\t').map(unhex);
  const names = [...new Set((await q(referencedAccountsSql(db))).map(unhex))].map(parseAccount);
  const accounts: MysqlAccount[] = [];
  for (const a of names.sort((x, y) => `${x.user}@${x.host}`.localeCompare(`${y.user}@${y.host}`))) accounts.push(await readAccount(e, a, o));
  return { format: MYSQL_GLOBALS_FORMAT, database: { name: db, charset: charset ?? 'utf8mb4', collation: collation ?? '' }, accounts };
}

/** CREATE DATABASE with the recorded defaults (a bare CREATE DATABASE takes the server's, often latin1). */
export function createMysqlDatabaseSql(quoted: string, g: MysqlGlobals | undefined): string {
  if (!g) return `CREATE DATABASE ${quoted}`;
  return `CREATE DATABASE ${quoted} CHARACTER SET ${g.database.charset.replace(/[^A-Za-z0-9_]/g, '')}${g.database.collation ? ` COLLATE ${g.database.collation.replace(/[^A-Za-z0-9_]/g, '')}` : ''}`;
}

export const accountExistsSql = (a: { user: string; host: string }) =>
  `SELECT COUNT(*) FROM mysql.user WHERE User = ${mysqlString(a.user)} AND Host = ${mysqlString(a.host)}`;
