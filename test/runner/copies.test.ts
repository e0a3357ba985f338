// Copies against real restic: local → S3 (s3rver) and S3 → local; only good sets travel, restore reads the copy, sizes stay deduplicated.
import { readdirSync, rmSync, statSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { backup } from '../../src/runner/commands/backup.js';
import { copy } from '../../src/runner/commands/copy.js';
import { drill } from '../../src/runner/commands/drill.js';
import { restore } from '../../src/runner/commands/restore.js';
import { buildContext } from '../../src/runner/context.js';
import { Restic } from '../../src/runner/restic/client.js';
import { repoAccess } from '../../src/runner/restic/repository.js';
import { groupSets, baseFilter } from '../../src/runner/sets.js';
import { pgExec, pgQuery, pushedMetrics, servers } from '../support/env.js';
import { makeApp, pgComponent, s3Repository, seededTable, uniqueName, type App } from './fixture.js';

const files = (d: string): string[] => readdirSync(d, { withFileTypes: true }).flatMap((e) => (e.isDirectory() ? files(join(d, e.name)) : [join(d, e.name)]));
/** Bytes a repository holds: a directory's files, or the objects s3rver stores for a prefix (not its metadata files). */
const localBytes = (d: string) => files(d).reduce((n, f) => n + statSync(f).size, 0);
const s3Bytes = (prefix: string) =>
  files(join(dirname(servers().s3.caCertFile), 'data', servers().s3.bucket, prefix))
    .filter((f) => f.endsWith('._S3rver_object'))
    .reduce((n, f) => n + statSync(f).size, 0);
/** The table's content as one hash: equal hashes, equal rows. */
const tableHash = (db: string) => pgQuery("SELECT md5(string_agg(id || ':' || body, ',' ORDER BY id)) FROM t", db);

async function copySets(app: App, name: string): Promise<Array<[string, string]>> {
  const ctx = app.ctx();
  const c = ctx.values.copies!.find((x) => x.name === name)!;
  const r = new Restic(repoAccess(c.repository, ctx.secrets, ctx.scratchDir), ctx.log);
  return groupSets(await r.snapshots(baseFilter(ctx.values))).map((s) => [s.id, s.status]);
}

describe('copies', () => {
  it('local → S3: the copy is made with matching chunker parameters, verified, pushed, and restores identically with the source gone', async () => {
    const db = await seededTable(2000);
    const prefix = uniqueName('copy');
    const app = await makeApp({
      values: {
        components: [pgComponent('db', db)],
        copies: [{ name: 'offsite', repository: s3Repository(prefix), schedule: '0 5 * * *' }],
        monitoring: { pushgateway: servers().pushgateway.url },
        restore: { from: 'offsite', dropExisting: true, confirm: db },
      },
    });
    const before = await tableHash(db);
    const set = await backup(app.ctx());
    const [r] = await copy(app.ctx());
    expect(r).toMatchObject({ name: 'offsite', copied: [set.setId], newestSet: set.setId, lagSeconds: 0 });
    expect(await copySets(app, 'offsite')).toEqual([[set.setId, 'good']]);
    // A second run finds nothing new.
    expect((await copy(app.ctx(), { to: 'offsite' }))[0].copied).toEqual([]);
    const pushed = await pushedMetrics(app.ctx().values.name, 'copy');
    expect(pushed.safehold_copy_last_status).toBe('1');
    expect(Number(pushed.safehold_copy_newest_set_timestamp_seconds)).toBeGreaterThan(Date.now() / 1000 - 600);

    await pgExec("UPDATE t SET body = 'changed' WHERE id % 3 = 0; DELETE FROM t WHERE id > 1500", db);
    rmSync(join(app.dir, 'repo'), { recursive: true, force: true });
    const ctx = buildContext({
      values: app.valuesFile,
      secretsDir: app.secretsDir,
      scratchDir: join(app.dir, 'scratch'),
      operation: 'restore',
      log: app.ctx().log,
    });
    const plan = await restore(ctx);
    expect(plan).toMatchObject({ setId: set.setId, from: 'offsite' });
    expect(plan.repository).toContain(prefix);
    expect(await tableHash(db)).toBe(before);
  });

  // 14 restic-heavy runs on S3: give a loaded CI machine room beyond the default 300 s.
  it('S3 → local: after 7 daily backups and copies the copy is within 5 % of the source (deduplication kept)', { timeout: 600_000 }, async () => {
    const db = await seededTable(12_000);
    const prefix = uniqueName('src');
    const app = await makeApp({ repo: s3Repository(prefix), values: { components: [pgComponent('db', db)], copies: [] } });
    const copyDir = join(app.dir, 'copy-repo');
    app.update({ copies: [{ name: 'second', repository: { local: { path: copyDir }, password: { secretName: 'restic' } }, schedule: '0 5 * * *' }] });
    for (let day = 1; day <= 7; day++) {
      await pgExec(
        `UPDATE t SET body = md5(body || '${day}') WHERE id % 50 = ${day}; INSERT INTO t SELECT g, md5(g::text) FROM generate_series(${12_000 + day * 120 - 119}, ${12_000 + day * 120}) g`,
        db,
      );
      await backup(app.ctx());
      expect((await copy(app.ctx()))[0].copied).toHaveLength(1);
    }
    expect((await copySets(app, 'second')).map(([, s]) => s)).toEqual(Array(7).fill('good'));
    const [source, copied] = [s3Bytes(prefix), localBytes(copyDir)];
    // Measured, for the report: restic's copy re-packs, so a few percent either way is expected; twice would mean no dedup.
    console.log(`copy size after 7 daily copies: source ${source} B, copy ${copied} B, ratio ${(copied / source).toFixed(4)}`);
    expect(Math.abs(copied / source - 1)).toBeLessThan(0.05);
  });

  it('a suspicious set is never copied, not even when a later good set is', async () => {
    const db = await seededTable(20_000);
    const app = await makeApp({
      values: {
        components: [pgComponent('db', db)],
        copies: [{ name: 'c', repository: { local: { path: '/nonexistent' }, password: { secretName: 'restic' } }, schedule: '0 5 * * *' }],
      },
    });
    app.update({
      copies: [{ name: 'c', repository: { local: { path: join(app.dir, 'copy-repo') }, password: { secretName: 'restic' } }, schedule: '0 5 * * *' }],
    });
    const good = await backup(app.ctx());
    await pgExec('DELETE FROM t WHERE id > 1000; VACUUM FULL t;', db);
    const bad = await backup(app.ctx());
    expect(bad.status).toBe('suspicious');
    const [r] = await copy(app.ctx());
    expect(r.copied).toEqual([good.setId]);
    expect(r.skipped).toEqual([{ id: bad.setId, status: 'suspicious' }]);
    await pgExec('INSERT INTO t SELECT g, md5(g::text) FROM generate_series(1001, 20000) g', db);
    const later = await backup(app.ctx());
    expect(later.status).toBe('good');
    expect((await copy(app.ctx()))[0].copied).toEqual([later.setId]);
    expect(await copySets(app, 'c')).toEqual([
      [good.setId, 'good'],
      [later.setId, 'good'],
    ]);
  });

  it('drill.from drills from the copy (the source repository gone)', async () => {
    const db = await seededTable(500);
    const app = await makeApp({
      values: {
        components: [pgComponent('db', db)],
        copies: [{ name: 'offsite', repository: { local: { path: '/placeholder' }, password: { secretName: 'restic' } }, schedule: '0 5 * * *' }],
        drill: { schedule: '@weekly', from: 'offsite', checks: [{ component: 'db', table: 't', minRows: 500 }] },
      },
    });
    app.update({
      copies: [{ name: 'offsite', repository: { local: { path: join(app.dir, 'copy-repo') }, password: { secretName: 'restic' } }, schedule: '0 5 * * *' }],
    });
    const set = await backup(app.ctx());
    await copy(app.ctx());
    rmSync(join(app.dir, 'repo'), { recursive: true, force: true });
    const ctx = buildContext({
      values: app.valuesFile,
      secretsDir: app.secretsDir,
      scratchDir: join(app.dir, 'scratch'),
      operation: 'drill',
      log: app.ctx().log,
    });
    expect(ctx.from).toBe('offsite');
    const r = await drill(ctx);
    expect(JSON.stringify(r)).toContain(set.setId);
  });

  it('a protected copy is only added to: the copy run forgets nothing there (its maintenance does)', async () => {
    const db = await seededTable(50);
    const prefix = uniqueName('prot');
    const app = await makeApp({
      values: {
        components: [pgComponent('db', db)],
        copies: [
          {
            name: 'vault',
            repository: { ...s3Repository(prefix), protection: { maintenance: { schedule: '0 7 * * *', credentials: { secretName: 's3-maintenance' } } } },
            schedule: '0 5 * * *',
            retention: { keepLast: 1 },
          },
        ],
      },
    });
    const ids = [(await backup(app.ctx())).setId];
    expect((await copy(app.ctx()))[0]).toMatchObject({ copied: ids, removedSets: [] });
    ids.push((await backup(app.ctx())).setId);
    expect((await copy(app.ctx()))[0]).toMatchObject({ copied: [ids[1]], removedSets: [] });
    expect((await copySets(app, 'vault')).map(([id]) => id)).toEqual(ids);
  });

  it("refuses a copy repository created without the source's chunker parameters", async () => {
    const db = await seededTable(50);
    const app = await makeApp({ values: { components: [pgComponent('db', db)] } });
    const copyDir = join(app.dir, 'plain-repo');
    app.update({ copies: [{ name: 'plain', repository: { local: { path: copyDir }, password: { secretName: 'restic' } }, schedule: '0 5 * * *' }] });
    const ctx = app.ctx();
    await new Restic(repoAccess(ctx.values.copies![0].repository, ctx.secrets, ctx.scratchDir), ctx.log).run(['init']);
    await backup(app.ctx());
    await expect(copy(app.ctx())).rejects.toThrow(/other chunker parameters.*new, empty location/s);
  });
});
