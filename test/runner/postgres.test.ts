// PostgreSQL through restic, local and S3: rows compared after restore; failures are loud and leave no good set.
import { describe, expect, it, vi } from 'vitest';
import { backup } from '../../src/runner/commands/backup.js';
import { restore } from '../../src/runner/commands/restore.js';
import { listSets } from '../../src/runner/commands/snapshots.js';
import { pgExec, pgQuery } from '../support/env.js';
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

const snapshot = (db: string) => pgQuery('SELECT id, body, data::text, encode(blob, \'hex\') FROM events ORDER BY id', db);

describe('postgres round trip', () => {
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
      expect(report.components[0].bytes).toBeGreaterThan(10_000);

      await pgExec(`DELETE FROM events WHERE id % 2 = 0; INSERT INTO events (body) VALUES ('after backup')`, db);
      expect(await snapshot(db)).not.toBe(before);

      const plan = await restore(app.ctx());
      expect(plan.setId).toBe(report.setId);
      expect(plan.drop).toEqual(['db']);
      expect(await snapshot(db)).toBe(before);
      expect(await pgQuery("SELECT count(*) FROM pg_indexes WHERE indexname = 'events_body'", db)).toBe('1');
    });
  }

  it('restore --plan changes nothing and names what would be dropped', async () => {
    const db = uniqueName('pg');
    await seed(db, 10);
    const app = await makeApp({ values: { components: [pgComponent('db', db)], restore: { dropExisting: true, confirm: db } } });
    await backup(app.ctx());
    await pgExec('DELETE FROM events', db);
    const plan = await restore(app.ctx(), { planOnly: true });
    expect(plan.drop).toEqual(['db']);
    expect(plan.steps.join('\n')).toMatch(/DROP DATABASE/);
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
    const restoreEnv = withEnv({ SAFEHOLD_BIN_PG_DUMP: KILLER, SAFEHOLD_REAL_TOOL: 'pg_dump', KILL_AFTER: '200000' });
    await expect(backup(app.ctx())).rejects.toThrow(/killed by SIGKILL/);
    restoreEnv();
    const sets = await listSets(app.ctx());
    expect(sets.map((s) => [s.id, s.status])).toEqual([[good.setId, 'good']]);
    await pgExec('DELETE FROM events', db);
    await restore(app.ctx());
    expect(await snapshot(db)).toBe(before);
  });
});

describe('one-shot requests (drop-database and restore Jobs created together by a GitOps controller)', () => {
  it('restore waits for the drop request; drop refuses once the restore ran; a changed config is refused', async () => {
    const { dropDatabase } = await import('../../src/runner/commands/drop-database.js');
    const { dropRequestId, restoreRequestId } = await import('../../src/contract/requests.js');
    const db = uniqueName('pg');
    await seed(db, 30);
    const before = await snapshot(db);
    const app = await makeApp({ values: { components: [pgComponent('db', db)] } });
    await backup(app.ctx());
    app.update({ dropDatabase: { component: 'db', confirm: db }, restore: { snapshot: 'latest' } });
    const v = app.ctx().values;

    await expect(restore(app.ctx(), { dropWaitSeconds: 0.3 })).rejects.toThrow(/drop-database request .* has not run/);
    expect(await snapshot(db)).toBe(before);

    await expect(dropDatabase(app.ctx(), { expectRequest: 'drop-0000000000' })).rejects.toThrow(/created for drop request/);
    await expect(restore(app.ctx(), { expectRequest: 'restore-0000000000' })).rejects.toThrow(/created for restore request/);
    // Both at once, as a GitOps controller starts both Jobs, the restore first: it waits, the drop runs, then it
    // restores. Had it not waited, the drop would have removed the restored table.
    let settled = false;
    const restoring = restore(app.ctx(), { expectRequest: restoreRequestId(v), dropWaitSeconds: 60 }).finally(() => (settled = true));
    await vi.waitUntil(() => app.logs.some((l) => l.includes('waiting for the drop-database Job to finish first')), { timeout: 30_000, interval: 50 });
    // Time enough for a 30-row restore that did not wait to have finished: it must still be waiting.
    await new Promise((r) => setTimeout(r, 4000));
    expect(settled).toBe(false);
    await dropDatabase(app.ctx(), { expectRequest: dropRequestId(v) });
    await restoring;
    expect(await snapshot(db)).toBe(before);
    await expect(dropDatabase(app.ctx())).rejects.toThrow(/already ran/);
    app.update({ dropDatabase: { component: 'db', confirm: db, requestId: 'second' } });
    await expect(dropDatabase(app.ctx())).rejects.toThrow(/would destroy the restored data/);
    expect(await snapshot(db)).toBe(before);
  });
});

describe('pg_restore newer than the server (the image ships pg_restore 17)', () => {
  it('drops only the SET lines of settings the server does not know, across chunk boundaries', async () => {
    const { dropSettings } = await import('../../src/runner/engines/postgres.js');
    const t = dropSettings(['transaction_timeout']);
    const out: Buffer[] = [];
    t.on('data', (d: Buffer) => out.push(d));
    const done = new Promise((r) => t.on('end', r));
    for (const part of ['SET statement_timeout = 0;\nSET transac', 'tion_timeout = 0;\nSELECT 1;\n', "INSERT INTO t VALUES ('SET transaction_timeout = 0;');\nSET transaction_timeout = 0;"]) t.write(Buffer.from(part));
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
    const undo = withEnv({ SAFEHOLD_BIN_PG_RESTORE: tool('pg-restore-17.mjs'), SAFEHOLD_REAL_TOOL: 'pg_restore' });
    try {
      await restore(app.ctx());
    } finally {
      undo();
    }
    expect(await snapshot(db)).toBe(before);
    expect(app.logs.join('')).toMatch(/restoreJobs ignored: the server is older than pg_restore/);
  });
});
