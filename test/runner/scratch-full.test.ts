// The pod's scratch space filling up mid-restore (a small tmpfs as the scratch directory): a spooling restore fails
// before it writes, with the cause in the message, and the target is as it was; a streamed one needs no spool.
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { backup } from '../../src/runner/commands/backup.js';
import { restore } from '../../src/runner/commands/restore.js';
import { pgExec, pgQuery } from '../support/env.js';
import { bin, run } from '../support/servers.js';
import { makeApp, pgComponent, seededTable } from './fixture.js';

const checksum = (db: string) => pgQuery("SELECT md5(string_agg(id || ':' || body, ',' ORDER BY id)) FROM t", db);

describe('scratch space full', () => {
  it('a dump larger than the scratch space: a spooling restore fails with "no space left on device" and the target is unchanged; a streamed one fits', async () => {
    const db = await seededTable(100_000);
    const app = await makeApp({ values: { components: [pgComponent('db', db)] } });
    const report = await backup(app.ctx());
    expect(report.components[0].bytes).toBeGreaterThan(4 * 1024 * 1024);
    await pgExec("UPDATE t SET body = 'after the backup' WHERE id % 5 = 0", db);
    const scratch = join(app.dir, 'scratch');
    mkdirSync(scratch, { recursive: true });
    await run(bin('mount'), ['-t', 'tmpfs', '-o', 'size=2m,mode=0700', 'tmpfs', scratch]);
    try {
      // One restore job: the dump streams from the repository into the side database, no spool: it fits.
      app.update({ restore: { requestId: 'streamed' } });
      await restore(app.ctx());
      expect(await pgQuery("SELECT count(*) FROM t WHERE body = 'after the backup'", db)).toBe('0');
      expect(await pgQuery('SELECT count(*) FROM t', db)).toBe('100000');

      // restoreJobs 2: the dump is spooled to scratch (pg_restore -j needs a file), which is too small.
      await pgExec("UPDATE t SET body = 'after the restore' WHERE id % 7 = 0", db);
      const before = await checksum(db);
      app.update({ components: [{ ...pgComponent('db', db), restoreJobs: 2 }], restore: { requestId: 'spooled' } });
      const err = (await restore(app.ctx()).catch((e: unknown) => e)) as Error;
      expect(err.message).toMatch(/no space left on device|ENOSPC/i);
      expect(await checksum(db)).toBe(before);
    } finally {
      await run(bin('umount'), [scratch]);
    }
  }, 120_000);
});
