// Restore drills against real PostgreSQL, MariaDB and Redis: pass, corrupted set, failing check, production guard, cleanup.
import { existsSync, readdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { open } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { main } from '../../src/cli.js';
import { drillDatabaseName } from '../../src/contract/drill.js';

/** Drills dry-run kubernetes components into their own namespace (values.namespace here). */
const DRILL_NAMESPACE = 'test';
import { ExitCode, RefusedError, ValuesError } from '../../src/errors.js';
import { backup } from '../../src/runner/commands/backup.js';
import { filesHandler } from '../../src/runner/components/files.js';
import { kubernetesHandler } from '../../src/runner/components/kubernetes.js';
import { drill } from '../../src/runner/commands/drill.js';
import { DrillCheckError } from '../../src/runner/drill/checks.js';
import type { RunContext } from '../../src/runner/context.js';
import { bin, run, startRedis, type RedisInfo, type Stoppable } from '../support/servers.js';
import { startFakeKube } from '../support/fake-kube.js';
import { mysqlQuery, pgExec, pgQuery, redisCmd, servers, tmpDir, pushedMetrics } from '../support/env.js';
import { makeApp, mysqlComponent, pgComponent, redisComponent, uniqueName } from './fixture.js';

/** A second Redis standing in for the drill pod's sidecar: the scratch server. */
let scratch: RedisInfo & Stoppable;
beforeAll(async () => {
  scratch = await startRedis({ baseDir: servers().tmpBase });
});
afterAll(async () => {
  await scratch?.stop();
});

const scratchRedis = (...args: string[]) => run(bin('redis-cli'), ['-e', '-h', scratch.host, '-p', String(scratch.port), ...args]).then((s) => s.trim());

async function seedPg(rows: number): Promise<string> {
  const db = uniqueName('drillpg');
  await pgExec(`CREATE DATABASE ${db}`);
  await pgExec(
    `CREATE SCHEMA audit;
     CREATE TABLE events (id serial primary key, body text, at timestamptz default now());
     INSERT INTO events (body) SELECT md5(g::text) || repeat('x', 200) FROM generate_series(1, ${rows}) g;
     CREATE TABLE audit."Log Entries" (id int);
     CREATE TABLE parted (k int) PARTITION BY RANGE (k);
     CREATE TABLE parted_1 PARTITION OF parted FOR VALUES FROM (0) TO (100);
     CREATE VIEW recent AS SELECT * FROM events WHERE id > 10;`,
    db,
  );
  return db;
}

async function seedMysql(rows: number): Promise<string> {
  const db = uniqueName('drillmy');
  await mysqlQuery(
    `CREATE DATABASE ${db};
     CREATE TABLE ${db}.items (id int primary key, name varchar(64));
     INSERT INTO ${db}.items SELECT seq, CONCAT('item ', seq) FROM ${db}.seq_1_to_${rows};
     CREATE VIEW ${db}.cheap AS SELECT * FROM ${db}.items WHERE id < 10;`,
  );
  return db;
}

/** Scratch databases left on the servers (the drill must leave none). */
async function leftovers(): Promise<string[]> {
  const pg = (await pgQuery("SELECT datname FROM pg_database WHERE datname LIKE 'safehold\\_drill\\_%'")).split('\n').filter(Boolean);
  const my = (await mysqlQuery("SHOW DATABASES LIKE 'safehold\\_drill\\_%'")).split('\n').filter(Boolean);
  return [...pg, ...my];
}

/** The drill metrics of one app in the Pushgateway. */
async function drillMetrics(app: string): Promise<Record<string, number>> {
  return Object.fromEntries(Object.entries(await pushedMetrics(app, 'drill')).map(([k, v]) => [k, Number(v)]));
}

function packs(repo: string): string[] {
  const walk = (d: string): string[] => readdirSync(d, { withFileTypes: true }).flatMap((e) => (e.isDirectory() ? walk(join(d, e.name)) : [join(d, e.name)]));
  return walk(join(repo, 'data'));
}

/** A drill that fails, with its error. */
async function failing(ctx: RunContext): Promise<Error> {
  const err = await drill(ctx).then(
    () => undefined,
    (e: unknown) => e as Error,
  );
  expect(err, 'the drill should have failed').toBeInstanceOf(Error);
  return err!;
}

describe('restore drill', () => {
  it('a good backup: restores PostgreSQL, MariaDB and Redis into scratch targets, every check holds, success is pushed, nothing is left behind', async () => {
    const [pgDb, myDb] = await Promise.all([seedPg(3000), seedMysql(500)]);
    const tag = uniqueName('drillkey');
    await redisCmd('SET', `${tag}:a`, '1');
    await redisCmd('HSET', `${tag}:h`, 'f', 'v');
    await redisCmd('SET', `${tag}:ttl`, 'x', 'EX', '3600');
    const [pgName, myName, redisName, filesName] = [uniqueName('pg'), uniqueName('my'), uniqueName('cache'), uniqueName('files')];
    const dataDir = await tmpDir('drill-files');
    writeFileSync(join(dataDir, 'note.txt'), 'production file\n');
    const app = await makeApp({
      values: {
        components: [pgComponent(pgName, pgDb), mysqlComponent(myName, myDb), redisComponent(redisName), { name: filesName, type: 'files', paths: [dataDir] }],
        monitoring: { pushgateway: servers().pushgateway.url },
        drill: {
          schedule: '0 5 * * 0',
          // The scratch Redis has no password: production's must not be sent there.
          targets: { [redisName]: { host: scratch.host, port: scratch.port } },
          checks: [
            { component: pgName, sql: 'SELECT count(*) = 3000 FROM events' },
            { component: pgName, table: 'events', minRows: 3000 },
            { component: myName, sql: 'SELECT count(*) FROM items', expect: '500' },
            { component: myName, table: 'items', minRows: 1 },
            { component: redisName, redisMinKeys: 3 },
            {
              hook: {
                name: 'scratch-db-exists',
                type: 'command',
                // Succeeds only while the scratch database exists and holds the rows.
                command: [
                  'psql',
                  '-X',
                  '-v',
                  'ON_ERROR_STOP=1',
                  '-h',
                  servers().postgres.host,
                  '-p',
                  String(servers().postgres.port),
                  '-U',
                  'postgres',
                  '-d',
                  drillDatabaseName(pgName),
                  '-c',
                  'SELECT 1/(count(*) = 3000)::int FROM events',
                ],
                env: { PGPASSWORD: { secretName: 'pg', key: 'password' } },
              },
            },
          ],
        },
      },
    });
    const set = await backup(app.ctx());
    expect(set.status).toBe('good');
    const prodPg = await pgQuery('SELECT count(*), max(id) FROM events', pgDb);
    // This test's keys only: other test files write into the same production Redis at the same time.
    const tagKeys = async () => (await redisCmd('KEYS', `${tag}:*`)).split('\n').filter(Boolean).sort();
    const prodKeys = await tagKeys();

    const report = await drill(app.ctx());
    expect(report.setId).toBe(set.setId);
    // The files component is restored into a scratch directory (never over the production files), nothing skipped.
    expect(report.targets[3]).toEqual({ component: filesName, target: `directory ${join(app.dir, 'scratch', `drill-files-${filesName}`)}` });
    expect(report.skipped).toEqual([]);
    expect(readFileSync(join(dataDir, 'note.txt'), 'utf8')).toBe('production file\n');
    expect(existsSync(join(app.dir, 'scratch', `drill-files-${filesName}`))).toBe(false);
    expect(report.targets.slice(0, 3)).toEqual([
      { component: pgName, target: `${servers().postgres.host}:${servers().postgres.port}/${drillDatabaseName(pgName)}` },
      { component: myName, target: `${servers().mariadb.host}:${servers().mariadb.port}/${drillDatabaseName(myName)}` },
      { component: redisName, target: `${scratch.host}:${scratch.port}` },
    ]);
    expect(report.checks.filter((c) => !c.ok)).toEqual([]);
    expect(report.checks.map((c) => c.check)).toEqual([
      ...Array(6).fill('always-on'), // each of the four restored + two SQL databases with every table of their dumps
      ...[0, 1, 2, 3, 4, 5].map((i) => `drill.checks[${i}]`),
    ]);
    expect(report.checks.find((c) => c.component === pgName && /every table of the dump/.test(c.what))?.got).toBe('4 tables, all 4 of the dump present');
    expect(report.checks.find((c) => c.component === myName && /every table of the dump/.test(c.what))?.got).toMatch(/all 1 of the dump present/);
    expect(report.checks.find((c) => c.component === redisName && c.check !== 'always-on')?.got).toMatch(/^\d+ keys$/);
    expect(report.restoredBytes).toBe(set.components.reduce((n, c) => n + c.bytes, 0));
    expect(report.bytesPerSecond).toBeGreaterThan(0);

    const m = await drillMetrics(app.ctx().values.name);
    expect(m.safehold_drill_last_status).toBe(1);
    expect(m.safehold_drill_last_success_timestamp_seconds).toBeGreaterThan(Date.now() / 1000 - 300);
    expect(m.safehold_drill_last_attempt_timestamp_seconds).toBe(m.safehold_drill_last_success_timestamp_seconds);
    expect(m.safehold_drill_duration_seconds).toBeGreaterThan(0);
    expect(m.safehold_drill_restore_bytes_per_second).toBe(report.bytesPerSecond);
    // RTO and RPO as measured: the restore's own seconds, and how old the restored set was.
    expect(m.safehold_drill_restore_duration_seconds).toBe(report.restoreSeconds);
    const setAge = m.safehold_drill_last_success_timestamp_seconds - Date.parse(report.setTime) / 1000;
    expect(Math.abs(m.safehold_drill_restored_set_age_seconds - setAge)).toBeLessThanOrEqual(1);

    // Cleanup: scratch databases dropped, scratch Redis emptied; production as it was.
    expect(await leftovers()).toEqual([]);
    expect(await scratchRedis('DBSIZE')).toBe('0');
    expect(await pgQuery('SELECT count(*), max(id) FROM events', pgDb)).toBe(prodPg);
    expect(await mysqlQuery('SELECT count(*) FROM items', myDb)).toBe('500');
    expect(await tagKeys()).toEqual(prodKeys);
    expect(prodKeys).toHaveLength(3);
    expect(await redisCmd('HGET', `${tag}:h`, 'f')).toBe('v');
  });

  it('a set whose dump is damaged in the repository: the drill fails loudly, pushes failure, keeps the last success, leaves nothing', async () => {
    const db = await seedPg(4000);
    const name = uniqueName('db');
    const app = await makeApp({
      values: { components: [pgComponent(name, db)], monitoring: { pushgateway: servers().pushgateway.url }, drill: { schedule: '@weekly' } },
    });
    const repo = join(app.dir, 'repo');
    await backup(app.ctx());
    await drill(app.ctx());
    const before = await drillMetrics(app.ctx().values.name);
    expect(before.safehold_drill_last_status).toBe(1);

    // A newer good set, then damage the data it alone stored (its new pack files, the largest is the dump).
    await pgExec(`UPDATE events SET body = md5(body) || repeat('y', 250)`, db);
    const old = new Set(packs(repo));
    const newer = await backup(app.ctx());
    expect(newer.status).toBe('good');
    const fresh = packs(repo)
      .filter((p) => !old.has(p))
      .sort((a, b) => statSync(b).size - statSync(a).size);
    const fh = await open(fresh[0], 'r+');
    await fh.write(Buffer.alloc(256, 0xff), 0, 256, Math.floor(statSync(fresh[0]).size / 2));
    await fh.close();

    const err = await failing(app.ctx());
    expect(err.message).toMatch(/restic dump [\s\S]*ciphertext verification failed/);
    expect(app.logs.some((l) => /"drill FAILED"/.test(l))).toBe(true);
    const after = await drillMetrics(app.ctx().values.name);
    expect(after.safehold_drill_last_status).toBe(0);
    expect(after.safehold_drill_last_attempt_timestamp_seconds).toBeGreaterThan(before.safehold_drill_last_attempt_timestamp_seconds);
    expect(after.safehold_drill_last_success_timestamp_seconds).toBe(before.safehold_drill_last_success_timestamp_seconds);
    expect(await leftovers()).toEqual([]);
  });

  it('a check that does not hold fails the drill and names the check, the component, the query and what it got; the scratch databases are dropped', async () => {
    const [pgDb, myDb] = await Promise.all([seedPg(300), seedMysql(20)]);
    const [pgName, myName] = [uniqueName('pg'), uniqueName('my')];
    const app = await makeApp({
      values: {
        components: [pgComponent(pgName, pgDb), mysqlComponent(myName, myDb)],
        monitoring: { pushgateway: servers().pushgateway.url },
        drill: {
          schedule: '@weekly',
          checks: [
            { component: pgName, table: 'events', minRows: 1000 },
            { component: pgName, sql: 'SELECT count(*) = 300 FROM events' },
            { component: myName, sql: 'SELECT count(*) FROM items', expect: '21' },
            { component: pgName, sql: 'SELECT * FROM no_such_table' },
            {
              hook: {
                name: 'scratch-db-exists',
                type: 'command',
                command: [
                  'psql',
                  '-X',
                  '-v',
                  'ON_ERROR_STOP=1',
                  '-h',
                  servers().postgres.host,
                  '-p',
                  String(servers().postgres.port),
                  '-U',
                  'postgres',
                  '-d',
                  drillDatabaseName(pgName),
                  '-c',
                  'SELECT 1',
                ],
                env: { PGPASSWORD: { secretName: 'pg', key: 'password' } },
              },
            },
          ],
        },
      },
    });
    await backup(app.ctx());
    const err = await failing(app.ctx());
    expect(err).toBeInstanceOf(DrillCheckError);
    expect(err.message).toMatch(/3 check\(s\) did not hold/);
    expect(err.message).toContain(`drill.checks[0] (component ${pgName}: table events has at least 1000 rows): 300 rows`);
    expect(err.message).toContain(`drill.checks[2] (component ${myName}: sql "SELECT count(*) FROM items" expecting "21"): "20"`);
    expect(err.message).toMatch(
      new RegExp(`drill\\.checks\\[3\\] \\(component ${pgName}: sql "SELECT \\* FROM no_such_table" expecting "t"\\): error: .*no_such_table`),
    );
    expect(err.message).not.toContain('drill.checks[1]');
    // The hook check held: the scratch database existed during the drill; it is gone now.
    const results = (err as DrillCheckError).results;
    expect(results.find((r) => r.check === 'drill.checks[4]')?.ok).toBe(true);
    expect(await leftovers()).toEqual([]);
    expect((await drillMetrics(app.ctx().values.name)).safehold_drill_last_status).toBe(0);
  });

  it('a drill that reaches its timeout stops its children in time and still drops the scratch database', async () => {
    const db = await seedPg(50);
    const name = uniqueName('db');
    const app = await makeApp({
      values: {
        components: [pgComponent(name, db)],
        drill: { schedule: '@weekly', timeout: '30s', checks: [{ hook: { name: 'never-ends', type: 'command', command: ['sleep', '300'] } }] },
      },
    });
    await backup(app.ctx());
    const started = Date.now();
    const err = await failing(app.ctx());
    expect(Date.now() - started).toBeLessThan(60_000);
    expect(err.message).toMatch(/timed out after \d+ s \(the run's timeout or the step's\)/);
    expect(await leftovers()).toEqual([]);
  });

  it('handlers that declare a drill mode: kubernetes objects as a server-side dry run into their own namespace (nothing stored), files into a scratch directory, removed afterwards', async () => {
    const kubeconfig = process.env.KUBECONFIG;
    const fake = await startFakeKube({ dir: await tmpDir('kube'), namespaces: ['test'] });
    const modes = [kubernetesHandler, filesHandler].map((h) => [h, h.drillMode] as const);
    try {
      Object.assign(kubernetesHandler, { drillMode: 'dry-run' });
      Object.assign(filesHandler, { drillMode: 'restore-to' });
      fake.seed({ apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'settings', namespace: 'test' }, data: { mode: 'production' } });
      const dataDir = await tmpDir('drill-files');
      writeFileSync(join(dataDir, 'note.txt'), 'production file\n');
      const db = await seedPg(50);
      const [pgName, objName, filesName] = [uniqueName('pg'), uniqueName('objs'), uniqueName('files')];
      const app = await makeApp({
        values: {
          components: [
            pgComponent(pgName, db),
            { name: objName, type: 'kubernetes', resources: [{ apiVersion: 'v1', kind: 'ConfigMap', names: ['settings'] }] },
            { name: filesName, type: 'files', paths: [dataDir] },
          ],
          drill: {
            schedule: '@weekly',
            checks: [
              {
                hook: {
                  name: 'files-restored',
                  type: 'command',
                  command: [
                    process.execPath,
                    '-e',
                    `const t = require(process.argv[1] + '/drill-targets.json'); require('fs').accessSync(t['${filesName}'].directory + '/note.txt')`,
                    '{{artifacts}}',
                  ],
                },
              },
            ],
          },
        },
      });
      await backup(app.ctx());
      const before = fake.requests.length;
      const report = await drill(app.ctx());
      const scratchDir = join(app.dir, 'scratch', `drill-files-${filesName}`);
      expect(report.skipped).toEqual([]);
      expect(report.targets.slice(1)).toEqual([
        { component: objName, target: `server-side dry run into namespace ${DRILL_NAMESPACE}` },
        { component: filesName, target: `directory ${scratchDir}` },
      ]);
      expect(report.checks.every((c) => c.ok)).toBe(true);
      const writes = fake.requests.slice(before).filter((r) => r.method !== 'GET');
      expect(writes.map((r) => `${r.method} ${r.path}${r.query}`)).toEqual([
        `POST /api/v1/namespaces/${DRILL_NAMESPACE}/configmaps?dryRun=All&fieldManager=safehold`,
      ]);
      expect(fake.objects('v1', 'ConfigMap', DRILL_NAMESPACE).map((o) => (o.metadata as { name: string }).name)).toEqual(['settings']);
      expect(fake.object('v1', 'ConfigMap', 'test', 'settings')!.data).toEqual({ mode: 'production' });
      expect(existsSync(scratchDir)).toBe(false);
      expect(readFileSync(join(dataDir, 'note.txt'), 'utf8')).toBe('production file\n');
      expect(await leftovers()).toEqual([]);
    } finally {
      for (const [h, mode] of modes) Object.assign(h, { drillMode: mode });
      await fake.stop();
      if (kubeconfig === undefined) delete process.env.KUBECONFIG;
      else process.env.KUBECONFIG = kubeconfig;
    }
  });

  describe('production is never a drill target', () => {
    async function prodApp(o: { backup: boolean } = { backup: true }) {
      const [pgDb, myDb] = await Promise.all([seedPg(100), seedMysql(10)]);
      const tag = uniqueName('prodkey');
      await redisCmd('SET', tag, 'production');
      const [pgName, myName, redisName] = [uniqueName('pg'), uniqueName('my'), uniqueName('cache')];
      const app = await makeApp({
        values: {
          components: [pgComponent(pgName, pgDb), mysqlComponent(myName, myDb), redisComponent(redisName)],
          monitoring: { pushgateway: servers().pushgateway.url },
          drill: { schedule: '@weekly', targets: { [redisName]: { host: scratch.host, port: scratch.port } } },
        },
      });
      if (o.backup) await backup(app.ctx());
      // Production changes after the backup: a drill into production would undo them.
      await pgExec(`INSERT INTO events (body) VALUES ('after the backup')`, pgDb);
      await mysqlQuery(`INSERT INTO items VALUES (1000, 'after the backup')`, myDb);
      await redisCmd('SET', `${tag}:after`, 'x');
      const untouched = async () => {
        expect(await pgQuery("SELECT count(*) FROM events WHERE body = 'after the backup'", pgDb)).toBe('1');
        expect(await pgQuery('SELECT count(*) FROM events', pgDb)).toBe('101');
        expect(await mysqlQuery('SELECT count(*) FROM items', myDb)).toBe('11');
        expect(await redisCmd('GET', `${tag}:after`)).toBe('x');
        expect(await leftovers()).toEqual([]);
      };
      return { app, pgDb, myDb, pgName, myName, redisName, untouched };
    }

    it('the values rule refuses the production database as a drill target', async () => {
      const { app, pgDb, pgName, untouched } = await prodApp({ backup: false });
      app.update({ drill: { schedule: '@weekly', targets: { [pgName]: { database: pgDb } } } });
      const err = (() => {
        try {
          app.ctx();
        } catch (e) {
          return e as Error;
        }
      })();
      expect(err).toBeInstanceOf(ValuesError);
      expect(err!.message).toMatch(new RegExp(`drill\\.targets\\.${pgName}: must not be the production database "${pgDb}"`));
      await untouched();
    });

    it('the runtime guard refuses what the values rule lets through (localhost for 127.0.0.1): exit 3, nothing touched', async () => {
      const { app, pgDb, myDb, pgName, myName, redisName, untouched } = await prodApp();
      app.update({
        drill: {
          schedule: '@weekly',
          targets: {
            [pgName]: { host: 'LOCALHOST', database: pgDb },
            [myName]: { host: 'localhost', database: myDb.toUpperCase() },
            [redisName]: { host: '::1', port: servers().redis.port },
          },
        },
      });
      app.ctx(); // the loader accepts these values: only the runtime guard stands in the way
      const code = await main(['drill', '--values', app.valuesFile, '--secrets-dir', app.secretsDir, '--scratch-dir', join(app.dir, 'scratch')]);
      expect(code).toBe(ExitCode.refused);
      await untouched();
    });

    it("an existing database the drill did not make (another application's on the same server) is refused, never dropped", async () => {
      const [mine, otherPg, otherMy] = await Promise.all([seedPg(10), seedPg(20), seedMysql(5)]);
      const [pgName, myName] = [uniqueName('pg'), uniqueName('my')];
      const app = await makeApp({
        values: {
          components: [pgComponent(pgName, mine), mysqlComponent(myName, await seedMysql(1))],
          drill: { schedule: '@weekly', targets: { [pgName]: { database: otherPg }, [myName]: { database: otherMy } } },
        },
      });
      const err = await failing(app.ctx());
      expect(err).toBeInstanceOf(RefusedError);
      expect(err.message).toContain(
        `drill target of ${pgName} (${servers().postgres.host}:${servers().postgres.port}/${otherPg}) is an existing database not made by a drill`,
      );
      expect(err.message).toContain(
        `drill target of ${myName} (${servers().mariadb.host}:${servers().mariadb.port}/${otherMy}) is an existing database not made by a drill`,
      );
      expect(await pgQuery('SELECT count(*) FROM events', otherPg)).toBe('20');
      expect(await mysqlQuery('SELECT count(*) FROM items', otherMy)).toBe('5');
    });

    it('the runtime guard refuses a context whose values bypassed the loader: every clash named, nothing touched, failure pushed', async () => {
      const { app, pgDb, myDb, pgName, myName, redisName, untouched } = await prodApp();
      const ctx = app.ctx();
      const r = servers().redis;
      const values = {
        ...ctx.values,
        drill: { ...ctx.values.drill!, targets: { [pgName]: { database: pgDb }, [myName]: { database: myDb }, [redisName]: { host: r.host, port: r.port } } },
      };
      const err = await failing({ ...ctx, values });
      expect(err).toBeInstanceOf(RefusedError);
      expect((err as RefusedError).exitCode).toBe(ExitCode.refused);
      expect(err.message).toContain(
        `drill target of ${pgName} (${servers().postgres.host}:${servers().postgres.port}/${pgDb}) is the production database of component ${pgName}`,
      );
      expect(err.message).toContain(
        `drill target of ${myName} (${servers().mariadb.host}:${servers().mariadb.port}/${myDb}) is the production database of component ${myName}`,
      );
      expect(err.message).toContain(`drill target of ${redisName} (${r.host}:${r.port}) is the production server of component ${redisName}`);
      await untouched();
      expect((await drillMetrics(ctx.values.name)).safehold_drill_last_status).toBe(0);
    });
  });
});
