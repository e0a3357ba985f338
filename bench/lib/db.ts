// The bench database: mixed content generated with generate_series, and the daily churn patterns.
import { binaryPath, type Binary } from '../../src/runner/binaries.js';
import type { PostgresInfo } from '../../test/support/servers.js';
import { output, type Cmd } from './proc.js';

export interface Pg {
  readonly info: PostgresInfo;
  /** Runs SQL (psql -f -, ON_ERROR_STOP) in a database; returns unaligned tuples. */
  sql(db: string, text: string): Promise<string>;
  /** Connection arguments for pg_dump / pg_restore / psql. */
  conn(db: string): string[];
  bin(tool: string): string;
}

export function pgClient(info: PostgresInfo): Pg {
  const conn = (db: string) => ['-h', info.host, '-p', String(info.port), '-U', info.user, '-d', db];
  // The tools the runner starts (binaries.ts: PATH or SAFEHOLD_BIN_*), so every variant runs the same programs.
  const bin = (tool: string) => binaryPath(tool as Binary);
  return {
    info,
    conn,
    bin,
    sql: (db, text) =>
      output(
        { cmd: bin('psql'), args: ['-X', '-A', '-t', '-q', '-v', 'ON_ERROR_STOP=1', ...conn(db), '-f', '-'], env: { PGPASSWORD: info.password } },
        text,
      ).then((s) => s.trim()),
  };
}

/** ~0.44 KB of heap + indexes per event row: 250k events ≈ 110 MB on disk, 2.4M ≈ 1 GB. */
export const EVENTS_PER_MB = 2300;

/**
 * Two tables with text, numbers, timestamps, jsonb and bytea, four secondary indexes. Content compresses
 * like application data (gzip ≈ 3.5×): repeated words and keys next to hex digests that do not compress.
 */
export function generateSql(events: number): string {
  const customers = Math.max(1000, Math.round(events / 12));
  return `
CREATE TABLE customers (
  id integer PRIMARY KEY, name text NOT NULL, email text NOT NULL, country char(2) NOT NULL,
  created_at timestamptz NOT NULL, profile jsonb NOT NULL
);
INSERT INTO customers
SELECT g, 'customer ' || g || ' ' || substr(md5(g::text), 1, 10),
       'user' || g || '@example.' || (ARRAY['com','org','net','io'])[1 + g % 4],
       (ARRAY['DE','FR','US','GB','IT','ES','NL','PL','SE','JP'])[1 + g % 10],
       timestamptz '2020-01-01' + g * interval '17 minutes',
       jsonb_build_object('tier', (ARRAY['free','pro','team','enterprise'])[1 + g % 4], 'newsletter', g % 3 = 0, 'score', g % 1000)
FROM generate_series(1, ${customers}) g;
CREATE INDEX customers_email ON customers (email);

CREATE TABLE events (
  id bigint PRIMARY KEY, customer_id integer NOT NULL, kind text NOT NULL, amount numeric(12,2) NOT NULL,
  score double precision NOT NULL, created_at timestamptz NOT NULL, updated_at timestamptz,
  payload jsonb NOT NULL, note text NOT NULL, digest bytea NOT NULL
);
INSERT INTO events
SELECT g, 1 + (g * 7919) % ${customers},
       (ARRAY['order','refund','login','logout','view','click','signup','payment'])[1 + (g * 31) % 8],
       round(((g * 7907) % 100000) / 100.0, 2), ((g * 104729) % 1000003) / 1000003.0,
       timestamptz '2023-01-01' + g * interval '3 seconds', NULL,
       jsonb_build_object('session', md5(g::text), 'items', (g % 7) + 1, 'path', '/shop/item/' || (g % 5000),
                          'ua', (ARRAY['firefox','chrome','safari','edge'])[1 + g % 4]),
       'event ' || g || ': ' || repeat(substr(md5((g % 997)::text), 1, 16), (1 + g % 4)::int) || ' ' || md5((g * 3)::text),
       decode(md5(g::text) || md5((g + 1)::text), 'hex')
FROM generate_series(1::bigint, ${events}) g;
CREATE INDEX events_customer ON events (customer_id);
CREATE INDEX events_created ON events (created_at);
CREATE INDEX events_kind_created ON events (kind, created_at);
VACUUM ANALYZE;
`;
}

export async function createDatabase(pg: Pg, db: string, opts: { template?: string } = {}): Promise<void> {
  await pg.sql('postgres', `DROP DATABASE IF EXISTS ${db} WITH (FORCE);\nCREATE DATABASE ${db}${opts.template ? ` TEMPLATE ${opts.template}` : ''};`);
}

export async function generate(pg: Pg, db: string, mb: number): Promise<{ bytes: number; rows: number }> {
  await createDatabase(pg, db);
  const rows = Math.round(mb * EVENTS_PER_MB);
  await pg.sql(db, generateSql(rows));
  return { bytes: await databaseBytes(pg, db), rows };
}

export async function databaseBytes(pg: Pg, db: string): Promise<number> {
  return Number(await pg.sql(db, `SELECT pg_database_size(current_database())`));
}

export type Churn = 'skewed' | 'uniform';

/**
 * One day of application activity.
 * skewed: ~2 % of all rows updated, all among the newest 10 %, plus ~0.5 % new rows (how most databases age);
 * uniform: 2 % of rows updated at random across the whole table. Then VACUUM, as a nightly job would.
 */
export function churnSql(kind: Churn, day: number): string {
  const touch = `amount = amount + 1, score = random(), updated_at = timestamptz '2024-06-01' + ${day} * interval '1 day',
       payload = payload || jsonb_build_object('status', 'touched on day ${day}', 'rev', ${day})`;
  if (kind === 'uniform') {
    return `SELECT setseed(${day / 100});\nUPDATE events SET ${touch} WHERE random() < 0.02;\nVACUUM ANALYZE events;`;
  }
  return `SELECT setseed(${day / 100});
UPDATE events SET ${touch}
 WHERE id > (SELECT max(id) - (max(id) / 10) FROM events) AND random() < 0.2;
INSERT INTO events
SELECT m + g, 1 + ((m + g) * 7919) % 1000, 'order', round(random()::numeric * 1000, 2), random(),
       timestamptz '2024-06-01' + ${day} * interval '1 day' + g * interval '1 second', NULL,
       jsonb_build_object('session', md5((m + g)::text), 'items', 1 + g % 7, 'path', '/shop/item/' || (g % 5000), 'ua', 'firefox'),
       'event ' || (m + g) || ': ' || md5((m + g)::text), decode(md5((m + g)::text) || md5((m + g + 1)::text), 'hex')
FROM (SELECT max(id) AS m, count(*) AS n FROM events) s, generate_series(1::bigint, (SELECT count(*) / 200 FROM events)) g;
VACUUM ANALYZE events;`;
}

export async function churn(pg: Pg, db: string, kind: Churn, day: number): Promise<void> {
  await pg.sql(db, churnSql(kind, day));
}

/** pg_dump with the runner's flags (custom format, uncompressed, no fsync). */
export function dumpCmd(pg: Pg, db: string, extra: readonly string[] = ['--format=custom', '--compress=0', '--no-sync']): Cmd {
  return { cmd: pg.bin('pg_dump'), args: [...extra, ...pg.conn(db)] };
}
