// One-shot requests against real PostgreSQL and restic: the repository record is the truth, a claim comes before any
// destruction, a drop never runs without its restore after it, and no backup stores a half-restored database.
import { spawn } from 'node:child_process';
import { rmSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it, vi } from 'vitest';
import { restoreRequestId } from '../../src/contract/requests.js';
import { backup } from '../../src/runner/commands/backup.js';
import { dropDatabase } from '../../src/runner/commands/drop-database.js';
import { restore } from '../../src/runner/commands/restore.js';
import { listRequests, listSets } from '../../src/runner/commands/snapshots.js';
import { buildContext } from '../../src/runner/context.js';
import { silentLogger } from '../../src/runner/log.js';
import { claimRequest } from '../../src/runner/requests/claim.js';
import { pgExec, pgQuery, pushedMetrics, servers } from '../support/env.js';
import { holdPgRestore } from '../support/held-restore.js';
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

describe('the drop is the first step of its restore request', () => {
  const dropApp = async (db: string) => {
    const app = await makeApp({ values: { components: [pgComponent('db', db)] } });
    await backup(app.ctx());
    app.update({ dropDatabase: { component: 'db', confirm: db }, restore: { snapshot: 'latest' } });
    return app;
  };

  it('drop, then restore: the restore restores; the drop never runs twice', async () => {
    const db = await seeded();
    const before = await rows(db);
    const app = await dropApp(db);
    await dropDatabase(app.ctx());
    expect(await tables(db)).toBe('0');
    await expect(dropDatabase(app.ctx())).rejects.toThrow(/already ran/);
    await restore(app.ctx());
    expect(await rows(db)).toBe(before);
  });

  it('restore first: it drops by itself; a later drop refuses and the restored data stays', async () => {
    const db = await seeded();
    const before = await rows(db);
    const app = await dropApp(db);
    await pgExec('CREATE TABLE extra (x int)', db);
    await restore(app.ctx());
    expect(await rows(db)).toBe(before);
    expect(await tables(db)).toBe('1'); // dropped first: the table not in the set is gone
    rmSync(app.ctx().ledgerFile);
    await expect(dropDatabase(app.ctx())).rejects.toMatchObject({ exitCode: 3, message: expect.stringMatching(/already ran|has started/) });
    expect(await rows(db)).toBe(before);
  });

  it('drop and restore started together: the database ends restored, never left dropped', async () => {
    const db = await seeded(2000);
    const before = await rows(db);
    const app = await dropApp(db);
    await disaster(db);
    const [drop, rest] = await Promise.all([cli(app, ['drop-database'], 's1'), cli(app, ['restore'], 's2')]);
    expect(rest.code).toBe(0);
    expect([0, 3]).toContain(drop.code);
    expect(await rows(db)).toBe(before);
  });

  it('a drop started after its restore gave up refuses: the database is never dropped without a restore', async () => {
    const db = await seeded();
    const app = await dropApp(db);
    app.update({ hooks: { preRestore: [{ name: 'quiesce', type: 'command', command: ['false'] }] } });
    await expect(restore(app.ctx())).rejects.toThrow(/quiesce/);
    const untouched = await rows(db);
    const late = await dropDatabase(app.ctx()).catch((e: Error & { exitCode: number }) => e);
    expect(late).toMatchObject({ exitCode: 3, message: expect.stringMatching(/restore of request restore-\w+ has started/) });
    expect(await rows(db)).toBe(untouched);
    expect(await tables(db)).toBe('1');
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
