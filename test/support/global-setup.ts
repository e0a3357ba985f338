// vitest globalSetup: start every test server once (in parallel) and provide their info.
// The newer majors run from the image's Debian release (test-rootfs.ts), made or found in its cache first.
import { chmod, mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { TestProject } from 'vitest/node';
import type { ServersInfo } from './env.js';
import { startMariadb, startPostgres, startPushgateway, startRedis, startS3, type StartOptions, type Stoppable } from './servers.js';
import { mountRun, testRootfs } from './test-rootfs.js';
import { versionLine } from './versions.js';

export default async function setup(project: TestProject): Promise<() => Promise<void>> {
  const started = performance.now();
  const tmpBase = await mkdtemp(join(tmpdir(), 'safehold-test-'));
  await chmod(tmpBase, 0o755);
  const opts = { baseDir: tmpBase };
  const running: Stoppable[] = [];
  const failures: string[] = [];
  let unmount = async () => {};
  /** Resolves what `p` resolves (remembered for the teardown), or undefined with the failure noted. */
  const attempt = async <T>(p: Promise<T>): Promise<T | undefined> => {
    try {
      const v = await p;
      if (typeof (v as Partial<Stoppable>).stop === 'function') running.push(v as Stoppable);
      return v;
    } catch (e) {
      failures.push(String(e));
      return undefined;
    }
  };
  const databases = async (o: StartOptions) => {
    const [postgres, mariadb, redis] = await Promise.all([
      attempt(startPostgres(o)),
      attempt(startMariadb(o)),
      attempt(startRedis({ ...o, password: 'redis-test-password' })),
    ]);
    return postgres && mariadb && redis ? { postgres, mariadb, redis } : undefined;
  };
  let rootfsMs = 0;
  const newer = async () => {
    const image = await testRootfs();
    rootfsMs = performance.now() - started;
    unmount = await mountRun(image.root, tmpBase);
    const servers = await databases({ ...opts, root: image.root });
    return servers && { image, servers };
  };
  const timed = <T>(p: Promise<T>, done: { ms: number }) =>
    p.finally(() => {
      done.ms = Math.round(performance.now() - started);
    });
  const [hostDone, newerDone] = [{ ms: 0 }, { ms: 0 }];
  const [host, s3, pushgateway, fromImage] = await Promise.all([
    timed(databases(opts), hostDone),
    attempt(startS3(opts)),
    attempt(startPushgateway(opts)),
    timed(attempt(newer()), newerDone),
  ]);
  const teardown = async () => {
    await Promise.allSettled(running.map((s) => s.stop()));
    await unmount();
    await rm(tmpBase, { recursive: true, force: true });
  };
  if (failures.length || !host || !s3 || !pushgateway || !fromImage) {
    await teardown();
    throw new Error(`test servers failed to start:\n${failures.join('\n\n')}`);
  }
  const info: ServersInfo = { tmpBase, ...host, s3, pushgateway, newer: fromImage.servers, image: fromImage.image };
  project.provide('servers', serializable(info));
  console.log(
    `[servers] all eight started in ${Math.round(performance.now() - started)} ms: the host's databases after` +
      ` ${hostDone.ms} ms, the newer majors after ${newerDone.ms} ms (their root filesystem ready after ${Math.round(rootfsMs)} ms:` +
      ` ${fromImage.image.dir})`,
  );
  console.log(`[versions] ${await versionLine(info).catch((e: Error) => `could not be read: ${e.message}`)}`);
  return teardown;
}

/** Drop the functions (stop, restart, ...) so the info can cross to the test workers. */
function serializable<T>(value: T): T {
  return JSON.parse(JSON.stringify(value)) as T;
}
