// The built runner image, for real: `npm run image` (buildah, local debootstrap base), then programs
// run inside it with `buildah run --isolation chroot`. Needs root, buildah and a Debian mirror;
// runs only with SAFEHOLD_IMAGE_TESTS=1 (CI sets it):
//   SAFEHOLD_IMAGE_TESTS=1 npx vitest run test/image
import { mkdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import { chown, readdir } from 'node:fs/promises';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { RUNNER_UID, SCRATCH_DIR } from '../../src/contract/layout.js';
import { BINARIES } from '../../src/runner/binaries.js';
import { VERSION } from '../../src/version.js';
import {
  IO_DIR,
  ImageContainer,
  REPO,
  buildImage,
  compressedSize,
  imageRef,
  imageSize,
  inspectImage,
  runnerWorkDir,
  type BuildResult,
  type RunOptions,
} from './buildah.js';
import { pgExec, pgQuery } from '../support/env.js';
import { makeApp, pgComponent, uniqueName } from '../runner/fixture.js';

const enabled = process.env.SAFEHOLD_IMAGE_TESTS === '1';
/** The test servers of test/support/global-setup.ts (absent under test/image/vitest.config.ts). */
const haveServers = enabled && !!inject('servers');

async function chownTree(path: string, uid: number): Promise<void> {
  await chown(path, uid, uid);
  for (const e of await readdir(path, { withFileTypes: true })) {
    if (e.isDirectory()) await chownTree(join(path, e.name), uid);
    else await chown(join(path, e.name), uid, uid);
  }
}

/** Arguments that make each program print its version and exit 0. */
const VERSION_ARGS: Record<string, string[]> = { restic: ['version'] };

const MB = 1_000_000;
/** A regression guard, not a target: today ~434 MB uncompressed (base 81, Debian packages 291, node_modules 62). */
const SIZE_BUDGET = 600 * MB;

describe.skipIf(!enabled)('runner image (buildah)', () => {
  let build: BuildResult;
  let ctr: ImageContainer;
  const report: Record<string, unknown> = {};

  beforeAll(async () => {
    if (process.getuid?.() !== 0) throw new Error('the image tests need root (buildah --isolation chroot)');
    build = await buildImage();
    report.image = build.image;
    report.buildSeconds = Math.round(build.ms / 100) / 10;
    ctr = await ImageContainer.create(build.image);
  }, 20 * 60_000);

  afterAll(async () => {
    await ctr?.remove();
    if (Object.keys(report).length) {
      const dir = join(REPO, '.tmp');
      mkdirSync(dir, { recursive: true });
      writeFileSync(join(dir, 'image-report.json'), `${JSON.stringify(report, null, 2)}\n`);
      console.log(`[image] report: ${JSON.stringify(report)}`);
    }
  });

  it('is tagged with the release version', () => {
    expect(build.image).toBe(imageRef());
    expect(build.image.endsWith(`:${VERSION}`)).toBe(true);
  });

  it('`safehold --version` prints the release version, as the image user', async () => {
    const r = await ctr.safehold(['--version']);
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    expect(r.stdout).toBe(`safehold ${VERSION}\n`);
    report.versionRunMs = r.ms;
  });

  it('the entrypoint (tini → safehold) and the default command work', async () => {
    const config = await inspectImage(build.image);
    expect(config.Entrypoint).toEqual(['/usr/bin/tini', '-g', '--', '/usr/local/bin/safehold']);
    expect(config.Cmd).toEqual(['--help']);
    // buildah run ignores ENTRYPOINT: start it by hand (-s: tini is not PID 1 here)
    const r = await ctr.run(['/usr/bin/tini', '-s', '--', '/usr/local/bin/safehold', ...config.Cmd!]);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toContain(`safehold ${VERSION}`);
    expect(r.stdout).toContain('backup');
  });

  const LOAD_EVERY_DEPENDENCY = `
    const { readFileSync } = require('node:fs');
    const load = (d) => import(d).catch((e) => {
      if (e.code !== 'ERR_PACKAGE_PATH_NOT_EXPORTED') throw e;
      const exp = JSON.parse(readFileSync('node_modules/' + d + '/package.json', 'utf8')).exports;
      return import(d + Object.keys(exp).find((k) => k !== '.' && k !== './package.json').slice(1));
    });
    Promise.all(process.argv.slice(1).map(load)).then(() => console.log('ok'));`;

  it('the pruned node_modules holds every runtime dependency, and both halves of the CLI load', async () => {
    const pkg = JSON.parse(readFileSync(join(REPO, 'package.json'), 'utf8')) as { dependencies: Record<string, string> };
    const deps = Object.keys(pkg.dependencies);
    const r = await ctr.run(
      // A package with subpath exports only (the Grafana SDK) is loaded through its first exported subpath.
      ['node', '-e', LOAD_EVERY_DEPENDENCY, ...deps],
      { workdir: '/opt/safehold' },
    );
    expect(r.stderr).toBe('');
    expect(r.stdout.trim()).toBe('ok');
    // the generator (zod, the values schema)
    const schema = await ctr.safehold(['schema']);
    expect(schema.code, schema.stderr).toBe(0);
    expect(JSON.parse(schema.stdout).$schema).toMatch(/json-schema/);
    // the runner: loads its modules, then refuses the missing --config/--values as bad input (2)
    const runner = await ctr.safehold(['snapshots']);
    expect(runner.stderr).not.toMatch(/internal error|ERR_MODULE_NOT_FOUND|Cannot find/);
    expect(runner.code, runner.stderr).toBe(2);
  });

  it('carries the contract: user, HOME, working dir, OCI labels', async () => {
    const config = await inspectImage(build.image);
    expect(config.User).toBe(`${RUNNER_UID}:${RUNNER_UID}`);
    expect(config.Env).toContain(`HOME=${SCRATCH_DIR}`);
    expect(config.WorkingDir).toBe(SCRATCH_DIR);
    expect(config.Labels?.['org.opencontainers.image.version']).toBe(VERSION);
    for (const key of ['title', 'source', 'licenses']) {
      expect(config.Labels?.[`org.opencontainers.image.${key}`], key).toBeTruthy();
    }
  });

  it(`runs as ${RUNNER_UID} (safehold) with a passwd entry; os.userInfo() works`, async () => {
    const id = await ctr.run(['id']);
    expect(id.stdout.trim()).toBe(`uid=${RUNNER_UID}(safehold) gid=${RUNNER_UID}(safehold) groups=${RUNNER_UID}(safehold)`);
    const info = await ctr.run([
      'node',
      '-e',
      'const u = require("os").userInfo(); console.log(JSON.stringify({ u, cwd: process.cwd(), home: process.env.HOME }))',
    ]);
    expect(info.code, info.stderr).toBe(0);
    expect(JSON.parse(info.stdout)).toEqual({
      u: { uid: RUNNER_UID, gid: RUNNER_UID, username: 'safehold', homedir: SCRATCH_DIR, shell: '/usr/sbin/nologin' },
      cwd: SCRATCH_DIR,
      home: SCRATCH_DIR,
    });
  });

  it('the runner can write only to scratch space (works with readOnlyRootFilesystem + /tmp emptyDir)', async () => {
    const root = await ctr.run(['touch', '/safehold-probe']);
    expect(root.code).not.toBe(0);
    expect(root.stderr).toMatch(/Permission denied/);
    const code = await ctr.run(['touch', '/opt/safehold/build/probe']);
    expect(code.code).not.toBe(0);
    const tmp = await ctr.run(['touch', `${SCRATCH_DIR}/safehold-probe`]);
    expect(tmp.code, tmp.stderr).toBe(0);
    // Everything the image user could write on the image's own filesystem.
    const writable = await ctr.run([
      'find',
      '/',
      '-xdev',
      '-writable',
      '-not',
      '-path',
      `${SCRATCH_DIR}/*`,
      '-not',
      '-path',
      '/var/tmp/*',
      '-not',
      '-path',
      IO_DIR,
    ]);
    const paths = writable.stdout.split('\n').filter(Boolean).sort();
    expect(paths).toEqual(['/run/lock', '/tmp', '/var/lock', '/var/tmp']);
  });

  it('provides every program in BINARIES, each runnable by the image user', async () => {
    const where = await ctr.run([
      'node',
      '-e',
      `const fs = require('fs'), path = require('path');
       const found = {};
       for (const bin of process.argv.slice(1)) {
         found[bin] = null;
         for (const dir of process.env.PATH.split(':')) {
           const p = path.join(dir, bin);
           try { fs.accessSync(p, fs.constants.X_OK); found[bin] = fs.realpathSync(p); break; } catch {}
         }
       }
       console.log(JSON.stringify(found));`,
      ...Object.values(BINARIES),
    ]);
    expect(where.code, where.stderr).toBe(0);
    const found = JSON.parse(where.stdout) as Record<string, string | null>;
    const missing = Object.entries(found)
      .filter(([, p]) => !p)
      .map(([b]) => b);
    expect(missing, 'not on the image PATH').toEqual([]);

    const versions: Record<string, string> = {};
    for (const bin of Object.values(BINARIES)) {
      const r = await ctr.run([bin, ...(VERSION_ARGS[bin] ?? ['--version'])]);
      expect(r.code, `${bin}: ${r.stderr}`).toBe(0);
      versions[bin] = r.stdout.trim().split('\n')[0];
    }
    report.binaries = versions;
    console.log(`[image] programs: ${JSON.stringify(versions, null, 1)}`);

    // restic >= 0.17: --stdin-from-command and clean lock release on SIGTERM
    const [, rMajor, rMinor] = /restic (\d+)\.(\d+)/.exec(versions.restic) ?? [];
    expect(Number(rMajor) * 100 + Number(rMinor)).toBeGreaterThanOrEqual(17);
    // pg_dump can dump servers up to its own major: the newest supported (17) or later
    const [, pgMajor] = /pg_dump \(PostgreSQL\) (\d+)/.exec(versions.pg_dump) ?? [];
    expect(Number(pgMajor)).toBeGreaterThanOrEqual(17);
  });

  it('reaches servers on the host loopback and writes to a mounted work dir (for backup/restore tests)', async () => {
    let server: Server | undefined;
    const dir = await runnerWorkDir();
    try {
      server = createServer((_req, res) => res.end('hello from the host'));
      await new Promise<void>((resolve) => server!.listen(0, '127.0.0.1', resolve));
      const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/`;
      const r = await ctr.run(
        ['node', '-e', `fetch(process.argv[1]).then((r) => r.text()).then((t) => require('fs').writeFileSync('/work/out.txt', t))`, url],
        { volumes: [[dir, '/work']] },
      );
      expect(r.code, r.stderr).toBe(0);
      expect(readFileSync(join(dir, 'out.txt'), 'utf8')).toBe('hello from the host');
      expect(statSync(join(dir, 'out.txt')).uid).toBe(RUNNER_UID);
    } finally {
      server?.close();
    }
  });

  it('records its size', async ({ annotate }) => {
    const size = await imageSize(build.image);
    const compressed = await compressedSize(build.image);
    Object.assign(report, {
      sizeBytes: size.bytes,
      size: size.human,
      compressedBytes: compressed,
      compressed: `${Math.round(compressed / MB)} MB`,
    });
    const line = `${build.image}: ${Math.round(size.bytes / MB)} MB uncompressed, ${Math.round(compressed / MB)} MB compressed (gzip layers)`;
    console.log(`[image] ${line}`);
    await annotate(line);
    expect(size.bytes).toBeLessThan(SIZE_BUDGET);
  });

  // The runner in the image against the PostgreSQL test server on the host's loopback. The app dir
  // (values, secrets, a local restic repository, the restore ledger) is mounted at the same path, so
  // the host paths in the values file hold inside the container.
  //
  // The test server is PostgreSQL 15 (Debian 12) and the image's pg_restore is 17: the runner restores into
  // an older server through psql, dropping the settings it does not know (engines/postgres.ts).
  it.skipIf(!haveServers)(
    'backs up PostgreSQL inside the image, and restores it into an older server',
    async () => {
      const db = uniqueName('img');
      await pgExec(`CREATE DATABASE ${db}`);
      await pgExec(
        `CREATE TABLE events (id serial primary key, body text, data jsonb, blob bytea);
       INSERT INTO events (body, data, blob) SELECT 'event ' || g, jsonb_build_object('n', g), decode(md5(g::text), 'hex')
       FROM generate_series(1, 2000) g;`,
        db,
      );
      const rows = () => pgQuery("SELECT id, body, data::text, encode(blob, 'hex') FROM events ORDER BY id", db);
      const before = await rows();
      const app = await makeApp({
        values: { components: [pgComponent('db', db)], restore: { snapshot: 'latest', dropExisting: true, confirm: db } },
      });
      await chownTree(app.dir, RUNNER_UID);
      const mount: RunOptions = { volumes: [[app.dir, app.dir]] };
      const flags = ['--values', app.valuesFile, '--secrets-dir', app.secretsDir];

      const backup = await ctr.safehold(['backup', ...flags, '--json'], mount);
      expect(backup.code, backup.stderr).toBe(0);
      const result = JSON.parse(backup.stdout) as { status: string; setId: string; components: { bytes: number }[] };
      expect(result.status).toBe('good');
      expect(result.components[0].bytes).toBeGreaterThan(10_000);
      const sets = await ctr.safehold(['snapshots', ...flags, '--json'], mount);
      expect(sets.code, sets.stderr).toBe(0);
      expect(sets.stdout).toContain(result.setId);

      await pgExec("DELETE FROM events WHERE id % 2 = 0; INSERT INTO events (body) VALUES ('after backup')", db);
      expect(await rows()).not.toBe(before);

      const restore = await ctr.safehold(['restore', ...flags], mount);
      const server = (await pgQuery('SHOW server_version')).trim().split(' ')[0];
      report.postgres = { server, backupMs: backup.ms, restoreMs: restore.ms, restored: restore.code === 0 };
      expect(restore.code, restore.stderr).toBe(0);
      expect(await rows()).toBe(before);
    },
    300_000,
  );
});
