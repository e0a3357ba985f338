// PostgreSQL partial restores (restore.only): one table back from the damaged state while a writer keeps writing to
// another; every other table untouched row by row; a failing partial restore leaves the database exactly as it was.
import { describe, expect, it } from 'vitest';
import { backup } from '../../src/runner/commands/backup.js';
import { restore } from '../../src/runner/commands/restore.js';
import { pgExec, pgQuery } from '../support/env.js';
import { onVariant, rows } from '../support/matrix.js';
import { makeApp, pgComponent, uniqueName } from './fixture.js';

async function seed(db: string): Promise<void> {
  await pgExec(`CREATE DATABASE ${db}`);
  await pgExec(
    `CREATE TABLE customers (id int PRIMARY KEY, name text NOT NULL);
     INSERT INTO customers SELECT g, 'customer ' || g FROM generate_series(1, 20) g;
     CREATE TABLE orders (id serial PRIMARY KEY, customer int NOT NULL REFERENCES customers (id), body text, qty int CHECK (qty >= 0));
     CREATE INDEX orders_body ON orders (body);
     INSERT INTO orders (customer, body, qty) SELECT 1 + g % 20, 'order ' || g, g FROM generate_series(1, 500) g;
     CREATE TABLE writes (id bigserial PRIMARY KEY, n int NOT NULL, at timestamptz DEFAULT clock_timestamp());`,
    db,
  );
}

const orders = (db: string, schema = 'public') => pgQuery(`SELECT id, customer, body, qty FROM "${schema}".orders ORDER BY id`, db);
const customers = (db: string) => pgQuery('SELECT id, name FROM customers ORDER BY id', db);
const sequence = (db: string, schema = 'public') => pgQuery(`SELECT last_value, is_called FROM "${schema}".orders_id_seq`, db);
const definitions = (db: string) =>
  pgQuery(
    `SELECT string_agg(x, E'\\n' ORDER BY x) FROM (
       SELECT 'index ' || indexname || ': ' || indexdef FROM pg_indexes WHERE schemaname = 'public' AND tablename = 'orders'
       UNION ALL SELECT 'constraint ' || conname || ': ' || pg_get_constraintdef(oid) FROM pg_constraint WHERE conrelid = 'public.orders'::regclass
       UNION ALL SELECT 'default ' || column_name || ': ' || column_default FROM information_schema.columns WHERE table_schema = 'public' AND table_name = 'orders' AND column_default IS NOT NULL
     ) q(x)`,
    db,
  );
/** Every table and schema of the database, and every row of every table but the writer's: what "exactly as it was" compares. */
const everything = async (db: string) =>
  [
    await pgQuery(`SELECT string_agg(nspname, ',' ORDER BY nspname) FROM pg_namespace WHERE nspname NOT LIKE 'pg\\_%' AND nspname <> 'information_schema'`, db),
    await pgQuery(
      `SELECT string_agg(schemaname || '.' || tablename, ',' ORDER BY 1) FROM pg_tables WHERE schemaname NOT IN ('pg_catalog', 'information_schema')`,
      db,
    ),
    await customers(db),
    await orders(db),
    await sequence(db),
    await definitions(db),
  ].join('\n---\n');

/** Inserts into `writes` as fast as psql allows; a lock wait over 1 s fails the insert (and the test). */
function writer(db: string) {
  let stop = false;
  const written: number[] = [];
  const failures: string[] = [];
  const latencies: number[] = [];
  const loop = (async () => {
    for (let n = 1; !stop; n++) {
      const t0 = Date.now();
      try {
        await pgExec(`SET lock_timeout = '1s'; INSERT INTO writes (n) VALUES (${n})`, db);
        written.push(n);
      } catch (e) {
        failures.push((e as Error).message.split('\n').slice(-3).join(' '));
      }
      latencies.push(Date.now() - t0);
    }
  })();
  return {
    written,
    failures,
    latencies,
    async stop() {
      stop = true;
      await loop;
    },
  };
}

describe.each(rows('postgres'))('postgres partial restores (%s)', (_name, variant) => {
  onVariant(variant);

  it('restore.only of a dropped table brings back its rows, indexes, constraints and sequence value while a writer keeps writing to another table', async () => {
    const db = uniqueName('pgp');
    await seed(db);
    const app = await makeApp({ values: { components: [pgComponent('db', db)] } });
    const rowsBefore = await orders(db);
    const seqBefore = await sequence(db);
    const defsBefore = await definitions(db);
    expect(defsBefore).toMatch(/index orders_body/);
    expect((await backup(app.ctx())).status).toBe('good');
    // The damage: the table is dropped; other tables change after the backup and must keep their changes.
    await pgExec(`DROP TABLE orders; INSERT INTO customers VALUES (21, 'after backup'); UPDATE customers SET name = 'renamed' WHERE id = 2`, db);
    const customersAfter = await customers(db);
    app.update({ restore: { only: { db: { tables: ['public.orders'] } } } });

    const w = writer(db);
    while (w.written.length < 5) await new Promise((r) => setTimeout(r, 20));
    const before = w.written.length;
    const plan = await restore(app.ctx());
    const during = w.written.length - before;
    await w.stop();

    expect(plan.components).toEqual(['db']);
    expect(plan.steps.join('\n')).toMatch(/partial restore of table public\.orders/);
    expect(await orders(db)).toBe(rowsBefore);
    expect(await sequence(db)).toBe(seqBefore);
    expect(await definitions(db)).toBe(defsBefore);
    expect(await customers(db)).toBe(customersAfter);
    // The writer was never refused or kept waiting on a lock, and it wrote while the restore ran.
    expect(w.failures).toEqual([]);
    expect(during).toBeGreaterThan(0);
    expect(await pgQuery("SELECT string_agg(n::text, ',' ORDER BY n) FROM writes", db)).toBe(w.written.join(','));
    // The restored sequence goes on from its value: the next id is the one after the stored one.
    expect(await pgQuery(`INSERT INTO orders (customer, body, qty) VALUES (1, 'new', 1) RETURNING id`, db)).toBe(String(Number(seqBefore.split('|')[0]) + 1));
    // Nothing of the staging is left; a second run of the same request is refused.
    expect(await pgQuery(`SELECT count(*) FROM pg_database WHERE datname LIKE '${db}%safehold%'`)).toBe('0');
    expect(await pgQuery(`SELECT count(*) FROM pg_namespace WHERE nspname LIKE '%safehold-restoring'`, db)).toBe('0');
    await expect(restore(app.ctx())).rejects.toThrow(/already ran/);
    console.log(`partial restore: writer wrote ${during} rows during the restore, slowest insert ${Math.max(...w.latencies)} ms`);
  });

  it('replaces a changed table and keeps the replaced one in "public.safehold-previous"; into: side leaves the live table alone', async () => {
    const db = uniqueName('pgp');
    await seed(db);
    const app = await makeApp({ values: { components: [pgComponent('db', db)] } });
    const stored = await orders(db);
    await backup(app.ctx());
    await pgExec(`DELETE FROM orders WHERE id % 2 = 0; UPDATE orders SET body = 'changed' WHERE id = 1`, db);
    const damaged = await orders(db);

    app.update({ restore: { only: { db: { tables: ['orders'], into: 'side' } } } });
    await restore(app.ctx());
    expect(await orders(db)).toBe(damaged);
    expect(await orders(db, 'public.safehold-restored')).toBe(stored);

    app.update({ restore: { only: { db: { tables: ['orders'] } } } });
    await restore(app.ctx());
    expect(await orders(db)).toBe(stored);
    expect(await orders(db, 'public.safehold-previous')).toBe(damaged);
  });

  it('a partial restore whose swap fails (a foreign key no longer satisfied) leaves the database exactly as it was', async () => {
    const db = uniqueName('pgp');
    await seed(db);
    const app = await makeApp({ values: { components: [pgComponent('db', db)] } });
    await backup(app.ctx());
    // Customer 5 and its orders are gone: the stored orders of customer 5 cannot come back alone.
    await pgExec('DELETE FROM orders WHERE customer = 5 OR id > 400; DELETE FROM customers WHERE id = 5', db);
    const asItWas = await everything(db);
    app.update({ restore: { only: { db: { tables: ['orders'] } } } });
    await expect(restore(app.ctx())).rejects.toThrow(/rolled back, the live tables are as they were[^]*foreign key/);
    expect(await everything(db)).toBe(asItWas);
    expect(await pgQuery(`SELECT count(*) FROM pg_database WHERE datname LIKE '${db}%safehold%'`)).toBe('0');
  });

  it('refuses up front, nothing changed, when another table has a foreign key to the table, or the set lacks it', async () => {
    const db = uniqueName('pgp');
    await seed(db);
    await pgExec('CREATE TABLE lines (id int PRIMARY KEY, order_id int REFERENCES orders (id)); INSERT INTO lines VALUES (1, 1)', db);
    const app = await makeApp({ values: { components: [pgComponent('db', db)] } });
    await backup(app.ctx());
    await pgExec(`UPDATE orders SET body = 'changed'`, db);
    const asItWas = await everything(db);
    app.update({ restore: { only: { db: { tables: ['orders'] } } } });
    const plan = await restore(app.ctx(), { planOnly: true });
    expect(plan.steps.join('\n')).toMatch(/REFUSED unless fixed: table lines has foreign key lines_order_id_fkey referencing orders/);
    await expect(restore(app.ctx())).rejects.toThrow(/restore refused, nothing was changed[^]*lines_order_id_fkey[^]*restore\.only\.db\.tables/);
    app.update({ restore: { only: { db: { tables: ['nosuch'] } }, requestId: 'b' } });
    await expect(restore(app.ctx())).rejects.toThrow(/does not hold: public\.nosuch[^]*nothing was changed/);
    expect(await everything(db)).toBe(asItWas);
  });
});
