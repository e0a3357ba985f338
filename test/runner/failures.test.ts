// Failure injection: wrong password, damaged pack, restic exit 3, metrics on failure.
import { existsSync, readdirSync, statSync } from 'node:fs';
import { open } from 'node:fs/promises';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { ExitCode, RefusedError, RepositoryError, type SafeholdError } from '../../src/errors.js';
import { backup } from '../../src/runner/commands/backup.js';
import { restore } from '../../src/runner/commands/restore.js';
import { listSets } from '../../src/runner/commands/snapshots.js';
import { verify } from '../../src/runner/commands/verify.js';
import { pgExec, pgQuery, servers, pushedMetrics } from '../support/env.js';
import { tool, withEnv } from '../support/with-env.js';
import { makeApp, pgComponent, seededTable, writeSecrets } from './fixture.js';

function files(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((e) => (e.isDirectory() ? files(join(dir, e.name)) : [join(dir, e.name)]));
}

const metrics = (app: string) => pushedMetrics(app, 'backup');

describe('failure semantics', () => {
  it('a restic older than the features used is refused (exit 3) before it runs anything but `restic version`', async () => {
    const db = await seededTable(10);
    const app = await makeApp({ values: { components: [pgComponent('db', db)], restore: { dropExisting: true, confirm: db } } });
    const calls = join(app.dir, 'restic-calls');
    const undo = withEnv({ SAFEHOLD_BIN_RESTIC: tool('restic-old.mjs'), SAFEHOLD_TOOL_CALLS: calls });
    try {
      for (const run of [() => backup(app.ctx()), () => restore(app.ctx())]) {
        const err = (await run().catch((e: unknown) => e)) as SafeholdError;
        expect(err).toBeInstanceOf(RefusedError);
        expect(err.exitCode).toBe(ExitCode.refused);
        expect(err.message).toMatch(/restic 0\.12\.1 is older than 0\.14\.0, the oldest safehold works with .*; nothing was done$/);
      }
    } finally {
      undo();
    }
    expect(existsSync(calls)).toBe(false);
    expect(await pgQuery('SELECT count(*) FROM t', db)).toBe('10');
  });

  it('wrong repository password: restore fails before touching the database', async () => {
    const db = await seededTable();
    const app = await makeApp({ values: { components: [pgComponent('db', db)], restore: { dropExisting: true, confirm: db } } });
    await backup(app.ctx());
    await pgExec('INSERT INTO t VALUES (100000, $$kept$$)', db);
    writeSecrets(app.secretsDir, { restic: { password: 'not the password' } });
    const err = await restore(app.ctx()).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(RepositoryError);
    expect((err as RepositoryError).exitCode).toBe(ExitCode.repository);
    expect((err as Error).message).toMatch(/wrong repository password/);
    expect(await pgQuery('SELECT body FROM t WHERE id = 100000', db)).toBe('kept');
  });

  it('a damaged pack file is reported by verify, and restore refuses before dropping', async () => {
    const db = await seededTable(3000);
    const app = await makeApp({ values: { components: [pgComponent('db', db)], restore: { dropExisting: true, confirm: db } } });
    await backup(app.ctx());
    await expect(verify(app.ctx(), { readData: '100%' })).resolves.toMatchObject({ ok: true });
    const packs = files(join(app.dir, 'repo', 'data')).sort((a, b) => statSync(b).size - statSync(a).size);
    const fh = await open(packs[0], 'r+');
    await fh.write(Buffer.alloc(64, 0xff), 0, 64, 200);
    await fh.close();
    await expect(verify(app.ctx(), { readData: '100%' })).rejects.toThrow(/restic check/);
    await pgExec('INSERT INTO t VALUES (100000, $$kept$$)', db);
    await expect(restore(app.ctx())).rejects.toThrow(/restic dump \S+ \/db\.pgdump exited with code \d+[\s\S]*ciphertext verification failed/);
    expect(await pgQuery('SELECT body FROM t WHERE id = 100000', db)).toBe('kept');
  });

  it('restic exit code 3 (partial) fails the run and pushes a failure metric; success metrics stay readable', async () => {
    const db = await seededTable(50);
    const app = await makeApp({ values: { components: [pgComponent('db', db)], monitoring: { pushgateway: servers().pushgateway.url } } });
    const ok = await backup(app.ctx());
    const name = app.ctx().values.name;
    const afterOk = await metrics(name);
    expect(afterOk.safehold_backup_last_status).toBe('1');
    expect(Number(afterOk.safehold_backup_last_success_timestamp_seconds)).toBeGreaterThan(Date.now() / 1000 - 300);
    expect(Number(afterOk['safehold_backup_size_bytes{db}'])).toBe(ok.components[0].bytes);

    const undo = withEnv({ SAFEHOLD_BIN_RESTIC: tool('restic-exit3.mjs'), SAFEHOLD_REAL_TOOL: 'restic' });
    try {
      await expect(backup(app.ctx())).rejects.toThrow(/partial/);
    } finally {
      undo();
    }
    const afterFail = await metrics(name);
    expect(afterFail.safehold_backup_last_status).toBe('0');
    expect(afterFail.safehold_backup_last_success_timestamp_seconds).toBe(afterOk.safehold_backup_last_success_timestamp_seconds);
    expect((await listSets(app.ctx())).map((s) => s.id)).toEqual([ok.setId]);
  });
});
