// The CockroachDB dump script, run against PostgreSQL as a stand-in (no CockroachDB here).
//
// What the stand-in exercises: the psql script on stdin, the one snapshot transaction, the drop
// list, CREATE SCHEMA, the \gexec COPY framing (header, rows, "\."), computed columns left out,
// setval for sequences, REFRESH of materialized views, ALTERs after the data, the trailer, and the
// restore through the engine's own psql spec — twice, the second over the first.
// What differs from CockroachDB: SHOW CREATE ALL TABLES is replaced by a function that returns the
// test's hand-written DDL (PostgreSQL has no SQL-level DDL generator), BEGIN AS OF SYSTEM TIME by
// BEGIN … REPEATABLE READ READ ONLY, and the is_hidden column filter is dropped (PostgreSQL has no
// hidden columns). recreate/drop (DROP DATABASE … CASCADE, run on defaultdb) are CockroachDB-only
// syntax and are not run here; the version judge is unit-tested in version.test.ts.
import { createWriteStream, readFileSync, truncateSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { cockroachdb, cockroachDumpScript, type CockroachDialect } from '../../src/runner/engines/cockroachdb.js';
import type { Endpoint } from '../../src/runner/engines/types.js';
import { drain, feedFile } from '../../src/runner/process/pipe.js';
import { pgExec, pgQuery, servers, tmpDir } from '../support/env.js';
import { uniqueName } from './fixture.js';

const STANDIN: CockroachDialect = {
  begin: 'BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY;',
  createStatements: 'public.show_create_all_tables()',
  columnFilter: '',
};

const DDL = [
  'CREATE SEQUENCE app.ticket_no',
  'CREATE TABLE public.customers (id INT PRIMARY KEY, name TEXT NOT NULL, note TEXT);',
  'CREATE TABLE app.orders (id INT PRIMARY KEY, customer_id INT NOT NULL, body TEXT, blob BYTEA, data JSONB, at TIMESTAMPTZ, total INT GENERATED ALWAYS AS (id * 10) STORED)',
  'CREATE TABLE public.empty_one (id INT PRIMARY KEY)',
  'CREATE VIEW public.customer_names AS SELECT name FROM public.customers',
  'CREATE MATERIALIZED VIEW public.order_counts AS SELECT customer_id, count(*) AS n FROM app.orders GROUP BY customer_id',
  'ALTER TABLE app.orders ADD CONSTRAINT orders_customer_fk FOREIGN KEY (customer_id) REFERENCES public.customers (id)',
];

async function seed(db: string): Promise<void> {
  await pgExec(`CREATE DATABASE ${db}`);
  await pgExec(
    `CREATE SCHEMA app;
     ${DDL.map((s) => `${s.replace(/;$/, '')};`).join('\n')}
     SELECT nextval('app.ticket_no') FROM generate_series(1, 5);
     INSERT INTO customers SELECT g, 'customer ' || g, CASE WHEN g % 3 = 0 THEN NULL ELSE E'tab\\there\\nnew line \\\\ é 😀' END FROM generate_series(1, 50) g;
     INSERT INTO app.orders (id, customer_id, body, blob, data, at)
       SELECT g, 1 + g % 50, 'order ' || g, decode(md5(g::text) || '000a0d5c', 'hex'), jsonb_build_object('n', g, 's', E'q"\\\\'), '2024-02-29 12:00:00+00'::timestamptz + g * interval '1 minute'
       FROM generate_series(1, 400) g;
     REFRESH MATERIALIZED VIEW order_counts;
     CREATE FUNCTION public.show_create_all_tables() RETURNS TABLE (create_statement TEXT) LANGUAGE sql AS $$
       SELECT unnest(ARRAY[${DDL.map((s) => `$ddl$${s}$ddl$`).join(', ')}])
     $$;`,
    db,
  );
}

const snapshot = async (db: string) =>
  [
    await pgQuery('SELECT * FROM customers ORDER BY id', db),
    await pgQuery("SELECT id, customer_id, body, encode(blob, 'hex'), data::text, at, total FROM app.orders ORDER BY id", db),
    await pgQuery('SELECT * FROM order_counts ORDER BY 1', db),
    await pgQuery('SELECT count(*) FROM customer_names', db),
    await pgQuery("SELECT conname FROM pg_constraint WHERE contype = 'f'", db),
    await pgQuery('SELECT last_value, is_called FROM app.ticket_no', db),
  ].join('\n---\n');

describe('cockroachdb dump script (PostgreSQL stand-in)', () => {
  it('the dump spec feeds the script on stdin and keeps SQL and password out of argv', () => {
    const spec = cockroachdb.dump({ host: 'crdb', port: 26257, database: 'shop', username: 'backup', password: 'pw' });
    expect(spec.args.slice(-2)).toEqual(['-f', '-']);
    expect(spec.input).toBe(cockroachDumpScript());
    expect(spec.input).toContain('[SHOW CREATE ALL TABLES]');
    expect(spec.input).toContain("BEGIN AS OF SYSTEM TIME '-1s';");
    expect(spec.env).toMatchObject({ PGPASSWORD: 'pw' });
  });

  it('dumps schema, rows and sequences, restores into an empty database and again over it', async () => {
    const src = uniqueName('crsrc');
    const dst = uniqueName('crdst');
    await seed(src);
    await pgExec(`CREATE DATABASE ${dst}`);
    const before = await snapshot(src);
    const pg = servers().postgres;
    const at = (database: string): Endpoint => ({ host: pg.host, port: pg.port, username: pg.user, password: pg.password, database });
    const file = join(await tmpDir('crdb'), 'dump.sql');

    const stats = await drain({ ...cockroachdb.dump(at(src)), input: cockroachDumpScript(STANDIN) }, createWriteStream(file));
    expect(stats.bytes).toBe(statSync(file).size);
    const text = readFileSync(file, 'utf8');
    expect(text.trimEnd().endsWith('-- Dump completed')).toBe(true);
    expect(cockroachdb.checkFile!(file)).toBe('sql-trailer');
    // Order: drops, schema, CREATEs, data (no computed column), sequence values, refresh, constraints.
    const pos = (s: string) => text.indexOf(s);
    expect(pos('DROP TABLE IF EXISTS app.orders CASCADE;')).toBeGreaterThanOrEqual(0);
    expect(pos('CREATE SCHEMA IF NOT EXISTS app;')).toBeGreaterThan(pos('DROP SEQUENCE IF EXISTS app.ticket_no CASCADE;'));
    expect(pos('COPY app.orders (id, customer_id, body, blob, data, at) FROM stdin;')).toBeGreaterThan(pos('CREATE TABLE app.orders'));
    expect(pos("SELECT setval('app.ticket_no', 5, true);")).toBeGreaterThan(pos('COPY public.empty_one (id) FROM stdin;'));
    expect(pos('REFRESH MATERIALIZED VIEW public.order_counts;')).toBeGreaterThan(pos('SELECT setval('));
    expect(pos('ALTER TABLE app.orders ADD CONSTRAINT orders_customer_fk')).toBeGreaterThan(pos('REFRESH MATERIALIZED VIEW'));

    for (const round of [1, 2]) {
      for (const spec of cockroachdb.restore(at(dst), file, { jobs: 1, clean: true })) await feedFile(file, spec);
      expect(await snapshot(dst), `restore round ${round}`).toBe(before);
    }
    expect(await pgQuery("SELECT nextval('app.ticket_no')", dst)).toBe('6');
    await expect(pgExec('INSERT INTO app.orders (id, customer_id) VALUES (9999, 12345)', dst)).rejects.toThrow(/orders_customer_fk/);

    // A dump cut short has no trailer; the restore tool stops at the first error (ON_ERROR_STOP):
    // the cut row fails its COPY and nothing after it runs: the constraint added after the data is absent.
    truncateSync(file, Math.floor(stats.bytes / 2));
    expect(readFileSync(file, 'utf8')).not.toContain('-- Dump completed');
    const cut = uniqueName('crcut');
    await pgExec(`CREATE DATABASE ${cut}`);
    const [spec] = cockroachdb.restore(at(cut), file, { jobs: 1, clean: true });
    await expect(feedFile(file, spec)).rejects.toThrow(/psql .*exited with code 3[\s\S]*ERROR/);
    expect(await pgQuery("SELECT count(*) FROM pg_tables WHERE schemaname = 'app' AND tablename = 'orders'", cut)).toBe('1');
    expect(await pgQuery("SELECT count(*) FROM pg_constraint WHERE conname = 'orders_customer_fk'", cut)).toBe('0');
  });

  it("a failing statement fails the dump (ON_ERROR_STOP) with psql's message", async () => {
    const pg = servers().postgres;
    const db = uniqueName('crbad');
    await pgExec(`CREATE DATABASE ${db}`);
    const spec = cockroachdb.dump({ host: pg.host, port: pg.port, username: pg.user, password: pg.password, database: db });
    // Against PostgreSQL the real script fails at once: AS OF SYSTEM TIME is CockroachDB syntax.
    await expect(drain(spec, createWriteStream(join(await tmpDir('crdb'), 'x.sql')))).rejects.toThrow(/psql .*exited with code 3[\s\S]*syntax error/);
  });
});
