// SIGTERM and SIGKILL against a real runner process, PostgreSQL, restic 0.14 (which keeps its lock on SIGTERM) and
// the Pushgateway: the run fails loudly within its grace period and leaves no lock and no set behind.
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { backup } from '../../src/runner/commands/backup.js';
import { listSets } from '../../src/runner/commands/snapshots.js';
import { pgExec, pgQuery, pushedMetrics, servers, tmpDir } from '../support/env.js';
import { hostNamespace, killTree, startRunner, untilChild, type RunnerProcess } from '../support/runner-process.js';
import { bin, run } from '../support/servers.js';
import { tool } from '../support/with-env.js';
import { makeApp, pgComponent, seededTable, type App } from './fixture.js';

const GRACE = 15;

async function locks(app: App): Promise<string[]> {
  const out = await run(bin('restic'), ['-r', join(app.dir, 'repo'), 'list', 'locks', '--no-lock'], {
    env: { RESTIC_PASSWORD_FILE: join(app.secretsDir, 'restic', 'password') },
  }).catch(() => '');
  return out.split('\n').filter((l) => /^[0-9a-f]{64}$/.test(l));
}

async function untilLocked(app: App, ms = 60_000): Promise<void> {
  const until = Date.now() + ms;
  while ((await locks(app)).length === 0) {
    if (Date.now() > until) throw new Error('restic never took a lock');
    await new Promise((r) => setTimeout(r, 100));
  }
}

/**
 * Waits for the log line, then for the restic child (`running`) and its lock, sends SIGTERM; checks exit 1
 * within the grace period and one FAILED line naming SIGTERM.
 */
async function sigtermWhileLocked(app: App, r: RunnerProcess, after: string, running: RegExp): Promise<void> {
  await r.waitFor((l) => l.msg === after);
  await untilChild(r.pid, running);
  // restic takes its lock right after it starts; a short restic dump may be past it before a poll sees it.
  await untilLocked(app, 5000).catch(() => undefined);
  const sent = Date.now();
  process.kill(r.pid, 'SIGTERM');
  const end = await r.exited;
  expect(end.code).toBe(1);
  expect((end.at - sent) / 1000).toBeLessThan(GRACE);
  expect(r.lines.filter(failedLine).map((l) => String(l.error))).toEqual([expect.stringMatching(/SIGTERM received/)]);
}

const args = (app: App, cmd: string) => [cmd, '--values', app.valuesFile, '--secrets-dir', app.secretsDir, '--scratch-dir', join(app.dir, 'scratch')];
const failedLine = (l: Record<string, unknown>) => l.level === 'error' && /FAILED/.test(String(l.msg));
/** A table's content as one checksum. */
const checksum = (db: string) => pgQuery("SELECT md5(string_agg(id || ':' || body, ',' ORDER BY id)) FROM t", db);

describe('signals', () => {
  it('SIGTERM during a PostgreSQL backup: exit 1 within the grace period, FAILED logged, last_status 0, no lock, no set', async () => {
    let lockSeen = false;
    const db = await seededTable(400_000);
    const app = await makeApp({ values: { components: [pgComponent('db', db)], monitoring: { pushgateway: servers().pushgateway.url } } });
    const r = startRunner(args(app, 'backup'), { env: { SAFEHOLD_GRACE_SECONDS: String(GRACE) } });
    void untilLocked(app).then(
      () => (lockSeen = true),
      () => undefined,
    );
    await sigtermWhileLocked(app, r, 'backup started', /restic .*backup .*--stdin-filename db\.pgdump/);
    // The stopped restic (0.14 keeps its lock on SIGTERM) did hold a lock: the runner removed it.
    expect(lockSeen).toBe(true);
    expect((await pushedMetrics(app.ctx().values.name, 'backup')).safehold_backup_last_status).toBe('0');
    expect(await locks(app)).toEqual([]);
    expect(await listSets(app.ctx())).toEqual([]);
  }, 120_000);

  it('SIGTERM during a restore: exit 1, FAILED logged, last_status 0, no lock, and the target is unchanged', async () => {
    const db = await seededTable(400_000);
    const app = await makeApp({
      values: { components: [pgComponent('db', db)], monitoring: { pushgateway: servers().pushgateway.url }, restore: { dropExisting: true, confirm: db } },
    });
    await backup(app.ctx());
    await pgExec("UPDATE t SET body = 'changed after the backup' WHERE id % 7 = 0", db);
    const before = await checksum(db);
    // Held inside pg_restore (a stand-in that waits, then runs the real tool), so the signal always meets a restore in
    // progress: unheld, a fast machine finished the restore before the signal was sent (kill ESRCH).
    const held = {
      SAFEHOLD_BIN_PG_RESTORE: tool('pg-restore-waits.mjs'),
      SAFEHOLD_REAL_TOOL: process.env.SAFEHOLD_BIN_PG_RESTORE ?? join(servers().postgres.binDir, 'pg_restore'),
      WAIT_FOR_FILE: join(app.dir, 'never'),
    };
    await sigtermWhileLocked(
      app,
      startRunner(args(app, 'restore'), { env: { SAFEHOLD_GRACE_SECONDS: String(GRACE), ...held } }),
      'restore plan',
      /pg-restore-waits\.mjs .*-d/,
    );
    expect((await pushedMetrics(app.ctx().values.name, 'restore')).safehold_restore_last_status).toBe('0');
    expect(await locks(app)).toEqual([]);
    expect(await checksum(db)).toBe(before);
  }, 120_000);

  it("a SIGKILLed backup's lock (another pod of the workload) and incomplete set are gone after the next good backup", async () => {
    const small = await seededTable(100);
    const big = await seededTable(400_000);
    const app = await makeApp({ values: { timeout: '2m', components: [pgComponent('small', small), pgComponent('big', big)] } });
    const workload = 'app-backup';
    const podA = await hostNamespace(join(await tmpDir('uts'), 'a'), `${workload}-29000000-aaaaa`);
    try {
      // Held inside big's pg_dump (the waiting stand-in, for that database only), so restic's backup of it holds its
      // lock until the kill: unheld, a quiet machine finished that backup between two lock polls.
      const held = {
        SAFEHOLD_BIN_PG_DUMP: tool('pg-restore-waits.mjs'),
        SAFEHOLD_REAL_TOOL: process.env.SAFEHOLD_BIN_PG_DUMP ?? join(servers().postgres.binDir, 'pg_dump'),
        WAIT_FOR_FILE: join(app.dir, 'never'),
        WAIT_ONLY_FOR: big,
      };
      const killed = startRunner(args(app, 'backup'), { env: { SAFEHOLD_WORKLOAD: workload, ...held }, uts: podA.file });
      await killed.waitFor((l) => l.msg === 'component stored' && l.component === 'small');
      await untilLocked(app);
      killTree(killed.pid);
      await killed.exited;
      // The state an OOM kill leaves: a lock of a pod that is gone, and a set without its manifest.
      expect(await locks(app)).toHaveLength(1);
      const [left] = await listSets(app.ctx());
      expect(left.status).toBe('incomplete');

      // The next run: another pod of the same workload (this host), once the dead run's timeout has passed.
      const later = { ...app.ctx(), now: () => new Date(Date.now() + 3 * 60_000) };
      later.restic.workload = workload;
      expect((await backup(later)).status).toBe('good');
      expect(app.logs.some((l) => /earlier pod of this workload/.test(l))).toBe(true);
      expect(await locks(app)).toEqual([]);
      expect((await listSets(app.ctx())).map((s) => s.status)).toEqual(['good']);
    } finally {
      await podA.release();
    }
  }, 180_000);
});
