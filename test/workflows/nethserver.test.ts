// Seed 004, NethServer modules: two instances of one module back up into the SAME restic repository
// (the example values give each instance its own prefix, as NethServer does; sharing one repository
// is the harder case: only host and tags keep them apart). Files with include/exclude and the
// module's Redis keys; retention (keep 3) and a restore of one instance never touch the other.
import { existsSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { baseFilter, groupSets } from '../../src/runner/sets.js';
import { startFakeKube, type FakeKube } from '../support/fake-kube.js';
import { servers, tmpDir } from '../support/env.js';
import { bin, run, startRedis, type RedisInfo, type Stoppable } from '../support/servers.js';
import { expectExit, runner, s3Here, setSection, synth, valuesFile, type Runner, type Synthesized } from './harness.js';

const VALUES = valuesFile('nethserver-dokuwiki.yaml');
const MOUNT = '/srv/dokuwiki-data';
let fake: FakeKube;
let kubeconfig: string;
const redis: Array<RedisInfo & Stoppable> = [];

beforeAll(async () => {
  fake = await startFakeKube({ dir: await tmpDir('kube'), namespaces: ['nethserver'] });
  kubeconfig = process.env.KUBECONFIG!;
  const base = servers().tmpBase;
  redis.push(...(await Promise.all([startRedis({ baseDir: base, password: 'module-one' }), startRedis({ baseDir: base, password: 'module-two' })])));
});
afterAll(async () => {
  await fake.stop();
  await Promise.all(redis.map((r) => r.stop()));
});

const cli = (r: RedisInfo, ...args: string[]) =>
  run(bin('redis-cli'), ['-h', r.host, '-p', String(r.port), ...args], { env: { REDISCLI_AUTH: r.password } }).then((s) => s.trim());

function write(root: string, files: Record<string, string>): void {
  for (const [rel, text] of Object.entries(files)) {
    mkdirSync(join(root, rel, '..'), { recursive: true });
    writeFileSync(join(root, rel), text);
  }
}

interface Instance {
  readonly id: string;
  readonly dir: string;
  readonly redis: RedisInfo;
  readonly cron: Runner;
  readonly synth: Synthesized;
}

/** The values of one instance, as the module's values file says, with this machine's endpoints. */
function here(config: Record<string, any>, dir: string, r: RedisInfo, repoPrefix: string): Record<string, any> {
  s3Here(config, repoPrefix);
  const swap = (p: string) => (p.startsWith(MOUNT) ? dir + p.slice(MOUNT.length) : p);
  const files = config.components.find((c: any) => c.type === 'files');
  files.paths = files.paths.map(swap);
  files.include = files.include.map(swap);
  files.exclude = files.exclude.map(swap);
  Object.assign(
    config.components.find((c: any) => c.type === 'redis'),
    { host: r.host, port: r.port },
  );
  return config;
}

async function instance(id: string, r: RedisInfo, repoPrefix: string): Promise<Instance> {
  const dir = await tmpDir(id);
  write(dir, {
    'data/pages/start.txt': `Welcome to ${id}`,
    'data/pages/wiki/syntax.txt': '====== Formatting Syntax ======',
    'data/cache/a/b.i': 'cached render',
    'data/tmp/upload.part': 'partial',
    'conf/local.php': `<?php $conf['title'] = '${id}';`,
    'conf/.local.php.swp': 'vim swap',
  });
  await cli(r, 'HSET', `module/${id}/environment`, 'MODULE_ID', id, 'IMAGE_URL', 'ghcr.io/nethserver/dokuwiki:1.2.3');
  await cli(r, 'SET', `module/${id}/flags`, 'core_module');
  const s = await synth(VALUES, (doc) => {
    doc.set('instance', id);
    doc.setIn(['repository', 's3', 'prefix'], `dokuwiki/${id}`);
    doc.setIn(['components', 1, 'credentials', 'secretName'], `${id}-redis`);
  });
  const cron = await runner(here(s.config, dir, r, repoPrefix), kubeconfig, { [`${id}-redis`]: { password: r.password! } });
  return { id, dir, redis: r, cron, synth: s };
}

const backupOf = async (i: Instance) => expectExit(await i.cron.job(i.synth.args('backup')), 0);
const setsOf = async (i: Instance) => {
  const ctx = i.cron.ctx();
  return groupSets(await ctx.restic.snapshots(baseFilter(ctx.values)));
};

describe('NethServer workflow (seed 004)', () => {
  it('two instances in one repository: retention and restore of one never touch the other', async () => {
    const shared = `nethserver-${process.pid}`;
    const [one, two] = [await instance('dokuwiki1', redis[0], shared), await instance('dokuwiki2', redis[1], shared)];
    expect(one.cron.ctx().restic.access.location).toBe(two.cron.ctx().restic.access.location);

    // dokuwiki2 backs up once, first: the oldest set in the repository.
    await backupOf(two);
    const twoSets = (await setsOf(two)).map((s) => s.id);
    expect(twoSets).toHaveLength(1);

    // dokuwiki1 backs up four times with keepLast 3: its oldest set goes, dokuwiki2's stays.
    for (let n = 1; n <= 4; n++) {
      write(one.dir, { 'data/pages/counter.txt': String(n) });
      await backupOf(one);
    }
    const oneSets = await setsOf(one);
    expect(oneSets.map((s) => s.status)).toEqual(['good', 'good', 'good']);
    expect((await setsOf(two)).map((s) => s.id)).toEqual(twoSets);

    // The node of dokuwiki1 is lost; dokuwiki2 goes on changing.
    rmSync(one.dir, { recursive: true, force: true });
    await cli(one.redis, 'FLUSHALL');
    write(two.dir, { 'data/pages/start.txt': 'edited after the backup' });

    // Restore dokuwiki1 from a chosen set (the third backup, not the newest).
    const third = oneSets[1].id;
    const pr = await synth(VALUES, (doc) => {
      doc.set('instance', 'dokuwiki1');
      doc.setIn(['repository', 's3', 'prefix'], 'dokuwiki/dokuwiki1');
      setSection('restore', { snapshot: third })(doc);
    });
    const job = await runner(here(pr.config, one.dir, one.redis, shared), kubeconfig, { 'dokuwiki1-redis': { password: one.redis.password! } });
    fake.enforceRbac(pr.rbac);
    const r = await job.job(pr.args('restore'));
    expectExit(r, 0);
    expect(r.stdout).toContain(`set:        ${third}`);

    expect(readFileSync(join(one.dir, 'data/pages/counter.txt'), 'utf8')).toBe('3');
    expect(readFileSync(join(one.dir, 'data/pages/start.txt'), 'utf8')).toBe('Welcome to dokuwiki1');
    expect(readFileSync(join(one.dir, 'conf/local.php'), 'utf8')).toContain("'dokuwiki1'");
    // state-exclude: caches, temporary uploads and swap files were never stored.
    for (const gone of ['data/cache', 'data/tmp', 'conf/.local.php.swp']) expect(existsSync(join(one.dir, gone))).toBe(false);
    expect(await cli(one.redis, 'HGET', 'module/dokuwiki1/environment', 'MODULE_ID')).toBe('dokuwiki1');
    expect(await cli(one.redis, 'GET', 'module/dokuwiki1/flags')).toBe('core_module');

    // dokuwiki2: untouched files, untouched keys, the same sets.
    expect(readFileSync(join(two.dir, 'data/pages/start.txt'), 'utf8')).toBe('edited after the backup');
    expect(await cli(two.redis, 'KEYS', 'module/dokuwiki1/*')).toBe('');
    expect((await setsOf(two)).map((s) => s.id)).toEqual(twoSets);
  });
});
