// PostgreSQL partial restores: the chosen tables are built in a side database, brought into restoring schemas of the
// live database, and swapped in by one short transaction that locks only those tables (docs/partial-restores.md).
import { writeFileSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { RefusedError, SafeholdError } from '../../../errors.js';
import { pgTableName, type OnlySpec } from '../../../values/only.js';
import { BINARIES, binaryPath } from '../../binaries.js';
import { conn, dropDatabaseSql, dropSettings, NEWER_SESSION_SETTINGS, pgEnv, psql, psqlScript } from '../../engines/postgres.js';
import { quoteIdent } from '../../engines/pg-quote.js';
import type { Endpoint } from '../../engines/types.js';
import type { Logger } from '../../log.js';
import { pipe } from '../../process/pipe.js';
import { run, type ProcessSpec } from '../../process/spawn.js';
import type { Staged } from '../pg-swap.js';
import { pgSideNames } from '../pg-swap.js';
import { describeTables, dropRestoringSql, isolateScript, partialSchemas, refusalsQuery, schemasOf, statementsOnly, swapScript } from './pg-sql.js';
import { chosenTables, foreignKeyList, parseToc, sideList, type PgTable } from './pg-toc.js';

/** What the request names, as tables and schemas. */
export function pgWanted(spec: OnlySpec): { tables: PgTable[]; schemas: string[] } {
  return { tables: (spec.tables ?? []).map(pgTableName), schemas: spec.schemas ?? [] };
}

/** The partial side database: beside the whole-restore one, so the two never meet. */
export const partialSideDatabase = (db: string) => pgSideNames(`${db}.partial`).restoring;

const pgRestore = (args: readonly string[], file: string): ProcessSpec => ({ cmd: binaryPath(BINARIES.pgRestore), args: [...args, file] });
const psqlOneTransaction = (e: Endpoint): ProcessSpec => {
  const s = psqlScript(e);
  return { ...s, args: [...s.args, '--single-transaction'] };
};
const script = (e: Endpoint, sql: string) => run(psqlScript(e), `SET standard_conforming_strings = on;\n${sql}\n`);
const server = (e: Endpoint): Endpoint => ({ ...e, database: 'postgres' });

/** Reasons the live tables cannot be replaced alone (read-only; empty when none or when the database does not exist). */
export async function pgRefusals(e: Endpoint, tables: readonly PgTable[]): Promise<string[]> {
  if (!tables.length) return [];
  const out = await run(psql(e, refusalsQuery(tables), e.database));
  return out.stdout.split('\n').filter((l) => l.trim());
}

export interface PartialPgOptions {
  readonly component: string;
  readonly spec: OnlySpec;
  /** restore.owners: login gives the restored tables to the restore login. */
  readonly noOwner: boolean;
  readonly scratchDir: string;
  readonly log: Logger;
}

/**
 * Stages a partial restore from the verified archive `file`: nothing of the live tables changes here. Anything that
 * fails removes the side database and the restoring schemas, and rethrows.
 */
export async function stagePartialPostgres(e: Endpoint, file: string, o: PartialPgOptions): Promise<Staged> {
  const db = e.database!;
  const side: Endpoint = { ...e, database: partialSideDatabase(db) };
  const version = Number((await run(psql(e, 'SHOW server_version_num', db))).stdout.trim());
  const toc = parseToc((await run(pgRestore(['--list'], file))).stdout);
  const { tables, missing } = chosenTables(toc, pgWanted(o.spec));
  if (missing.length)
    throw new RefusedError(
      `${o.component}: restore.only names what the set does not hold: ${missing.join(', ')}; tables in the set: ${toc
        .filter((t) => t.desc === 'TABLE')
        .map((t) => `${t.schema}.${t.tag}`)
        .join(', ')}; nothing was changed`,
    );
  if (o.spec.into === 'live') {
    const refusals = await pgRefusals(e, tables);
    if (refusals.length)
      throw new RefusedError(
        `${o.component}: cannot replace ${describeTables(tables)} alone:\n  ${refusals.join('\n  ')}\n  add the tables that depend on them to restore.only.${o.component}.tables, or restore into: side and copy the rows by hand; nothing was changed`,
      );
  }
  const lists = join(o.scratchDir, `partial-${o.component}`);
  const dropSide = async () => {
    for (const sql of dropDatabaseSql(side.database!, version)) await run(psql(server(e), sql));
  };
  const cleanUp = async () => {
    await dropSide().catch((err) => o.log.error('could not drop the partial side database', { component: o.component, error: (err as Error).message }));
    await script(e, dropRestoringSql(tables)).catch((err) =>
      o.log.error('could not drop the restoring schemas', { component: o.component, error: (err as Error).message }),
    );
  };
  const owner = o.noOwner ? ['--no-owner'] : [];
  try {
    await dropSide();
    await script(e, dropRestoringSql(tables));
    await run(psql(server(e), `CREATE DATABASE ${quoteIdent(side.database!)}`));
    // 1. The whole schema and the chosen tables' data into the side database; the chosen tables moved to restoring schemas.
    writeFileSync(`${lists}.side`, sideList(toc, tables), { mode: 0o600 });
    await pipe(
      pgRestore(['--exit-on-error', ...owner, '-L', `${lists}.side`, '--file', '-'], file),
      psqlOneTransaction(side),
      undefined,
      dropSettings(NEWER_SESSION_SETTINGS),
    );
    await script(side, isolateScript(tables));
    // 2. Those schemas into the live database (a second copy of the chosen rows; nothing live is locked).
    const dump: ProcessSpec = {
      cmd: binaryPath(BINARIES.pgDump),
      args: ['--format=plain', ...owner, ...schemasOf(tables).flatMap((s) => ['--schema', quoteIdent(partialSchemas(s).restoring)]), ...conn(side)],
      env: pgEnv(side),
    };
    await pipe(dump, psqlOneTransaction(e), undefined, dropSettings(NEWER_SESSION_SETTINGS));
    writeFileSync(`${lists}.fk`, foreignKeyList(toc, tables), { mode: 0o600 });
    const foreignKeys = statementsOnly((await run(pgRestore(['-L', `${lists}.fk`, '--file', '-'], file))).stdout);
    await dropSide();
    o.log.info('partial restore staged; swapping next', { component: o.component, tables: describeTables(tables), into: o.spec.into });
    return {
      component: o.component,
      commit: () => swapTables(e, tables, o, foreignKeys),
      abort: cleanUp,
    };
  } catch (err) {
    await cleanUp();
    throw err;
  } finally {
    rmSync(`${lists}.side`, { force: true });
    rmSync(`${lists}.fk`, { force: true });
  }
}

/** The one transaction; retried when a long transaction on a chosen table holds it past lock_timeout. */
async function swapTables(e: Endpoint, tables: readonly PgTable[], o: PartialPgOptions, foreignKeys: string): Promise<string> {
  const sql = swapScript(tables, o.spec.into, foreignKeys);
  for (let attempt = 1; ; attempt++) {
    try {
      await script(e, sql);
      break;
    } catch (err) {
      if (attempt >= 4 || !/lock timeout/.test((err as Error).message)) {
        await script(e, dropRestoringSql(tables)).catch(() => undefined);
        throw new SafeholdError(
          `${o.component}: the swap of ${describeTables(tables)} was rolled back, the live tables are as they were: ${
            (err as Error).message
              .split('\n')
              .find((l) => /ERROR: /.test(l))
              ?.replace(/^psql:[^ ]* /, '') ?? (err as Error).message
          }`,
        );
      }
      o.log.warn('a transaction holds a table being replaced; retrying the swap', { component: o.component, attempt });
      await new Promise((r) => setTimeout(r, 500 * attempt));
    }
  }
  const where = o.spec.into === 'live' ? schemasOf(tables).map((s) => partialSchemas(s).previous) : schemasOf(tables).map((s) => partialSchemas(s).restored);
  return o.spec.into === 'live'
    ? `${o.component}: ${describeTables(tables)} replaced; the replaced tables are kept in ${where.join(', ')}`
    : `${o.component}: ${describeTables(tables)} restored beside the live ones into ${where.join(', ')}`;
}

/** The plan's lines (read-only). */
export async function planPartialPostgres(e: Endpoint, spec: OnlySpec, component: string): Promise<string[]> {
  const w = pgWanted(spec);
  const named = [...w.tables.map((t) => `table ${t.schema}.${t.table}`), ...w.schemas.map((s) => `every table of schema ${s}`)].join(', ');
  const what = `${named} as recorded in the set: rows, indexes, constraints, owned sequences and their values`;
  const lines = [`${component}: partial restore of ${what}; every other table is left alone, no session is ended`];
  if (spec.into === 'side') {
    lines.push(
      `${component}: into ${schemasForPlan(w, 'restored')} in ${e.database} (nothing live is replaced; older tables of the same names there are replaced)`,
    );
    return lines;
  }
  const refusals = w.tables.length ? await pgRefusals(e, w.tables).catch(() => []) : [];
  lines.push(
    `${component}: build them in side database ${partialSideDatabase(e.database!)}, then in ${e.database} into ${schemasForPlan(w, 'restoring')}`,
    `${component}: swap in one transaction (locks only these tables): live → ${schemasForPlan(w, 'previous')} (the way back), restored → in place, their foreign keys added and checked`,
    ...refusals.map((r) => `${component}: REFUSED unless fixed: ${r}`),
    `${component}: on any failure before or in the swap, the side database and restoring schemas are dropped and the live tables are as they were`,
  );
  return lines;
}

const schemasForPlan = (w: { tables: PgTable[]; schemas: string[] }, kind: 'restoring' | 'previous' | 'restored') =>
  [...new Set([...w.tables.map((t) => t.schema), ...w.schemas])].map((s) => `schema "${partialSchemas(s)[kind]}"`).join(', ');
