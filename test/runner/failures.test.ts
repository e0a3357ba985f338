// Failure injection: wrong password, damaged pack, storage gone mid-backup, restic exit 3, metrics on failure.
import { readdirSync, statSync, writeFileSync } from 'node:fs';
import { open } from 'node:fs/promises';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { ExitCode, RepositoryError } from '../../src/errors.js';
import { backup } from '../../src/runner/commands/backup.js';
import { restore } from '../../src/runner/commands/restore.js';
import { listSets } from '../../src/runner/commands/snapshots.js';
import { verify } from '../../src/runner/commands/verify.js';
import { startS3 } from '../support/servers.js';
import { pgExec, pgQuery, servers } from '../support/env.js';
import { tool, withEnv } from '../support/with-env.js';
import { makeApp, pgComponent, uniqueName, writeSecrets } from './fixture.js';

async function seeded(rows = 300): Promise<string> {
  const db = uniqueName('pgf');
  await pgExec(`CREATE DATABASE ${db}`);
  await pgExec(`CREATE TABLE t (id int primary key, body text); INSERT INTO t SELECT g, md5(g::text) FROM generate_series(1, ${rows}) g;`, db);
  return db;
}

function files(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((e) => (e.isDirectory() ? files(join(dir, e.name)) : [join(dir, e.name)]));
}

async function metrics(app: string): Promise<Record<string, string>> {
  const res = await fetch(`${servers().pushgateway.url}/api/v1/metrics`);
  const body = (await res.json()) as { data: Array<{ labels: Record<string, string>; [k: string]: unknown }> };
  const out: Record<string, string> = {};
  for (const group of body.data.filter((g) => g.labels.app === app && g.labels.operation === 'backup')) {
    for (const [name, fam] of Object.entries(group)) {
      const m = (fam as { metrics?: Array<{ value: string; labels: Record<string, string> }> }).metrics;
      for (const x of m ?? []) out[x.labels.component ? `${name}{${x.labels.component}}` : name] = x.value;
    }
  }
  return out;
}

describe('failure semantics', () => {
  it('wrong repository password: restore fails before touching the database', async () => {
    const db = await seeded();
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
    const db = await seeded(3000);
    const app = await makeApp({ values: { components: [pgComponent('db', db)], restore: { dropExisting: true, confirm: db } } });
    await backup(app.ctx());
    await expect(verify(app.ctx(), { readData: '100%' })).resolves.toMatchObject({ ok: true });
    const packs = files(join(app.dir, 'repo', 'data')).sort((a, b) => statSync(b).size - statSync(a).size);
    const fh = await open(packs[0], 'r+');
    await fh.write(Buffer.alloc(64, 0xff), 0, 64, 200);
    await fh.close();
    await expect(verify(app.ctx(), { readData: '100%' })).rejects.toThrow(/restic check/);
    await pgExec('INSERT INTO t VALUES (100000, $$kept$$)', db);
    await expect(restore(app.ctx())).rejects.toThrow();
    expect(await pgQuery('SELECT body FROM t WHERE id = 100000', db)).toBe('kept');
  });

  it('the S3 server stopped mid-backup: a clean failure, then the next run succeeds', async () => {
    const s3 = await startS3({ baseDir: servers().tmpBase, bucket: 'flaky' });
    try {
      const db = await seeded(200_000);
      const app = await makeApp({
        repo: { s3: { endpoint: s3.endpoint, bucket: 'flaky', prefix: 'r', credentials: { secretName: 's3' }, caCert: { secretName: 's3flaky' } }, password: { secretName: 'restic' } },
        values: { components: [pgComponent('db', db)], timeout: '40s' },
      });
      writeSecrets(app.secretsDir, { s3flaky: { 'ca.crt': (await import('node:fs')).readFileSync(s3.caCertFile, 'utf8') } });
      await backup(app.ctx());
      const failing = backup(app.ctx());
      setTimeout(() => void s3.kill('SIGKILL'), 1500);
      await expect(failing).rejects.toThrow();
      await s3.start();
      const next = await backup(app.ctx());
      expect(next.status).toBe('good');
      const sets = await listSets(app.ctx());
      expect(sets.filter((s) => s.status === 'good')).toHaveLength(2);
      expect(sets.every((s) => s.status !== 'incomplete' || s.id !== next.setId)).toBe(true);
    } finally {
      await s3.stop();
    }
  });

  it('restic exit code 3 (partial) fails the run and pushes a failure metric; success metrics stay readable', async () => {
    const db = await seeded(50);
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

describe('retention and sanity', () => {
  it('keeps exactly what the policy says for this app and nothing of another app sharing the repository', async () => {
    const db = await seeded(20);
    const repo = join((await makeApp({ values: { components: [pgComponent('db', db)] } })).dir, 'shared-repo');
    const a = await makeApp({ repo, values: { components: [pgComponent('db', db)], retention: { keepLast: 2 } } });
    const b = await makeApp({ repo, values: { components: [pgComponent('db', db)], retention: { keepLast: 5 } } });
    const bIds = [(await backup(b.ctx())).setId, (await backup(b.ctx())).setId];
    const aIds: string[] = [];
    for (let i = 0; i < 4; i++) aIds.push((await backup(a.ctx())).setId);
    expect((await listSets(a.ctx())).map((s) => s.id)).toEqual(aIds.slice(2));
    expect((await listSets(b.ctx())).map((s) => s.id)).toEqual(bIds);
  });

  it('a dump a tenth of the previous one is flagged suspicious, not counted, and older good sets survive', async () => {
    const db = await seeded(20_000);
    const app = await makeApp({ values: { components: [pgComponent('db', db)], retention: { keepLast: 1 }, restore: { dropExisting: true, confirm: db } } });
    const good = await backup(app.ctx());
    await pgExec('DELETE FROM t WHERE id > 1000; VACUUM FULL t;', db);
    const bad = await backup(app.ctx());
    expect(bad.status).toBe('suspicious');
    expect(bad.suspicious.join()).toMatch(/previous good set/);
    const sets = await listSets(app.ctx());
    expect(sets.map((s) => [s.id, s.status])).toEqual([
      [good.setId, 'good'],
      [bad.setId, 'suspicious'],
    ]);
    await restore(app.ctx());
    expect(await pgQuery('SELECT count(*) FROM t', db)).toBe('20000');
  });
});
