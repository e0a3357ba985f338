// The soak's applications: one small database each, churned at a steady rate, and row-by-row fingerprints of it.
import type { Pg } from './db.js';

/**
 * One application's table: `rows` rows of text, numbers and incompressible bytes, a secondary index. The
 * application's name is in every row, so no two applications' data deduplicate against each other.
 */
export function soakSchemaSql(app: string, rows: number): string {
  return `
CREATE TABLE items (
  id bigint PRIMARY KEY, kind text NOT NULL, amount numeric(12,2) NOT NULL, rev integer NOT NULL,
  body text NOT NULL, blob bytea NOT NULL
);
INSERT INTO items
SELECT g, (ARRAY['order','refund','view','payment'])[1 + g % 4], round(((g * 7907) % 100000) / 100.0, 2), 0,
       '${app} item ' || g || ' ' || repeat(md5('${app}' || (g % 997)), 3), decode(md5('${app}' || g) || md5(g || '${app}'), 'hex')
FROM generate_series(1::bigint, ${rows}) g;
CREATE INDEX items_kind ON items (kind);
VACUUM ANALYZE items;`;
}

/** Share of the rows deleted (the oldest) and inserted (new ids) per cycle, and updated in place: a steady rate. */
export const CHURN = { replaced: 0.05, updated: 0.02 } as const;

/**
 * One cycle of steady churn: the oldest 5 % of rows deleted, as many new rows inserted, 2 % updated (a slice
 * chosen by the cycle, so every run of the soak churns alike). The row count and the data's size stay constant.
 */
export function soakChurnSql(app: string, cycle: number, rows: number): string {
  const n = Math.max(1, Math.round(rows * CHURN.replaced));
  const every = Math.round(1 / CHURN.updated);
  return `
DELETE FROM items WHERE id IN (SELECT id FROM items ORDER BY id LIMIT ${n});
INSERT INTO items
SELECT m + g, (ARRAY['order','refund','view','payment'])[1 + (m + g) % 4], round(((m + g) * 7907 % 100000) / 100.0, 2), 0,
       '${app} item ' || (m + g) || ' cycle ${cycle} ' || repeat(md5('${app}' || ((m + g) % 997)), 3),
       decode(md5('${app}' || (m + g)) || md5((m + g) || '${app}'), 'hex')
FROM (SELECT max(id) AS m FROM items) s, generate_series(1::bigint, ${n}) g;
UPDATE items SET rev = rev + 1, amount = amount + 1 WHERE id % ${every} = ${cycle % every};
VACUUM ANALYZE items;`;
}

/** One line per row, in key order: the row's id and the md5 of its whole text. */
const ROWS_SQL = `SELECT id || ' ' || md5(t::text) FROM items t ORDER BY id`;
/** The rows' lines folded into one value (for a drill check, which compares one value): count and digest. */
export const DIGEST_SQL = `SELECT count(*) || ' ' || coalesce(md5(string_agg(id || ' ' || md5(t::text), ',' ORDER BY id)), '-') FROM items t`;
/** The schema beside the rows: tables and indexes in public. */
const SHAPE_SQL = `SELECT (SELECT count(*) FROM pg_tables WHERE schemaname = 'public') || ' tables, ' || (SELECT count(*) FROM pg_indexes WHERE schemaname = 'public') || ' indexes'`;

export interface Fingerprint {
  readonly shape: string;
  readonly rows: readonly string[];
}

export async function fingerprint(pg: Pg, db: string): Promise<Fingerprint> {
  const [shape, rows] = await Promise.all([pg.sql(db, SHAPE_SQL), pg.sql(db, ROWS_SQL)]);
  return { shape, rows: rows ? rows.split('\n') : [] };
}

export const digest = (pg: Pg, db: string): Promise<string> => pg.sql(db, DIGEST_SQL);

/** What differs between the source and a restored copy, row by row (undefined: equal). Pure. */
export function rowDifference(source: Fingerprint, restored: Fingerprint): string | undefined {
  const want = new Map(source.rows.map((l) => l.split(' ') as [string, string]));
  const got = new Map(restored.rows.map((l) => l.split(' ') as [string, string]));
  const missing = [...want.keys()].filter((id) => !got.has(id));
  const extra = [...got.keys()].filter((id) => !want.has(id));
  const changed = [...want.keys()].filter((id) => got.has(id) && got.get(id) !== want.get(id));
  const problems = [
    ...(source.shape !== restored.shape ? [`schema ${restored.shape}, source ${source.shape}`] : []),
    ...(missing.length ? [`${missing.length} row(s) missing (ids ${missing.slice(0, 3).join(', ')}…)`] : []),
    ...(extra.length ? [`${extra.length} row(s) not in the source (ids ${extra.slice(0, 3).join(', ')}…)`] : []),
    ...(changed.length ? [`${changed.length} row(s) differ (ids ${changed.slice(0, 3).join(', ')}…)`] : []),
  ];
  return problems.length ? `${problems.join('; ')} of ${source.rows.length} source rows` : undefined;
}
