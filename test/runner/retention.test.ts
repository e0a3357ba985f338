// Retention by sets in a shared repository, and the size sanity gate that keeps bad backups from evicting good ones.
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { backup } from '../../src/runner/commands/backup.js';
import { restore } from '../../src/runner/commands/restore.js';
import { listSets } from '../../src/runner/commands/snapshots.js';
import { pgExec, pgQuery } from '../support/env.js';
import { makeApp, pgComponent, seededTable } from './fixture.js';

describe('retention and sanity', () => {
  it('keeps exactly what the policy says for this app and nothing of another app sharing the repository', async () => {
    const db = await seededTable(20);
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
    const db = await seededTable(20_000);
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
