// Clones, production into staging, against a real PostgreSQL and restic: a reader polling staging as the staging
// application's role sees only the old or the masked state; staging ends as the masked production data row by row;
// a failing masking step leaves staging exactly as it was; the source's own target is refused.
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { backup } from '../../src/runner/commands/backup.js';
import { clone } from '../../src/runner/commands/clone.js';
import { pgSideNames } from '../../src/runner/components/pg-swap.js';
import { pgExec, pgQuery, servers } from '../support/env.js';
import { MATRIX, onVariant } from '../support/matrix.js';
import { run } from '../support/servers.js';
import { makeApp, pgComponent, uniqueName, type App } from './fixture.js';

const ROWS = 3000;
const MASKED_EMAIL = `'user' || id || '@example.invalid'`;

/** Production: customers with real-looking e-mails and card numbers. */
async function seedProduction(db: string): Promise<void> {
  await pgExec(`CREATE DATABASE ${db}`);
  await pgExec(
    `CREATE TABLE customers (id int PRIMARY KEY, name text NOT NULL, email text NOT NULL, card text);
     INSERT INTO customers SELECT g, 'customer ' || g, 'person' || g || '@real-mail.example', lpad((g * 7919)::text, 16, '4') FROM generate_series(1, ${ROWS}) g;
     CREATE INDEX customers_email ON customers (email);`,
    db,
  );
}

/** Staging: a few rows of its own, readable by its application role only (CONNECT revoked from PUBLIC). */
async function seedStaging(db: string, role: string): Promise<void> {
  await pgExec(`CREATE DATABASE ${db}`);
  await pgExec(
    `DO $$ BEGIN IF NOT EXISTS (SELECT FROM pg_roles WHERE rolname = '${role}') THEN CREATE ROLE ${role} LOGIN PASSWORD 'stg-secret'; END IF; END $$`,
  );
  await pgExec(`REVOKE ALL ON DATABASE ${db} FROM PUBLIC; GRANT CONNECT ON DATABASE ${db} TO ${role}`);
  await pgExec(
    `CREATE TABLE customers (id int PRIMARY KEY, name text NOT NULL, email text NOT NULL, card text);
     INSERT INTO customers SELECT g, 'old staging ' || g, 'old' || g || '@staging.example', NULL FROM generate_series(1, 5) g;
     GRANT SELECT ON customers TO ${role};`,
    db,
  );
}

const rowsOf = (db: string) => pgQuery("SELECT id, name, email, coalesce(card, '-') FROM customers ORDER BY id", db);

/** One query as the staging application's role (its own password, never the restore login). */
async function asApp(role: string, db: string, sql: string): Promise<string> {
  const { binDir, host, port } = servers().postgres;
  return (
    await run(
      join(binDir, 'psql'),
      ['-X', '-A', '-t', '-q', '-v', 'ON_ERROR_STOP=1', '-h', host, '-p', String(port), '-U', role, '-d', `dbname='${db}'`, '-c', sql],
      {
        env: { PGPASSWORD: 'stg-secret', PGCONNECT_TIMEOUT: '5' },
      },
    )
  ).trim();
}

type Seen = 'old' | 'masked' | 'unreachable';

/**
 * Polls staging as the application role while `during` runs: each read is classified as the old state, the masked state
 * or no connection (the swap ends sessions); anything else — an unmasked row, a half-loaded table — is recorded as a
 * violation. The side database is probed too: the application role must never get into it.
 */
async function pollWhile(role: string, db: string, oldRows: string, during: () => Promise<unknown>) {
  const seen: Seen[] = [];
  let sideReads = 0;
  const violations: string[] = [];
  const side = pgSideNames(db).restoring;
  let done = false;
  const sample = `SELECT count(*) || '|' || count(*) FILTER (WHERE email NOT LIKE '%@example.invalid') || '|' || count(card) || '|' ||
    coalesce(string_agg(id || ',' || name || ',' || email, ';' ORDER BY id), '') FROM customers`;
  const oldSample = await asApp(role, db, sample);
  expect(oldRows).toContain('old staging 1');
  const reader = (async () => {
    while (!done) {
      try {
        const out = await asApp(role, db, sample);
        if (out === oldSample) seen.push('old');
        else if (out.startsWith(`${ROWS}|0|0|`)) seen.push('masked');
        else violations.push(`staging showed: ${out.slice(0, 160)}`);
      } catch {
        seen.push('unreachable');
      }
      try {
        // Opened (with staging's privileges) only after the masking: then it may be read, and only masked.
        const out = await asApp(role, side, "SELECT count(*) FILTER (WHERE email NOT LIKE '%@example.invalid' OR card IS NOT NULL) FROM customers");
        if (out === '0') sideReads++;
        else violations.push(`the application role read ${out} unmasked rows in the side database ${side}`);
      } catch (e) {
        // Refused at the door (no CONNECT, connections off) or not there: as it must be before the masking.
        const why = (e as Error).message;
        if (!/permission denied for database|does not exist|not currently accepting connections/.test(why))
          violations.push(`the application role got into the side database ${side}: ${why.split('\n').find((l) => /ERROR|FATAL/.test(l)) ?? why}`);
      }
    }
  })();
  while (!seen.length && !violations.length) await new Promise((r) => setTimeout(r, 10));
  try {
    await during();
  } finally {
    // Two more reads after the clone (at most 10 s): the reader must see the state it ends in.
    const until = Date.now() + 10_000;
    const after = seen.length + violations.length + 2;
    while (seen.length + violations.length < after && Date.now() < until) await new Promise((r) => setTimeout(r, 20));
    done = true;
    await reader;
  }
  return { seen, violations, sideReads };
}

async function apps(o: { mask: unknown[]; stagingDb?: string }) {
  const prodDb = uniqueName('prodshop');
  const stagingDb = o.stagingDb ?? uniqueName('stgshop');
  const role = uniqueName('stgapp');
  await seedProduction(prodDb);
  if (!o.stagingDb) await seedStaging(stagingDb, role);
  const prod = await makeApp({ name: uniqueName('shop'), values: { namespace: 'prod', components: [pgComponent('db', prodDb)] } });
  const sourceRepo = { local: { path: join(prod.dir, 'repo') }, password: { secretName: 'restic' } };
  const staging: App = await makeApp({
    name: uniqueName('shop'),
    values: {
      namespace: 'staging',
      components: [pgComponent('db', stagingDb)],
      clone: { from: { namespace: 'prod', name: prod.ctx().values.name, repository: sourceRepo }, mask: o.mask },
    },
  });
  const report = await backup(prod.ctx());
  expect(report.status).toBe('good');
  // Staging is backed up on its own schedule: its repository holds the clone's claim and record.
  expect((await backup(staging.ctx())).status).toBe('good');
  return { prodDb, stagingDb, role, prod, staging, setId: report.setId };
}

const MASK = [
  {
    component: 'db',
    sql: [
      // Slow on purpose: the unmasked rows sit in the side database for a while, and the reader keeps trying.
      'SELECT pg_sleep(1)',
      `UPDATE customers SET email = ${MASKED_EMAIL}, card = NULL`,
    ],
  },
  { component: 'db', sql: 'GRANT SELECT ON ALL TABLES IN SCHEMA public TO {{role}}' },
];
const maskFor = (role: string) => MASK.map((m) => ({ ...m, sql: typeof m.sql === 'string' ? m.sql.replace('{{role}}', role) : m.sql }));

describe("clones: production into staging, masked before the swap (PostgreSQL 17, the image's clients)", () => {
  onVariant(MATRIX.postgres[1]);

  it('a reader polling staging as its application role never sees an unmasked row; staging ends as masked production, row by row', async () => {
    const role = uniqueName('stgapp');
    const stagingDb = uniqueName('stgshop');
    await seedStaging(stagingDb, role);
    const a = await apps({ mask: maskFor(role), stagingDb });
    const prodBefore = await rowsOf(a.prodDb);
    const oldRows = await rowsOf(stagingDb);

    const { seen, violations } = await pollWhile(role, stagingDb, oldRows, () => clone(a.staging.ctx()));
    expect(violations).toEqual([]);
    expect(seen[0]).toBe('old');
    // The reader kept reading through the whole clone (the load and the 1 s masking step among it).
    expect(seen.filter((s) => s === 'old').length).toBeGreaterThanOrEqual(5);
    expect(seen.at(-1)).toBe('masked');
    // Once masked, never old again: one swap, no flicker.
    expect(seen.slice(seen.indexOf('masked')).filter((s) => s === 'old')).toEqual([]);

    // Row by row: the production rows with the masking applied; production untouched.
    const expected = await pgQuery(`SELECT id, name, ${MASKED_EMAIL}, '-' FROM customers ORDER BY id`, a.prodDb);
    expect(await rowsOf(stagingDb)).toBe(expected);
    expect(await rowsOf(a.prodDb)).toBe(prodBefore);
    expect(await pgQuery("SELECT count(*) FROM pg_indexes WHERE indexname = 'customers_email'", stagingDb)).toBe('1');
    // Staging's database privileges were carried over: PUBLIC still has no CONNECT, the application role has.
    expect(await pgQuery(`SELECT has_database_privilege('public', '${stagingDb}', 'CONNECT')`)).toBe('f');
    expect(await pgQuery(`SELECT has_database_privilege('${role}', '${stagingDb}', 'CONNECT')`)).toBe('t');
    // The old staging database is kept as the way back; no side database is left.
    expect(await pgQuery(`SELECT count(*) FROM pg_database WHERE datname = '${pgSideNames(stagingDb).previous}'`)).toBe('1');
    expect(await pgQuery(`SELECT count(*) FROM pg_database WHERE datname = '${pgSideNames(stagingDb).restoring}'`)).toBe('0');
    // Recorded like any one-shot request: the same clone never runs twice.
    await expect(clone(a.staging.ctx())).rejects.toThrow(/already ran/);
  }, 120_000);

  it('a failing masking step leaves staging exactly as it was: rows, privileges, no side database, the claim released', async () => {
    const a = await apps({ mask: [{ component: 'db', sql: [`UPDATE customers SET email = ${MASKED_EMAIL}`, 'SELECT 1 / 0'] }] });
    const before = await rowsOf(a.stagingDb);
    const acl = `SELECT datacl::text, pg_get_userbyid(datdba) FROM pg_database WHERE datname = '${a.stagingDb}'`;
    const aclBefore = await pgQuery(acl);

    await expect(clone(a.staging.ctx())).rejects.toThrow(/clone\.mask step 1 of db failed: .*division by zero/);
    expect(await rowsOf(a.stagingDb)).toBe(before);
    expect(await pgQuery(acl)).toBe(aclBefore);
    expect(await asApp(a.role, a.stagingDb, 'SELECT count(*) FROM customers')).toBe('5');
    const sides = Object.values(pgSideNames(a.stagingDb)).map((n) => `'${n}'`);
    expect(await pgQuery(`SELECT count(*) FROM pg_database WHERE datname IN (${sides.join(', ')})`)).toBe('0');

    // Nothing changed, so the claim is released: the corrected request (another id) runs at once.
    a.staging.update({
      clone: { ...(a.staging.ctx().values.clone as object), mask: [{ component: 'db', sql: `UPDATE customers SET email = ${MASKED_EMAIL}, card = NULL` }] },
    });
    await clone(a.staging.ctx());
    expect(await pgQuery(`SELECT count(*) FILTER (WHERE email LIKE '%@example.invalid') FROM customers`, a.stagingDb)).toBe(String(ROWS));
  }, 120_000);

  it("refuses to clone into the source's own target (same host, port and database as its set records), changing nothing", async () => {
    const a = await apps({ mask: [{ component: 'db', sql: `UPDATE customers SET email = ${MASKED_EMAIL}` }] });
    const prodBefore = await rowsOf(a.prodDb);
    // Staging's values point at production's database (a copy-paste slip), as written and with another spelling of the host.
    const c = pgComponent('db', a.prodDb);
    for (const host of [c.host, `${c.host}.`]) {
      a.staging.update({ components: [{ ...c, host }] });
      await expect(clone(a.staging.ctx())).rejects.toThrow(
        /clone refused, nothing was changed:\n {2}db: the target .* is where prod\/.* itself keeps this data/,
      );
    }
    expect(await rowsOf(a.prodDb)).toBe(prodBefore);
    expect(await pgQuery(`SELECT count(*) FROM pg_database WHERE datname = '${pgSideNames(a.prodDb).restoring}'`)).toBe('0');
    // Refused before the claim: no request record was written in staging's repository.
    expect(a.staging.logs.join('')).not.toMatch(/request claimed/);
  }, 120_000);
});
