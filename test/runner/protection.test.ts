// Protected repositories against real restic on the S3 test server: backups only add, maintenance applies retention,
// and snapshots with forged times (restic backup --time) cannot make retention remove real good sets.
import { readdirSync, utimesSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { resticHost, appTag } from '../../src/contract/layout.js';
import { restoreRequestId } from '../../src/contract/requests.js';
import { backup } from '../../src/runner/commands/backup.js';
import { maintenance } from '../../src/runner/commands/maintenance.js';
import { prune } from '../../src/runner/commands/prune.js';
import { listSets } from '../../src/runner/commands/snapshots.js';
import { buildContext, type RunContext } from '../../src/runner/context.js';
import { claimRequest } from '../../src/runner/requests/claim.js';
import { Restic } from '../../src/runner/restic/client.js';
import { pushedMetrics, servers } from '../support/env.js';
import { makeApp, pgComponent, s3Repository, seededTable, uniqueName, writeSecrets, type App } from './fixture.js';

/** Every restic command the runner starts (all of them go through Restic.spec). */
function recordResticCommands(): string[][] {
  const calls: string[][] = [];
  const original = Restic.prototype.spec;
  vi.spyOn(Restic.prototype, 'spec').mockImplementation(function (this: Restic, args, timeoutMs) {
    calls.push([...args]);
    return original.call(this, args, timeoutMs);
  });
  return calls;
}

async function protectedApp(
  retention: Record<string, unknown>,
  db: string,
  more: Record<string, unknown> = {},
): Promise<App & { maintenanceCtx(): RunContext; prefix: string }> {
  const prefix = uniqueName('prot');
  const app = await makeApp({
    name: prefix,
    repo: {
      ...s3Repository(prefix),
      protection: { maintenance: { schedule: '0 4 * * *', credentials: { secretName: 's3-maintenance' } } },
    },
    values: { components: [pgComponent('db', db)], retention, ...more },
  });
  // s3rver knows one key pair; a real bucket gives the backup keys no s3:DeleteObject (docs/security.md).
  const s = servers().s3;
  writeSecrets(app.secretsDir, { 's3-maintenance': { AWS_ACCESS_KEY_ID: s.accessKeyId, AWS_SECRET_ACCESS_KEY: s.secretAccessKey } });
  return {
    ...app,
    prefix,
    maintenanceCtx: () =>
      buildContext({ values: app.valuesFile, secretsDir: app.secretsDir, scratchDir: join(app.dir, 'scratch'), operation: 'maintenance', log: app.ctx().log }),
  };
}

/** Writes a good-looking set (one manifest snapshot with safehold's tags) stamped with any time, as an intruder with the backup keys could. */
async function writeSet(ctx: RunContext, id: string, time: Date): Promise<string> {
  const v = ctx.values;
  await ctx.restic.open({ create: false });
  const stamp = time
    .toISOString()
    .replace('T', ' ')
    .replace(/\.\d+Z$/, '');
  const out = await ctx.restic.run(
    [
      'backup',
      '--json',
      '--stdin',
      '--stdin-filename',
      'manifest.json',
      '--host',
      resticHost(v),
      '--time',
      stamp,
      ...['safehold', appTag(v), `set=${id}`, 'manifest', 'status=good'].flatMap((t) => ['--tag', t]),
    ],
    `{"format":"safehold.backup-set/v1","setId":"${id}"}\n`,
  );
  return JSON.parse(out.trim().split('\n').pop()!).snapshot_id as string;
}

/** Makes the S3 test server's copy of a snapshot file as old as the snapshot says (a set really written back then). */
function ageStoredSnapshot(prefix: string, snapshotId: string, time: Date): void {
  const dir = join(dirname(servers().s3.caCertFile), 'data', servers().s3.bucket, prefix, 'snapshots');
  // restic 0.14 reports the short id: the file is named by the full one.
  const files = readdirSync(dir).filter((f) => f.startsWith(snapshotId) && f.endsWith('._S3rver_object'));
  expect(files).toHaveLength(1);
  utimesSync(join(dir, files[0]), time, time);
}

const DAY = 86400_000;

describe('protected repository (S3)', () => {
  afterEach(() => vi.restoreAllMocks());

  it('backups only add (no forget, no prune, even when a backup fails); maintenance applies retention, prunes and checks', async () => {
    const db = await seededTable(50);
    const app = await protectedApp({ keepLast: 2 }, db);
    const calls = recordResticCommands();
    const ids: string[] = [];
    for (let i = 0; i < 3; i++) ids.push((await backup(app.ctx())).setId);
    // A backup that fails after its dump was stored leaves a partial set: in a protected repository it stays for maintenance.
    app.update({ hooks: { postBackup: [{ name: 'fails', type: 'command', command: ['false'] }] } });
    await expect(backup(app.ctx())).rejects.toThrow();
    app.update({ hooks: {} });
    expect(calls.length).toBeGreaterThan(6);
    expect(calls.filter((c) => c.includes('forget') || c.includes('prune'))).toEqual([]);
    expect(app.logs.join('')).toMatch(/partial set left for the maintenance job/);
    expect((await listSets(app.ctx())).filter((s) => s.status === 'good').map((s) => s.id)).toEqual(ids);

    calls.length = 0;
    const report = await maintenance(app.maintenanceCtx());
    expect(report.removedSets).toContain(ids[0]);
    expect(report.pruned).toBe(true);
    expect(calls.some((c) => c[0] === 'prune')).toBe(true);
    expect(calls.some((c) => c[0] === 'check')).toBe(true);
    expect((await listSets(app.ctx())).filter((s) => s.status === 'good').map((s) => s.id)).toEqual(ids.slice(1));
  });

  it('future-dated sets do not push real good sets out of keepLast', async () => {
    const db = await seededTable(50);
    const app = await protectedApp({ keepLast: 2 }, db);
    const real: string[] = [];
    for (let i = 0; i < 3; i++) real.push((await backup(app.ctx())).setId);
    const future = Date.now() + 10 * DAY;
    await writeSet(app.ctx(), '20991231-000000-f00001', new Date(future));
    await writeSet(app.ctx(), '20991231-000000-f00002', new Date(future + 60_000));

    const report = await maintenance(app.maintenanceCtx());
    expect(report.removedSets).toEqual([]);
    const good = (await listSets(app.ctx())).filter((s) => s.status === 'good').map((s) => s.id);
    for (const id of real) expect(good).toContain(id);
    expect(app.logs.join('')).toMatch(/retention HELD: sets with forged times.*future-dated/);
  });

  it("a backdated set does not take a real set's daily slot", async () => {
    const db = await seededTable(50);
    const app = await protectedApp({ keepDaily: 2 }, db);
    // A real set from yesterday: written then, so the storage's clock agrees with it.
    const today = (await backup(app.ctx())).setId;
    const yesterday = new Date(Math.floor(Date.now() / DAY) * DAY - DAY + 12 * 3600_000);
    const old = await writeSet(app.ctx(), 'real-yesterday', yesterday);
    ageStoredSnapshot(app.prefix, old, yesterday);
    // Without the forgery the policy keeps both (two days); the intruder stamps a set later on the same day as the real old one.
    expect((await maintenance(app.maintenanceCtx())).removedSets).toEqual([]);
    await writeSet(app.ctx(), 'forged-yesterday', new Date(yesterday.getTime() + 60_000));

    const report = await maintenance(app.maintenanceCtx());
    expect(report.removedSets).toEqual([]);
    const good = (await listSets(app.ctx())).filter((s) => s.status === 'good').map((s) => s.id);
    expect(good).toEqual(expect.arrayContaining(['real-yesterday', today]));
    expect(app.logs.join('')).toMatch(/retention HELD.*backdated/);
  });

  it('beside a claimed restore, maintenance and prune refuse before any lock (exit 3, safehold_prune_refused 1) and remove nothing; after it finished they run', async () => {
    const db = await seededTable(50);
    const app = await protectedApp({ keepLast: 1 }, db, { monitoring: { pushgateway: servers().pushgateway.url }, restore: { snapshot: 'latest' } });
    await backup(app.ctx());
    const newest = (await backup(app.ctx())).setId;
    const claim = await claimRequest(app.ctx(), restoreRequestId(app.ctx().values)!, 'restore');
    const calls = recordResticCommands();
    for (const run of [maintenance, prune]) {
      await expect(run(app.maintenanceCtx())).rejects.toMatchObject({
        exitCode: 3,
        message: expect.stringMatching(/^prune refused, nothing was stored: request restore-\w+ of this application is in progress/),
      });
      expect((await pushedMetrics(app.prefix, 'maintenance')).safehold_prune_refused).toBe('1');
    }
    expect(app.logs.join('')).toMatch(/prune REFUSED: a restore of this application is in progress/);
    expect(
      calls.filter((c) => ['forget', 'prune', 'check'].some((x) => c.includes(x))),
      'no lock-taking command ran',
    ).toEqual([]);
    expect((await listSets(app.ctx())).filter((s) => s.status === 'good')).toHaveLength(2);
    await claim.finish('test');
    expect((await maintenance(app.maintenanceCtx())).removedSets).toHaveLength(1);
    expect((await pushedMetrics(app.prefix, 'maintenance')).safehold_prune_refused).toBe('0');
    expect((await listSets(app.ctx())).map((s) => s.id)).toEqual([newest]);
  });
});
