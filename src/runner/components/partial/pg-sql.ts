// SQL of PostgreSQL partial restores: names of the schemas it uses, the refusals, the swap transaction. Pure.
import { createHash } from 'node:crypto';
import { quoteIdent } from '../../engines/pg-quote.js';
import { quoteLiteral } from '../../engines/postgres-globals.js';
import { tableKey, type PgTable } from './pg-toc.js';

const fit = (schema: string, suffix: string) =>
  Buffer.byteLength(schema + suffix) <= 63 ? schema + suffix : `safehold-${createHash('sha256').update(schema).digest('hex').slice(0, 16)}${suffix}`;

/** Schemas beside each source schema: where tables are built, kept after a replace, or left for a manual pick. */
export const partialSchemas = (schema: string) => ({
  restoring: fit(schema, '.safehold-restoring'),
  previous: fit(schema, '.safehold-previous'),
  restored: fit(schema, '.safehold-restored'),
});

const qualified = (schema: string, table: string) => `${quoteIdent(schema)}.${quoteIdent(table)}`;
export const schemasOf = (tables: readonly PgTable[]) => [...new Set(tables.map((t) => t.schema))];

/**
 * One line per reason the live tables cannot be replaced alone: a foreign key of another table pointing at one
 * (it would keep pointing at the replaced table), a view reading one (the same), a partitioned table or partition.
 */
export function refusalsQuery(tables: readonly PgTable[]): string {
  const pairs = tables.map((t) => `(${quoteLiteral(t.schema)}, ${quoteLiteral(t.table)})`).join(', ');
  return `WITH chosen AS (SELECT c.oid FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace WHERE (n.nspname, c.relname) IN (${pairs}))
SELECT format('table %s has foreign key %s referencing %s', k.conrelid::regclass, quote_ident(k.conname), k.confrelid::regclass)
  FROM pg_constraint k WHERE k.contype = 'f' AND k.confrelid IN (SELECT oid FROM chosen) AND k.conrelid NOT IN (SELECT oid FROM chosen)
UNION ALL
SELECT DISTINCT format('view %s reads %s', v.oid::regclass, d.refobjid::regclass)
  FROM pg_depend d JOIN pg_rewrite r ON r.oid = d.objid JOIN pg_class v ON v.oid = r.ev_class
  WHERE d.classid = 'pg_rewrite'::regclass AND d.refclassid = 'pg_class'::regclass AND d.refobjid IN (SELECT oid FROM chosen) AND v.oid NOT IN (SELECT oid FROM chosen)
UNION ALL
SELECT format('%s is partitioned or a partition (not supported by partial restores)', c.oid::regclass)
  FROM pg_class c WHERE c.oid IN (SELECT oid FROM chosen) AND (c.relkind = 'p' OR c.relispartition)`;
}

/** The same check inside the swap transaction, after the locks are taken: a dependent created meanwhile stops it. */
const refuseInside = (tables: readonly PgTable[]) => `DO $safehold$ DECLARE problems text; BEGIN
  SELECT string_agg(p, '; ') INTO problems FROM (${refusalsQuery(tables)}) q(p);
  IF problems IS NOT NULL THEN RAISE EXCEPTION 'partial restore refused: %', problems; END IF;
END $safehold$;`;

/** The kept copy loses its foreign keys: they would hold back deletes in the live tables they point at. */
const dropForeignKeys = (table: string) => `DO $safehold$ DECLARE k record; BEGIN
  FOR k IN SELECT conname FROM pg_constraint WHERE conrelid = to_regclass(${quoteLiteral(table)}) AND contype = 'f' LOOP
    EXECUTE format('ALTER TABLE %s DROP CONSTRAINT %I', ${quoteLiteral(table)}, k.conname);
  END LOOP;
END $safehold$;`;

/** In the side database: the chosen tables (with indexes, constraints and owned sequences) moved into the restoring schemas. */
export function isolateScript(tables: readonly PgTable[]): string {
  return [
    ...schemasOf(tables).map((s) => `CREATE SCHEMA ${quoteIdent(partialSchemas(s).restoring)};`),
    ...tables.map((t) => `ALTER TABLE ${qualified(t.schema, t.table)} SET SCHEMA ${quoteIdent(partialSchemas(t.schema).restoring)};`),
  ].join('\n');
}

/** Removes restoring schemas a failed attempt left in the live database. */
export const dropRestoringSql = (tables: readonly PgTable[]) =>
  schemasOf(tables)
    .map((s) => `DROP SCHEMA IF EXISTS ${quoteIdent(partialSchemas(s).restoring)} CASCADE;`)
    .join('\n');

/**
 * The one transaction on the live database. live: each live table (its indexes, constraints and owned sequences
 * with it) moves to the previous schema, replacing an older kept copy; the restored one moves into place; the
 * foreign keys the set records for it are added (and checked). side: the restored tables move to the restored schema.
 */
export function swapScript(tables: readonly PgTable[], into: 'live' | 'side', foreignKeys: string, lockTimeout = '5s'): string {
  const moves =
    into === 'live'
      ? [
          refuseInside(tables),
          ...schemasOf(tables).map((s) => `CREATE SCHEMA IF NOT EXISTS ${quoteIdent(partialSchemas(s).previous)};`),
          ...tables.flatMap((t) => {
            const n = partialSchemas(t.schema);
            return [
              `DROP TABLE IF EXISTS ${qualified(n.previous, t.table)};`,
              `ALTER TABLE IF EXISTS ${qualified(t.schema, t.table)} SET SCHEMA ${quoteIdent(n.previous)};`,
              dropForeignKeys(qualified(n.previous, t.table)),
              `ALTER TABLE ${qualified(n.restoring, t.table)} SET SCHEMA ${quoteIdent(t.schema)};`,
            ];
          }),
          foreignKeys,
        ]
      : [
          ...schemasOf(tables).map((s) => `CREATE SCHEMA IF NOT EXISTS ${quoteIdent(partialSchemas(s).restored)};`),
          ...tables.flatMap((t) => {
            const n = partialSchemas(t.schema);
            return [
              `DROP TABLE IF EXISTS ${qualified(n.restored, t.table)};`,
              `ALTER TABLE ${qualified(n.restoring, t.table)} SET SCHEMA ${quoteIdent(n.restored)};`,
            ];
          }),
        ];
  return [
    `SET lock_timeout = ${quoteLiteral(lockTimeout)};`,
    'BEGIN;',
    ...moves,
    ...schemasOf(tables).map((s) => `DROP SCHEMA ${quoteIdent(partialSchemas(s).restoring)};`),
    'COMMIT;',
  ].join('\n');
}

/** Keeps the statements of pg_restore's SQL for the foreign keys; its session settings are left out (they would outlive the swap). */
export function statementsOnly(sql: string): string {
  return sql
    .split('\n')
    .filter((l) => l.trim() && !l.startsWith('--') && !/^SET /.test(l) && !/^SELECT pg_catalog\.set_config/.test(l) && !l.startsWith('\\'))
    .join('\n');
}

export const describeTables = (tables: readonly PgTable[]) => tables.map(tableKey).join(', ');
