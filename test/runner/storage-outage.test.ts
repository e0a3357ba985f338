// The storage going away mid-backup: a clean failure, then the next run succeeds.
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { backup } from '../../src/runner/commands/backup.js';
import { listSets } from '../../src/runner/commands/snapshots.js';
import { servers } from '../support/env.js';
import { startS3 } from '../support/servers.js';
import { makeApp, pgComponent, seededTable, writeSecrets } from './fixture.js';

describe('storage outage', () => {
  it('the S3 server stopped mid-backup: a clean failure, then the next run succeeds', async () => {
    const s3 = await startS3({ baseDir: servers().tmpBase, bucket: 'flaky' });
    try {
      const db = await seededTable(200_000);
      const app = await makeApp({
        repo: { s3: { endpoint: s3.endpoint, bucket: 'flaky', prefix: 'r', credentials: { secretName: 's3' }, caCert: { secretName: 's3flaky' } }, password: { secretName: 'restic' } },
        values: { components: [pgComponent('db', db)], timeout: '40s' },
      });
      writeSecrets(app.secretsDir, { s3flaky: { 'ca.crt': readFileSync(s3.caCertFile, 'utf8') } });
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

});
