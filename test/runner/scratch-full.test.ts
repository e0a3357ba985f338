// The pod's scratch space filling up mid-restore (a small tmpfs as the scratch directory): the restore fails
// before it writes, with the cause in the message, and the target is as it was.
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
  it('a dump larger than the scratch space: the restore fails with "no space left on device" and the target is unchanged', async () => {
    const db = await seededTable(100_000);
    const app = await makeApp({ values: { components: [pgComponent('db', db)], restore: { dropExisting: true, confirm: db } } });
    const report = await backup(app.ctx());
    expect(report.components[0].bytes).toBeGreaterThan(4 * 1024 * 1024);
    await pgExec("UPDATE t SET body = 'after the backup' WHERE id % 5 = 0", db);
    const before = await checksum(db);
    const scratch = join(app.dir, 'scratch');
    mkdirSync(scratch, { recursive: true });
    await run(bin('mount'), ['-t', 'tmpfs', '-o', 'size=2m,mode=0700', 'tmpfs', scratch]);
    try {
      const err = (await restore(app.ctx()).catch((e: unknown) => e)) as Error;
      expect(err.message).toMatch(/no space left on device|ENOSPC/i);
    } finally {
      await run(bin('umount'), [scratch]);
    }
    expect(await checksum(db)).toBe(before);
  }, 120_000);
});
