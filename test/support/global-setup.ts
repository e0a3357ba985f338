// vitest globalSetup: start every test server once (in parallel) and provide their info.
import { chmod, mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { TestProject } from 'vitest/node';
import type { ServersInfo } from './env.js';
import { startMariadb, startPostgres, startPushgateway, startRedis, startS3, type Stoppable } from './servers.js';

export default async function setup(project: TestProject): Promise<() => Promise<void>> {
  const started = performance.now();
  const tmpBase = await mkdtemp(join(tmpdir(), 'safehold-test-'));
  await chmod(tmpBase, 0o755);
  const opts = { baseDir: tmpBase };
  const results = await Promise.allSettled([
    startPostgres(opts), startMariadb(opts), startRedis({ ...opts, password: 'redis-test-password' }),
    startS3(opts), startPushgateway(opts),
  ]);
  const running = results.flatMap((r) => (r.status === 'fulfilled' ? [r.value as Stoppable] : []));
  const teardown = async () => {
    await Promise.allSettled(running.map((s) => s.stop()));
    await rm(tmpBase, { recursive: true, force: true });
  };
  const failures = results.flatMap((r) => (r.status === 'rejected' ? [String(r.reason)] : []));
  if (failures.length) {
    await teardown();
    throw new Error(`test servers failed to start:\n${failures.join('\n\n')}`);
  }
  const ok = <T>(r: PromiseSettledResult<T>): T => (r as PromiseFulfilledResult<T>).value;
  const [postgres, mariadb, redis, s3, pushgateway] = results;
  const info: ServersInfo = {
    tmpBase, postgres: ok(postgres), mariadb: ok(mariadb), redis: ok(redis), s3: ok(s3), pushgateway: ok(pushgateway),
  };
  project.provide('servers', serializable(info));
  console.log(`[servers] all five started in ${Math.round(performance.now() - started)} ms`);
  return teardown;
}

/** Drop the functions (stop, restart, ...) so the info can cross to the test workers. */
function serializable<T>(value: T): T {
  return JSON.parse(JSON.stringify(value)) as T;
}
