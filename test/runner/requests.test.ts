// One-shot requests against real PostgreSQL and restic: the repository record is the truth, a claim comes before any
// destruction, a drop runs only on its restore's go-ahead, and no backup stores a half-restored database.
import { spawn } from 'node:child_process';
import { existsSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it, vi } from 'vitest';
import { dropRequestId, restoreRequestId } from '../../src/contract/requests.js';
import { backup } from '../../src/runner/commands/backup.js';
import { dropDatabase } from '../../src/runner/commands/drop-database.js';
import { restore } from '../../src/runner/commands/restore.js';
import { listRequests, listSets } from '../../src/runner/commands/snapshots.js';
import { buildContext } from '../../src/runner/context.js';
import { silentLogger } from '../../src/runner/log.js';
import { claimRequest } from '../../src/runner/requests/claim.js';
import { pgExec, pgQuery, pushedMetrics, servers } from '../support/env.js';
import { holdPgRestore } from '../support/held-restore.js';
import { tool } from '../support/with-env.js';
import { makeApp, pgComponent, uniqueName, type App } from './fixture.js';

const ROOT = join(import.meta.dirname, '..', '..');
const rows = (db: string) => pgQuery('SELECT id, body, md5(data::text) FROM events ORDER BY id', db);
const tables = (db: string) => pgQuery("SELECT count(*) FROM pg_tables WHERE schemaname = 'public'", db);

async function seeded(n = 200): Promise<string> {
  const db = uniqueName('rq');
  await pgExec(`CREATE DATABASE ${db}`);
  await pgExec(
    `CREATE TABLE events (id int primary key, body text, data jsonb); INSERT INTO events SELECT g, 'event ' || g, jsonb_build_object('n', g) FROM generate_series(1, ${n}) g;`,
    db,
  );
  return db;
}

/** The runner CLI as its own process (what a second pod is); `started` gets the child (its own process group). */
function cli(
  app: App,
  args: string[],
  scratch: string,
  env: Record<string, string> = {},
  started?: (child: ReturnType<typeof spawn>) => void,
): Promise<{ code: number; stderr: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn(
      process.execPath,
      [
        '--import',
        'tsx',
        join(ROOT, 'src', 'cli.ts'),
        ...args,
        '--values',
        app.valuesFile,
        '--secrets-dir',
        app.secretsDir,
        '--scratch-dir',
        join(app.dir, scratch),
      ],
      {
        cwd: ROOT,
        env: { ...process.env, NODE_NO_WARNINGS: '1', KUBERNETES_SERVICE_HOST: '', ...env },
        stdio: ['ignore', 'ignore', 'pipe'],
        detached: !!started,
      },
    );
    started?.(child);
    let stderr = '';
    child.stderr.on('data', (d) => (stderr += d));
    child.on('error', reject);
    child.on('close', (code) => resolve({ code: code ?? -1, stderr }));
  });
}

async function disaster(db: string): Promise<void> {
  await pgExec("DELETE FROM events WHERE id % 3 = 0; UPDATE events SET body = 'damaged' WHERE id % 5 = 0", db);
}

describe('durable records in the repository', () => {
  it('a finished request is refused by the repository record with the ledger gone or a fresh --ledger; a new requestId runs', async () => {
    const db = await seeded();
    const before = await rows(db);
    const app = await makeApp({ values: { components: [pgComponent('db', db)], restore: { dropExisting: true, confirm: db } } });
    await backup(app.ctx());
    await disaster(db);
    await restore(app.ctx());
    expect(await rows(db)).toBe(before);

    await pgExec("UPDATE events SET body = 'written after the restore' WHERE id = 1", db);
    const after = await rows(db);
    rmSync(app.ctx().ledgerFile);
    await expect(restore(app.ctx())).rejects.toThrow(
      /already ran: repository record \w+ \(finished restore by .*tag safehold-request=restore-\w+\) in .* says it finished/,
    );
    const fresh = buildContext({
      values: app.valuesFile,
      secretsDir: app.secretsDir,
      scratchDir: join(app.dir, 'fresh'),
      ledger: join(app.dir, 'elsewhere', 'ledger.json'),
      log: silentLogger,
    });
    const refused = await restore(fresh).catch((e: Error & { exitCode: number }) => e);
    expect(refused).toMatchObject({ exitCode: 3, message: expect.stringMatching(/repository record/) });
    expect(await rows(db)).toBe(after);
    expect((await listRequests(app.ctx())).map((r) => [r.request, r.status])).toEqual([[restoreRequestId(app.ctx().values), 'finished']]);

    app.update({ restore: { dropExisting: true, confirm: db, requestId: 'second-disaster' } });
    await restore(app.ctx());
    expect(await rows(db)).toBe(before);
  });

  for (const shared of [true, false]) {
    it(`two restore processes of one request started together: one restores, the other refuses first (${shared ? 'same --ledger: the O_EXCL claim' : 'own --ledger each: the repository claim'})`, async () => {
      const db = await seeded(3000);
      const before = await rows(db);
      const app = await makeApp({ values: { components: [pgComponent('db', db)], restore: { dropExisting: true, confirm: db } } });
      await backup(app.ctx());
      await disaster(db);
      const ledger = (n: number) => (shared ? [] : ['--ledger', join(app.dir, `ledger-${n}.json`)]);
      // The run that wins the claim waits inside pg_restore until the other has answered, so the two meet at the
      // claim however the machine schedules them (unheld, a loaded machine let one finish before the other began).
      const hold = holdPgRestore(app.dir);
      const [a, b] = await Promise.all([
        cli(app, ['restore', ...ledger(1)], 's1', hold.env).then(hold.letGo),
        cli(app, ['restore', ...ledger(2)], 's2', hold.env).then(hold.letGo),
      ]);
      expect([a.code, b.code].sort(), `${a.stderr}\n---\n${b.stderr}`).toEqual([0, 3]);
      const loser = a.code === 3 ? a : b;
      // Each guard on its own: one --ledger, the O_EXCL lock refuses the loser before it writes a claim; two, the
      // repository's earliest claim does (accepting either message let a broken lock go unseen).
      expect(loser.stderr).toMatch(shared ? /holds \S+\.claim / : /is claimed by another run: repository record/);
      expect(loser.stderr).toMatch(/safehold release --request restore-/);
      // refused before anything destructive: it never dropped, never restored
      expect(loser.stderr).not.toMatch(/dropping and recreating|component restored/);
      expect(await rows(db)).toBe(before);
    });
  }
});

describe('the drop is the first step of its restore request: it drops on the go-ahead of its restore', () => {
  const dropApp = async (db: string) => {
    const app = await makeApp({ values: { components: [pgComponent('db', db)] } });
    await backup(app.ctx());
    app.update({ dropDatabase: { component: 'db', confirm: db }, restore: { snapshot: 'latest' } });
    return app;
  };
  const dropArgs = (wait: number) => ['drop-database', '--go-ahead-wait', String(wait)];
  /** The drop pods' psql waits for this file: the winner holds the drop step while the other meets it. */
  const holdDrops = (app: App) => {
    const go = join(app.dir, 'go');
    const env = { SAFEHOLD_BIN_PSQL: tool('pg-restore-waits.mjs'), SAFEHOLD_REAL_TOOL: join(servers().postgres.binDir, 'psql'), WAIT_FOR_FILE: go };
    return { env, answered: (r: { code: number; stderr: string }) => (writeFileSync(go, ''), r) };
  };

  it('drop started first: it waits; the restore gives the go-ahead, the drop drops, the restore restores and records the drop', async () => {
    const db = await seeded();
    const before = await rows(db);
    const app = await dropApp(db);
    await disaster(db);
    const damaged = await rows(db);
    const dropping = dropDatabase(app.ctx(), { goAheadWaitSeconds: 120 });
    await vi.waitUntil(() => app.logs.some((l) => l.includes('"waiting for the go-ahead of the restore of this request"')), { timeout: 60_000, interval: 50 });
    expect(await rows(db), 'nothing dropped before the go-ahead').toBe(damaged);
    await restore(app.ctx());
    await expect(dropping).resolves.toBe(dropRequestId(app.ctx().values));
    expect(app.logs.join('')).toMatch(/the drop Job dropped the database on this go-ahead/);
    expect(await rows(db)).toBe(before);
    // The repository records the drop in the drop pod's name (the drop pod holds no repository key).
    const [req] = await listRequests(app.ctx());
    expect(req.records.map((r) => `${r.state} ${r.step}`)).toEqual(['claimed restore', 'dropped drop', 'finished restore']);
    expect(req.records[1].holder).not.toBe(req.records[0].holder);
    expect(existsSync(`${app.ctx().ledgerFile}.claim.drop`), 'the drop step goes with the claim').toBe(false);
    // The same drop again: no restore gives a go-ahead any more.
    await expect(dropDatabase(app.ctx(), { goAheadWaitSeconds: 1 })).rejects.toMatchObject({
      exitCode: 3,
      message: expect.stringMatching(/no restore of request restore-\w+ holds .* within 1 s/),
    });
    expect(await rows(db)).toBe(before);
  });

  it('restore first with a short wait: it drops by itself; a later drop refuses and the restored data stays', async () => {
    const db = await seeded();
    const before = await rows(db);
    const app = await dropApp(db);
    await pgExec('CREATE TABLE extra (x int)', db);
    await restore(app.ctx(), { dropWaitSeconds: 1 });
    expect(app.logs.join('')).toMatch(/no drop Job took the go-ahead in time: the restore took the drop step back/);
    expect(await rows(db)).toBe(before);
    expect(await tables(db)).toBe('1'); // replaced by the set: the table not in the set is gone
    const late = await dropDatabase(app.ctx(), { goAheadWaitSeconds: 2 }).catch((e: Error & { exitCode: number }) => e);
    expect(late).toMatchObject({ exitCode: 3, message: expect.stringMatching(/no restore of request restore-\w+ holds .*nothing was changed/) });
    expect(await rows(db)).toBe(before);
  });

  it('drop and restore started together: the drop drops on the go-ahead, the database ends restored', async () => {
    const db = await seeded(2000);
    const before = await rows(db);
    const app = await dropApp(db);
    await disaster(db);
    const [drop, rest] = await Promise.all([cli(app, dropArgs(120), 's1'), cli(app, ['restore'], 's2')]);
    expect([drop.code, rest.code], `${drop.stderr}\n---\n${rest.stderr}`).toEqual([0, 0]);
    expect(drop.stderr).toMatch(/dropping database and creating it empty on the go-ahead/);
    expect(await rows(db)).toBe(before);
  });

  it('a drop started after its restore gave up refuses: the database is never dropped without a restore', async () => {
    const db = await seeded();
    const app = await dropApp(db);
    app.update({ hooks: { preRestore: [{ name: 'quiesce', type: 'command', command: ['false'] }] } });
    await expect(restore(app.ctx())).rejects.toThrow(/quiesce/);
    const untouched = await rows(db);
    const late = await dropDatabase(app.ctx(), { goAheadWaitSeconds: 2 }).catch((e: Error & { exitCode: number }) => e);
    expect(late).toMatchObject({
      exitCode: 3,
      message: expect.stringMatching(/the restore of request restore-\w+ holds .* but gave no go-ahead within 2 s/),
    });
    expect(await rows(db)).toBe(untouched);
    expect(await tables(db)).toBe('1');
  });

  it('two drop pods of one request: one drops, the other meets the taken drop step and refuses; the restore restores', async () => {
    const db = await seeded();
    const before = await rows(db);
    const app = await dropApp(db);
    await disaster(db);
    const { env, answered } = holdDrops(app);
    const [a, b, rest] = await Promise.all([
      cli(app, dropArgs(120), 'd1', env).then(answered),
      cli(app, dropArgs(120), 'd2', env).then(answered),
      cli(app, ['restore'], 'r'),
    ]);
    expect(rest.code, rest.stderr).toBe(0);
    expect([a.code, b.code].sort(), `${a.stderr}\n---\n${b.stderr}`).toEqual([0, 3]);
    const loser = a.code === 3 ? a : b;
    expect(loser.stderr).toMatch(/the drop step of request restore-\w+ is taken \(.*claim\.drop: dropping by the drop pod/);
    expect(loser.stderr).not.toMatch(/dropping database and creating it empty/);
    expect(await rows(db)).toBe(before);
  });
});

describe('a claim left by a run that died', () => {
  it('is visible, blocks backups naming `safehold release`; the release frees it, the request runs once more and the data comes back', async () => {
    const db = await seeded();
    const before = await rows(db);
    const app = await makeApp({ values: { components: [pgComponent('db', db)], restore: { snapshot: 'latest' } } });
    await backup(app.ctx());
    await disaster(db);
    const damaged = await rows(db);
    const request = restoreRequestId(app.ctx().values)!;
    // The pod dies inside its restore: claimed, the side database being filled (pg_restore held, never let go), then SIGKILL.
    let pid = 0;
    const dead = cli(app, ['restore'], 's1', holdPgRestore(app.dir).env, (c) => (pid = c.pid!));
    const side = `${db}.safehold-restoring`;
    await vi.waitUntil(async () => (await pgQuery(`SELECT count(*) FROM pg_database WHERE datname = '${side}'`)) === '1', { timeout: 120_000, interval: 200 });
    process.kill(-pid, 'SIGKILL');
    expect((await dead).code).not.toBe(0);

    expect((await listRequests(app.ctx())).map((q) => [q.request, q.status])).toEqual([[request, 'in progress']]);
    await expect(backup(app.ctx())).rejects.toMatchObject({
      exitCode: 3,
      message: expect.stringContaining(`safehold release --request ${request}`),
    });
    expect(await rows(db), 'the live database was never touched').toBe(damaged);

    const released = await cli(app, ['release', '--request', request], 's2');
    expect(released.code, released.stderr).toBe(0);
    expect((await listRequests(app.ctx())).map((q) => [q.request, q.status])).toEqual([[request, 'released']]);
    // Released, not finished: the request may run once more (the side database the dead run left is removed first).
    await restore(app.ctx());
    expect(await rows(db)).toBe(before);
    expect(app.logs.join('')).toMatch(/removing the side database a failed restore left behind/);
    expect((await backup(app.ctx())).status).toBe('good');
  });
});

describe('no backup beside a restore of the same application', () => {
  it('a backup started while the restore runs refuses (log, metric) and stores no set; afterwards backups run again', async () => {
    const db = await seeded();
    const before = await rows(db);
    const name = uniqueName('busy');
    const app = await makeApp({
      name,
      values: {
        components: [pgComponent('db', db)],
        monitoring: { pushgateway: servers().pushgateway.url },
        restore: { dropExisting: true, confirm: db },
        hooks: { preRestore: [{ name: 'slow', type: 'command', command: ['sleep', '6'] }] },
      },
    });
    const good = await backup(app.ctx());
    await disaster(db);
    const running = restore(app.ctx());
    // Wait until the restore has claimed (it then verifies and sits in its 6 s hook), however loaded the machine is.
    await vi.waitUntil(() => app.logs.some((l) => l.includes('"request claimed"')), { timeout: 60_000, interval: 50 });
    const stored = () => app.logs.filter((l) => l.includes('"component stored"')).length;
    const storedBefore = stored();
    await expect(backup(app.ctx())).rejects.toMatchObject({
      exitCode: 3,
      message: expect.stringMatching(/backup refused, nothing was stored: request restore-\w+ .* in progress/),
    });
    expect(app.logs.join('')).toMatch(/backup REFUSED: a restore of this application is in progress/);
    expect(stored(), 'refused at its start: nothing dumped').toBe(storedBefore);
    expect((await pushedMetrics(name, 'backup')).safehold_backup_refused).toBe('1');
    await running;
    expect(await rows(db)).toBe(before);
    expect((await listSets(app.ctx())).map((s) => [s.id, s.status])).toEqual([[good.setId, 'good']]);
    expect((await backup(app.ctx())).status).toBe('good');
    expect((await pushedMetrics(name, 'backup')).safehold_backup_refused, 'the refusal alert resolves').toBe('0');
  });

  it('a restore claimed while a backup dumps: the backup re-checks at its end and keeps no set', async () => {
    const db = await seeded();
    const app = await makeApp({
      values: {
        components: [pgComponent('db', db)],
        restore: { snapshot: 'latest' },
        hooks: { preBackup: [{ name: 'slow', type: 'command', command: ['sleep', '5'] }] },
      },
    });
    const good = await backup(app.ctx());
    const running = backup(app.ctx());
    await new Promise((r) => setTimeout(r, 1500));
    const claim = await claimRequest(app.ctx(), restoreRequestId(app.ctx().values)!, 'restore');
    await expect(running).rejects.toThrow(/backup refused/);
    expect((await listSets(app.ctx())).map((s) => s.id)).toEqual([good.setId]);
    await claim.finish('test');
  });
});
