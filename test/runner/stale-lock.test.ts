// The first listing opens the repository: a stale exclusive lock (a prune or check killed by SIGKILL) is met by
// that listing, removed by one `restic unlock`, and the backup goes on — with restic 0.14 (Debian 12) and 0.18.
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { backup } from '../../src/runner/commands/backup.js';
import { BINARIES, binaryPath } from '../../src/runner/binaries.js';
import { useImageTools } from '../support/matrix.js';
import { run } from '../support/servers.js';
import { makeApp, pgComponent, seededTable, type App } from './fixture.js';

function restic(app: App, args: string[]): Promise<string> {
  return run(binaryPath(BINARIES.restic), ['-r', join(app.dir, 'repo'), ...args], {
    env: { RESTIC_PASSWORD_FILE: join(app.secretsDir, 'restic', 'password') },
  });
}
const locks = async (app: App) => (await restic(app, ['list', 'locks', '--no-lock'])).split('\n').filter((l) => /^[0-9a-f]{64}$/.test(l));

/**
 * A `restic check --read-data` (exclusive lock) SIGKILLed once its lock is in the repository: the lock stays.
 * A check that ends before a poll sees its lock (a small repository, restic 0.18) is started again.
 */
async function staleExclusiveLock(app: App): Promise<void> {
  const { spawn } = await import('node:child_process');
  for (let attempt = 1; (await locks(app)).length === 0; attempt++) {
    if (attempt > 20) throw new Error('restic check never held its lock long enough to be killed');
    const child = spawn(binaryPath(BINARIES.restic), ['-r', join(app.dir, 'repo'), 'check', '--read-data'], {
      env: { ...process.env, RESTIC_PASSWORD_FILE: join(app.secretsDir, 'restic', 'password') },
      stdio: 'ignore',
    });
    let done = false;
    const exited = new Promise((r) => child.once('close', () => r((done = true))));
    while (!done && (await locks(app)).length === 0) await new Promise((r) => setTimeout(r, 20));
    child.kill('SIGKILL');
    await exited;
  }
  const [id] = await locks(app);
  expect(JSON.parse(await restic(app, ['cat', 'lock', id!, '--no-lock'])).exclusive).toBe(true);
}

function staleLockSuite(): void {
  it('a stale exclusive lock is removed after the first listing meets it, and the backup is good', async () => {
    const app = await makeApp({ values: { components: [pgComponent('db', await seededTable(200_000))] } });
    expect((await backup(app.ctx())).status).toBe('good');
    await staleExclusiveLock(app);
    expect((await backup(app.ctx())).status).toBe('good');
    expect(app.logs.filter((l) => /removing stale locks/.test(l))).toHaveLength(1);
    expect(await locks(app)).toEqual([]);
  }, 180_000);
}

describe("restic 0.14 (the host's)", staleLockSuite);

describe("restic 0.18 (the image's)", () => {
  useImageTools();
  staleLockSuite();
});
