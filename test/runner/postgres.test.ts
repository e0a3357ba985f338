// PostgreSQL through restic, local and S3: rows compared after restore; failures are loud and leave no good set.
import { describe, expect, it } from 'vitest';
import { backup } from '../../src/runner/commands/backup.js';
import { restore } from '../../src/runner/commands/restore.js';
import { listSets } from '../../src/runner/commands/snapshots.js';
import { BINARIES, binaryPath } from '../../src/runner/binaries.js';
import { baseFilter } from '../../src/runner/sets.js';
import { pgExec, pgQuery } from '../support/env.js';
import { majorPattern, MATRIX, onVariant, rows } from '../support/matrix.js';
import { tool, withEnv } from '../support/with-env.js';
import { makeApp, pgComponent, s3Repository, uniqueName } from './fixture.js';

async function seed(db: string, rows = 2000): Promise<void> {
  await pgExec(`CREATE DATABASE ${db}`);
  await pgExec(
    `CREATE TABLE events (id serial primary key, body text, data jsonb, at timestamptz default now(), blob bytea);
     INSERT INTO events (body, data, blob) SELECT 'event ' || g, jsonb_build_object('n', g), decode(md5(g::text), 'hex') FROM generate_series(1, ${rows}) g;
     CREATE INDEX events_body ON events (body);`,
    db,
  );
}

const KILLER = tool('killed-midstream.mjs');

const snapshot = (db: string) => pgQuery("SELECT id, body, data::text, encode(blob, 'hex') FROM events ORDER BY id", db);

describe.each(rows('postgres'))("postgres round trip (%s, the image's clients, restic 0.18)", (_name, variant) => {
  onVariant(variant);
  for (const where of ['local', 's3'] as const) {
    it(`backs up and restores row by row (${where} repository)`, async () => {
      const db = uniqueName('pg');
      await seed(db);
      const before = await snapshot(db);
      const app = await makeApp({
        repo: where === 's3' ? s3Repository(uniqueName('pgrt')) : undefined,
        values: { components: [pgComponent('db', db)], restore: { snapshot: 'latest', dropExisting: true, confirm: db } },
      });
      const report = await backup(app.ctx());
      expect(report.status).toBe('good');
      expect(report.components[0]).toMatchObject({
        clientVersion: expect.stringMatching(/^17\./),
        serverVersion: expect.stringMatching(majorPattern(variant)),
      });
      expect(report.components[0].bytes).toBeGreaterThan(10_000);
      const ctx = app.ctx();
      const programs = (await ctx.restic.snapshots(baseFilter(ctx.values))).map((x) => (x as { program_version?: string }).program_version);
      expect(new Set(programs)).toEqual(new Set(['restic 0.18.0']));

      await pgExec(`DELETE FROM events WHERE id % 2 = 0; INSERT INTO events (body) VALUES ('after backup')`, db);
      expect(await snapshot(db)).not.toBe(before);

      const plan = await restore(app.ctx());
      expect(plan.setId).toBe(report.setId);
      // PostgreSQL is swapped in, never dropped first: the replaced database is kept as the way back.
      expect(plan.drop).toEqual([]);
      expect(await pgQuery(`SELECT count(*) FROM pg_database WHERE datname = '${db}.safehold-previous'`)).toBe('1');
      expect(await snapshot(db)).toBe(before);
      expect(await pgQuery("SELECT count(*) FROM pg_indexes WHERE indexname = 'events_body'", db)).toBe('1');
    });
  }

  it('restore --plan changes nothing and names the side database, the swap and the way back', async () => {
    const db = uniqueName('pg');
    await seed(db, 10);
    const app = await makeApp({ values: { components: [pgComponent('db', db)], restore: { dropExisting: true, confirm: db } } });
    await backup(app.ctx());
    await pgExec('DELETE FROM events', db);
    const plan = await restore(app.ctx(), { planOnly: true });
    expect(plan.drop).toEqual([]);
    const steps = plan.steps.join('\n');
    expect(steps).toMatch(
      new RegExp(`create side database ${db}\\.safehold-restoring[^]*swap: end sessions of ${db}, rename ${db} → ${db}\\.safehold-previous[^]*way back`),
    );
    expect(steps).not.toMatch(/DROP DATABASE/);
    expect(await pgQuery('SELECT count(*) FROM events', db)).toBe('0');
  });

  it('a second identical restore request refuses; a changed one runs', async () => {
    const db = uniqueName('pg');
    await seed(db, 10);
    const app = await makeApp({ values: { components: [pgComponent('db', db)], restore: { snapshot: 'latest' } } });
    await backup(app.ctx());
    await restore(app.ctx());
    await expect(restore(app.ctx())).rejects.toThrow(/already ran/);
    app.update({ restore: { snapshot: 'latest', requestId: 'again' } });
    await expect(restore(app.ctx())).resolves.toBeTruthy();
  });

  it('pg_dump failing mid-stream fails the backup; no complete set exists; the previous set still restores', async () => {
    const db = uniqueName('pg');
    await seed(db, 500);
    const before = await snapshot(db);
    const app = await makeApp({ values: { components: [pgComponent('db', db)], restore: { dropExisting: true, confirm: db } } });
    const good = await backup(app.ctx());
    await pgExec(`INSERT INTO events (body) SELECT repeat('x', 1000) FROM generate_series(1, 2000)`, db);
    const restoreEnv = withEnv({ SAFEHOLD_BIN_PG_DUMP: KILLER, SAFEHOLD_REAL_TOOL: binaryPath(BINARIES.pgDump), KILL_AFTER: '200000' });
    await expect(backup(app.ctx())).rejects.toThrow(/killed by SIGKILL/);
    restoreEnv();
    const sets = await listSets(app.ctx());
    expect(sets.map((s) => [s.id, s.status])).toEqual([[good.setId, 'good']]);
    await pgExec('DELETE FROM events', db);
    await restore(app.ctx());
    expect(await snapshot(db)).toBe(before);
  });
});

describe('one-shot requests: a Job runs only the request it was created for', () => {
  // Ordering, claims and repository records: test/runner/requests.test.ts.
  it('a changed config is refused by the drop and the restore Job before anything changes', async () => {
    const { dropDatabase } = await import('../../src/runner/commands/drop-database.js');
    const { dropRequestId, restoreRequestId } = await import('../../src/contract/requests.js');
    const db = uniqueName('pg');
    await seed(db, 30);
    const before = await snapshot(db);
    const app = await makeApp({ values: { components: [pgComponent('db', db)] } });
    await backup(app.ctx());
    app.update({ dropDatabase: { component: 'db', confirm: db }, restore: { snapshot: 'latest' } });
    const v = app.ctx().values;
    await expect(dropDatabase(app.ctx(), { expectRequest: 'drop-0000000000' })).rejects.toThrow(/created for drop request/);
    await expect(restore(app.ctx(), { expectRequest: 'restore-0000000000' })).rejects.toThrow(/created for restore request/);
    expect(await snapshot(db)).toBe(before);
    // The drop of the request it was created for drops on the go-ahead of the restore of the same request.
    const dropping = dropDatabase(app.ctx(), { expectRequest: dropRequestId(v), goAheadWaitSeconds: 120 });
    await restore(app.ctx(), { expectRequest: restoreRequestId(v) });
    await expect(dropping).resolves.toBe(dropRequestId(v));
    expect(await snapshot(db)).toBe(before);
  });
});

describe("pg_restore newer than the server (the image's pg_restore 17 into PostgreSQL 15)", () => {
  onVariant(MATRIX.postgres[0]!);
  it('drops only the SET lines of settings the server does not know, across chunk boundaries', async () => {
    const { dropSettings } = await import('../../src/runner/engines/postgres.js');
    const t = dropSettings(['transaction_timeout']);
    const out: Buffer[] = [];
    t.on('data', (d: Buffer) => out.push(d));
    const done = new Promise((r) => t.on('end', r));
    for (const part of [
      'SET statement_timeout = 0;\nSET transac',
      'tion_timeout = 0;\nSELECT 1;\n',
      "INSERT INTO t VALUES ('SET transaction_timeout = 0;');\nSET transaction_timeout = 0;",
    ])
      t.write(Buffer.from(part));
    t.end();
    await done;
    expect(Buffer.concat(out).toString()).toBe("SET statement_timeout = 0;\nSELECT 1;\nINSERT INTO t VALUES ('SET transaction_timeout = 0;');\n");
  });

  it('restores into an older server through psql, rows compared', async () => {
    const db = uniqueName('pg');
    await seed(db, 300);
    const before = await snapshot(db);
    const app = await makeApp({ values: { components: [{ ...pgComponent('db', db), restoreJobs: 2 }], restore: { dropExisting: true, confirm: db } } });
    await backup(app.ctx());
    await pgExec('DELETE FROM events', db);
    await restore(app.ctx());
    expect(await snapshot(db)).toBe(before);
    expect(app.logs.join('')).toMatch(/restoreJobs ignored: the server is older than pg_restore/);
  });
});
