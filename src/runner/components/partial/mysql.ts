// MariaDB/MySQL partial restores: the chosen tables' sections of the dump into a side database, then one RENAME TABLE
// (live → previous, side → live), which is atomic and locks only those tables (docs/partial-restores.md).
import { createHash } from 'node:crypto';
import { RefusedError, SafeholdError } from '../../../errors.js';
import type { OnlySpec } from '../../../values/only.js';
import { createMysqlDatabaseSql, mysqlString, type MysqlGlobals } from '../../engines/mysql-globals.js';
import { mysql, mysqlStatement, quoteMysqlIdent as q } from '../../engines/mysql.js';
import type { Endpoint } from '../../engines/types.js';
import type { Logger } from '../../log.js';
import { feedFileThrough } from '../../process/pipe.js';
import { run } from '../../process/spawn.js';
import type { Staged } from '../pg-swap.js';
import { pickTables } from './mysql-sections.js';

const fit = (db: string, suffix: string) =>
  db.length + suffix.length <= 64 ? db + suffix : `safehold-${createHash('sha256').update(db).digest('hex').slice(0, 16)}${suffix}`;

/** The databases beside the live one: where the tables are built (or left for a pick), and where replaced ones are kept. */
export const mysqlPartialNames = (db: string) => ({
  side: fit(db, '-safehold-partial'),
  restored: fit(db, '-safehold-restored'),
  previous: fit(db, '-safehold-previous'),
});

const serverOnly = (e: Endpoint): Endpoint => ({ ...e, database: undefined });
const sql = (e: Endpoint, s: string) => run(mysqlStatement(serverOnly(e), s));
const list = (names: readonly string[]) => names.map(mysqlString).join(', ');

/** Triggers and foreign keys (either way) of the live tables: RENAME TABLE cannot carry them between databases. */
export async function mysqlRefusals(e: Endpoint, tables: readonly string[]): Promise<string[]> {
  const db = mysqlString(e.database!);
  const out = await sql(
    e,
    `SELECT CONCAT('table ', EVENT_OBJECT_TABLE, ' has trigger ', TRIGGER_NAME) FROM information_schema.TRIGGERS WHERE TRIGGER_SCHEMA = ${db} AND EVENT_OBJECT_TABLE IN (${list(tables)})
     UNION ALL SELECT CONCAT('table ', TABLE_NAME, ' has foreign key ', CONSTRAINT_NAME, ' referencing ', REFERENCED_TABLE_NAME) FROM information_schema.REFERENTIAL_CONSTRAINTS
       WHERE CONSTRAINT_SCHEMA = ${db} AND (TABLE_NAME IN (${list(tables)}) OR REFERENCED_TABLE_NAME IN (${list(tables)}))`,
  );
  return [...new Set(out.stdout.split('\n').filter((l) => l.trim()))];
}

const refusedMessage = (component: string, refusals: readonly string[]) =>
  `${component}: MariaDB cannot move tables with triggers or foreign keys between databases in one statement:\n  ${refusals.join('\n  ')}\n  restore the whole component, or restore into: side and copy the rows by hand; nothing was changed`;

export interface PartialMysqlOptions {
  readonly component: string;
  readonly spec: OnlySpec;
  readonly globals?: MysqlGlobals;
  readonly log: Logger;
}

/** Loads the chosen tables from the verified dump `file` into the side database; nothing live changes here. */
export async function stagePartialMysql(e: Endpoint, file: string, o: PartialMysqlOptions): Promise<Staged> {
  const tables = o.spec.tables ?? [];
  const names = mysqlPartialNames(e.database!);
  const into = o.spec.into === 'live' ? names.side : names.restored;
  if (o.spec.into === 'live') {
    const refusals = await mysqlRefusals(e, tables);
    if (refusals.length) throw new RefusedError(refusedMessage(o.component, refusals));
  }
  const dropSide = () => sql(e, `DROP DATABASE IF EXISTS ${q(into)}`);
  try {
    await dropSide();
    await sql(e, createMysqlDatabaseSql(q(into), o.globals));
    const pick = pickTables(tables);
    await feedFileThrough(file, pick, mysql.restore({ ...e, database: into }, file, { jobs: 1, clean: false })[0]);
    const missing = tables.filter((t) => !pick.findings.tables.has(t));
    if (missing.length) throw new RefusedError(`${o.component}: restore.only names tables the set does not hold: ${missing.join(', ')}; nothing was changed`);
    const carried = [
      ...[...pick.findings.triggers].map((t) => `table ${t} has triggers in the set`),
      ...[...pick.findings.foreignKeys].map((t) => `table ${t} has foreign keys in the set`),
    ];
    if (o.spec.into === 'live' && carried.length) throw new RefusedError(refusedMessage(o.component, carried));
  } catch (err) {
    await dropSide().catch(() => undefined);
    throw err;
  }
  o.log.info('partial restore staged; swapping next', { component: o.component, tables, into: o.spec.into });
  if (o.spec.into === 'side')
    return {
      component: o.component,
      commit: async () => `${o.component}: ${tables.join(', ')} restored beside the live ones into database ${into}`,
      abort: async () => void (await dropSide().catch(() => undefined)),
    };
  return {
    component: o.component,
    commit: () => swapTables(e, tables, names, o.component),
    abort: async () => void (await dropSide().catch(() => undefined)),
  };
}

async function swapTables(e: Endpoint, tables: readonly string[], names: ReturnType<typeof mysqlPartialNames>, component: string): Promise<string> {
  const db = e.database!;
  const live = (
    await sql(e, `SELECT TABLE_NAME FROM information_schema.TABLES WHERE TABLE_SCHEMA = ${mysqlString(db)} AND TABLE_NAME IN (${list(tables)})`)
  ).stdout
    .split('\n')
    .filter((l) => l.trim());
  try {
    await sql(e, `CREATE DATABASE IF NOT EXISTS ${q(names.previous)}`);
    for (const t of live) await sql(e, `DROP TABLE IF EXISTS ${q(names.previous)}.${q(t)}`);
    // One statement: atomic; sessions on other tables never wait.
    const pairs = [
      ...live.map((t) => `${q(db)}.${q(t)} TO ${q(names.previous)}.${q(t)}`),
      ...tables.map((t) => `${q(names.side)}.${q(t)} TO ${q(db)}.${q(t)}`),
    ];
    await sql(e, `RENAME TABLE ${pairs.join(', ')}`);
  } catch (err) {
    await sql(e, `DROP DATABASE IF EXISTS ${q(names.side)}`).catch(() => undefined);
    throw new SafeholdError(`${component}: RENAME TABLE failed, the live tables are as they were: ${(err as Error).message.split('\n')[0]}`);
  }
  await sql(e, `DROP DATABASE IF EXISTS ${q(names.side)}`);
  return `${component}: ${tables.join(', ')} replaced; the replaced tables are kept in database ${names.previous}`;
}

/** The plan's lines (read-only). */
export async function planPartialMysql(e: Endpoint, spec: OnlySpec, component: string): Promise<string[]> {
  const tables = spec.tables ?? [];
  const names = mysqlPartialNames(e.database!);
  if (spec.into === 'side')
    return [
      `${component}: partial restore of tables ${tables.join(', ')} as recorded in the set into database ${names.restored} (nothing live is replaced; it is emptied first)`,
    ];
  const refusals = await mysqlRefusals(e, tables).catch(() => []);
  return [
    `${component}: partial restore of tables ${tables.join(', ')} as recorded in the set (rows, indexes); every other table is left alone`,
    `${component}: load them into side database ${names.side}, then one RENAME TABLE: ${tables.map((t) => `${t} → ${names.previous}.${t} (the way back)`).join(', ')}, restored → in place`,
    ...refusals.map((r) => `${component}: REFUSED unless fixed: ${r}`),
    `${component}: on any failure before the rename, ${names.side} is dropped and the live tables are as they were`,
  ];
}
