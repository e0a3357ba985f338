// Seed 001, 3scale: backend-redis + system-redis + the system database (MySQL) + three Secrets in one set;
// the restore refuses while an APIManager exists, and restores everything once it is gone.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startFakeKube, type FakeKube } from '../support/fake-kube.js';
import { mysqlQuery, servers, tmpDir } from '../support/env.js';
import { bin, run, startRedis, type RedisInfo, type Stoppable } from '../support/servers.js';
import { uniqueName } from '../runner/fixture.js';
import { expectExit, runner, setSection, synth, valuesFile } from './harness.js';

const APIM = 'apps.3scale.net/v1alpha1';
let fake: FakeKube;
let kubeconfig: string;
const redis: Record<string, RedisInfo & Stoppable> = {};

const cli = (r: RedisInfo, ...args: string[]) => run(bin('redis-cli'), ['-h', r.host, '-p', String(r.port), ...args]).then((s) => s.trim());
/** Every key with its type, value and whether it expires, sorted: what "the data" of a Redis is here. */
async function redisState(r: RedisInfo): Promise<string> {
  const keys = (await cli(r, '--scan')).split('\n').filter(Boolean).sort();
  const out: string[] = [];
  for (const k of keys) {
    const type = await cli(r, 'TYPE', k);
    const value = type === 'string' ? await cli(r, 'GET', k) : type === 'hash' ? await cli(r, 'HGETALL', k) : await cli(r, 'LRANGE', k, '0', '-1');
    out.push(`${k} ${type} ${value.replace(/\n/g, ',')} ttl=${Number(await cli(r, 'TTL', k)) > 0}`);
  }
  return out.join('\n');
}

beforeAll(async () => {
  fake = await startFakeKube({
    dir: await tmpDir('kube'),
    namespaces: ['3scale'],
    types: [{ group: 'apps.3scale.net', version: 'v1alpha1', kind: 'APIManager', plural: 'apimanagers', namespaced: true }],
  });
  kubeconfig = process.env.KUBECONFIG!;
  // 3scale's two Redis servers, without passwords as the operator deploys them.
  const base = servers().tmpBase;
  [redis.backend, redis.system] = await Promise.all([startRedis({ baseDir: base }), startRedis({ baseDir: base })]);
});
afterAll(async () => {
  await fake.stop();
  await Promise.all(Object.values(redis).map((r) => r.stop()));
});

const b64 = (s: string) => Buffer.from(s).toString('base64');

describe('3scale workflow (seed 001)', () => {
  it('refuses while the APIManager exists, then restores both Redis, MySQL and the secrets', async () => {
    const db = uniqueName('system');
    const m = servers().mariadb;
    await mysqlQuery(
      `CREATE DATABASE ${db}; USE ${db}; CREATE TABLE accounts (id INT PRIMARY KEY, org_name VARCHAR(255), created_at DATETIME(6)); INSERT INTO accounts VALUES (1, 'Provider', '2024-01-01 00:00:00.123456'), (2, 'Developer ünicode', '2024-02-02 10:00:00');`,
    );
    await cli(redis.backend, 'SET', 'stats/{service:1}/usage', '42');
    await cli(redis.backend, 'HSET', 'application/1', 'state', 'live', 'plan', 'basic');
    await cli(redis.backend, 'SET', 'session:abc', 'token', 'EX', '86400');
    await cli(redis.system, 'RPUSH', 'resque:queue:mailers', 'job1', 'job2');
    const secrets = {
      'backend-redis': { REDIS_STORAGE_URL: b64(`redis://${redis.backend.host}:${redis.backend.port}/0`) },
      'system-redis': { URL: b64(`redis://${redis.system.host}:${redis.system.port}/1`) },
      'system-database': { DB_USER: b64(m.user), DB_PASSWORD: b64(m.password), URL: b64(`mysql2://root@${m.host}/${db}`) },
    };
    for (const [name, data] of Object.entries(secrets))
      fake.seed({
        apiVersion: 'v1',
        kind: 'Secret',
        metadata: { name, namespace: '3scale', labels: { threescale_component: 'system' } },
        type: 'Opaque',
        data,
      });
    fake.seed({ apiVersion: APIM, kind: 'APIManager', metadata: { name: 'apimanager-sample', namespace: '3scale' }, spec: { wildcardDomain: 'example.com' } });

    /** The endpoints of this machine instead of the cluster's Services; the PVC becomes a local path. */
    const here = (config: Record<string, any>, repo: string) => {
      config.repository = { local: { path: repo }, password: config.repository.password };
      for (const c of config.components) {
        if (c.name === 'backend-redis') Object.assign(c, { host: redis.backend.host, port: redis.backend.port });
        if (c.name === 'system-redis') Object.assign(c, { host: redis.system.host, port: redis.system.port });
        if (c.name === 'system-database') Object.assign(c, { host: m.host, port: m.port, database: db });
      }
      return config;
    };
    const repo = `${await tmpDir('pvc')}/repo`;
    const dbSecret = { 'system-database': { DB_USER: m.user, DB_PASSWORD: m.password } };
    const day1 = await synth(valuesFile('3scale.yaml'));
    const cron = await runner(here(day1.config, repo), kubeconfig, dbSecret);
    fake.enforceRbac(day1.rbac);
    expectExit(await cron.job(day1.args('backup')), 0);
    const rowsBefore = await mysqlQuery('SELECT * FROM accounts ORDER BY id', db);
    const [backendBefore, systemBefore] = [await redisState(redis.backend), await redisState(redis.system)];
    expect(backendBefore).toContain('session:abc string token ttl=true');

    // Disaster: the installation is broken; databases and secrets are gone, the APIManager is still there.
    await mysqlQuery("DELETE FROM accounts WHERE id = 2; UPDATE accounts SET org_name = 'broken'", db);
    await cli(redis.backend, 'FLUSHALL');
    await cli(redis.system, 'FLUSHALL');
    for (const name of Object.keys(secrets)) fake.remove('v1', 'Secret', '3scale', name);

    const pr = await synth(valuesFile('3scale.yaml'), setSection('restore', { snapshot: 'latest' }));
    const job = await runner(here(pr.config, repo), kubeconfig, dbSecret);
    fake.enforceRbac(pr.rbac);
    const refused = await job.job(pr.args('restore'));
    expectExit(refused, 3);
    expect(refused.stderr).toMatch(
      /restore refused, nothing was changed:\n\s+secrets: APIManager 3scale\/apimanager-sample exists; this restore requires it to be absent/,
    );
    expect(await mysqlQuery('SELECT org_name FROM accounts', db)).toBe('broken');
    expect(await cli(redis.backend, 'DBSIZE')).toBe('0');
    expect(fake.objects('v1', 'Secret', '3scale')).toEqual([]);

    // The APIManager is removed (by a change in git); the same restore Job now runs.
    fake.remove(APIM, 'APIManager', '3scale', 'apimanager-sample');
    const r = await job.job(pr.args('restore'));
    expectExit(r, 0);
    expect(await mysqlQuery('SELECT * FROM accounts ORDER BY id', db)).toBe(rowsBefore);
    expect(await redisState(redis.backend)).toBe(backendBefore);
    expect(await redisState(redis.system)).toBe(systemBefore);
    for (const [name, data] of Object.entries(secrets))
      expect(fake.object('v1', 'Secret', '3scale', name)).toMatchObject({ type: 'Opaque', data, metadata: { labels: { threescale_component: 'system' } } });
    // Secret values never reach the logs.
    for (const v of [m.password, b64(m.password)]) expect(r.stderr).not.toContain(v);
  });
});
