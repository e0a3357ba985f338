// The storage going away mid-backup: a clean failure, then the next run succeeds.
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { backup } from '../../src/runner/commands/backup.js';
import { listSets } from '../../src/runner/commands/snapshots.js';
import { servers } from '../support/env.js';
import { startS3 } from '../support/servers.js';
import { startThrottlingProxy } from '../support/s3-throttle.js';
import { makeApp, pgComponent, seededTable, uniqueName, writeSecrets } from './fixture.js';

/** The set id of the run that logged `backup FAILED`. */
function failedSetId(logs: readonly string[]): string {
  const line = logs.map((l) => JSON.parse(l) as { msg: string; set?: string }).find((l) => l.msg.startsWith('backup FAILED'));
  if (!line?.set) throw new Error('no backup FAILED line with a set id');
  return line.set;
}

describe('storage outage', () => {
  it('the S3 server stopped mid-backup: a clean failure, then the next run succeeds', async () => {
    const s3 = await startS3({ baseDir: servers().tmpBase, bucket: 'flaky' });
    try {
      const db = await seededTable(200_000);
      const app = await makeApp({
        repo: {
          s3: { endpoint: s3.endpoint, bucket: 'flaky', prefix: 'r', credentials: { secretName: 's3' }, caCert: { secretName: 's3flaky' } },
          password: { secretName: 'restic' },
        },
        values: { components: [pgComponent('db', db)], timeout: '40s' },
      });
      writeSecrets(app.secretsDir, { s3flaky: { 'ca.crt': readFileSync(s3.caCertFile, 'utf8') } });
      const first = await backup(app.ctx());
      const failing = backup(app.ctx());
      setTimeout(() => void s3.kill('SIGKILL'), 1500);
      const err = (await failing.catch((e: unknown) => e)) as Error;
      // The cause is the storage: restic could not reach it (or, retrying, ran into the run's timeout; when the
      // timeout stopped pg_dump too, blocked on the pipe restic no longer read, both are named).
      expect(err.message).toMatch(
        /(^|\nand, stopped by the same timeout: )restic [\s\S]* (exited with code \d+|killed by SIG[A-Z]+)[\s\S]*(connection refused|stopped: timed out)/,
      );
      const failedSet = failedSetId(app.logs);
      await s3.start();
      const next = await backup(app.ctx());
      expect(next.status).toBe('good');
      const sets = await listSets(app.ctx());
      // Exactly the two good runs count; the failed run's set is gone or incomplete, never good.
      expect(sets.filter((s) => s.status === 'good').map((s) => s.id)).toEqual([first.setId, next.setId]);
      expect(sets.find((s) => s.id === failedSet)?.status ?? 'gone').toMatch(/^(gone|incomplete)$/);
    } finally {
      await s3.stop();
    }
  });

  it('S3 answering 503 SlowDown for 10 s: restic retries and the backup succeeds within its deadline', async () => {
    const s3 = servers().s3;
    const proxy = await startThrottlingProxy(s3.endpoint, s3.caCertFile);
    try {
      const db = await seededTable(20_000);
      const app = await makeApp({
        repo: {
          s3: { endpoint: proxy.endpoint, bucket: s3.bucket, prefix: uniqueName('slow'), credentials: { secretName: 's3' }, caCert: { secretName: 's3' } },
          password: { secretName: 'restic' },
        },
        values: { components: [pgComponent('db', db)], timeout: '5m' },
      });
      await backup(app.ctx());
      const started = Date.now();
      proxy.throttle(true);
      const running = backup(app.ctx());
      await new Promise((r) => setTimeout(r, 10_000));
      proxy.throttle(false);
      const report = await running;
      const seconds = (Date.now() - started) / 1000;
      expect(proxy.counts.slowDown).toBeGreaterThan(0);
      expect(report.status).toBe('good');
      expect(seconds).toBeLessThan(5 * 60);
      expect((await listSets(app.ctx())).filter((s) => s.status === 'good')).toHaveLength(2);
    } finally {
      await proxy.stop();
    }
  }, 330_000);
});
