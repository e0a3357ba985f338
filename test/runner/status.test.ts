// safehold status against a real repository: good, suspicious and incomplete sets, a real drill, a request record, an overdue app.
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { stringify } from 'yaml';
import { main } from '../../src/cli.js';
import { appTag, resticHost } from '../../src/contract/layout.js';
import { backup } from '../../src/runner/commands/backup.js';
import { drill } from '../../src/runner/commands/drill.js';
import { buildContext } from '../../src/runner/context.js';
import { collectStatus, type StatusReport } from '../../src/runner/commands/status.js';
import type { Snapshot } from '../../src/runner/restic/client.js';
import { sizeTag, STATUS_GOOD, TAG_MANIFEST, TAG_SAFEHOLD } from '../../src/runner/sets.js';
import { appStatus } from '../../src/runner/status/model.js';
import { pgExec, servers } from '../support/env.js';
import { makeApp, pgComponent, seededTable, uniqueName } from './fixture.js';

let stdout = '';
beforeEach(() => {
  stdout = '';
  vi.spyOn(process.stdout, 'write').mockImplementation((s) => ((stdout += String(s)), true));
  vi.spyOn(process.stderr, 'write').mockImplementation(() => true);
});
afterEach(() => vi.restoreAllMocks());

describe('safehold status', () => {
  it('one table per app from one listing: last good set, sizes, suspicious and incomplete sets, the drill RTO/RPO, a finished request, exit 1 for an overdue app', async () => {
    const db = await seededTable(20_000);
    const app = await makeApp({
      name: uniqueName('st'),
      values: { components: [pgComponent('db', db)], monitoring: { pushgateway: servers().pushgateway.url }, drill: { schedule: '0 5 * * 0' } },
    });
    const v = app.ctx().values;
    const good1 = await backup(app.ctx());
    await pgExec('DELETE FROM t WHERE id > 1000; VACUUM FULL t;', db);
    const suspicious = await backup(app.ctx());
    expect(suspicious.status).toBe('suspicious');
    await pgExec('INSERT INTO t SELECT g, md5(g::text) FROM generate_series(1001, 21000) g;', db);
    const good2 = await backup(app.ctx());
    expect(good2.status).toBe('good');
    const report = await drill(app.ctx());
    // A run that died before its manifest: a component snapshot only.
    const ctx = app.ctx();
    const tags = (extra: string[]) => extra.flatMap((t) => ['--tag', t]);
    const incomplete = '20991231-000000-dead00';
    await ctx.restic.run(
      ['backup', '--stdin', '--stdin-filename', 'db.dump', '--host', resticHost(v), ...tags([TAG_SAFEHOLD, appTag(v), `set=${incomplete}`, 'component=db'])],
      'partial',
    );
    // A finished one-shot request, as issue 12 records them (read defensively: whatever tags are there).
    await ctx.restic.run(
      ['backup', '--stdin', '--stdin-filename', 'request.json', '--host', resticHost(v), ...tags([`safehold-request=r-0123abcd`, 'state=finished', appTag(v)])],
      '{}',
    );

    // A second app in the same repository whose only good set is three days old.
    const old = uniqueName('old');
    const oldValues = { ...v, name: old, drill: undefined, monitoring: { enabled: true, alerts: { maxAge: '26h' } } };
    const oldHost = `${v.namespace}.${old}`;
    const oldTags = [TAG_SAFEHOLD, `app=${oldHost}`, 'set=20261128-000000-abcdef'];
    const when = new Date(Date.now() - 3 * 86400_000).toISOString().slice(0, 19).replace('T', ' ');
    await ctx.restic.run(
      ['backup', '--stdin', '--stdin-filename', 'db.dump', '--host', oldHost, '--time', when, ...tags([...oldTags, 'component=db'])],
      'x'.repeat(100),
    );
    await ctx.restic.run(
      [
        'backup',
        '--stdin',
        '--stdin-filename',
        'manifest.json',
        '--host',
        oldHost,
        '--time',
        when,
        ...tags([...oldTags, TAG_MANIFEST, STATUS_GOOD, sizeTag('db', 100)]),
      ],
      '{}',
    );
    const { $schema: _s, ...plain } = oldValues;
    writeFileSync(join(app.dir, 'old.yaml'), stringify(JSON.parse(JSON.stringify(plain))));

    // One restic call for both apps: they share the repository.
    const ctxs = [app.ctx(), buildOld(app.dir, app.secretsDir)];
    const spies = ctxs.map((c) => vi.spyOn(c.restic, 'run'));
    const statuses = await collectStatus(ctxs);
    expect(spies.reduce((n, s) => n + s.mock.calls.length, 0)).toBe(1);

    const [mine, overdue] = statuses;
    expect(mine.lastGood).toMatchObject({ id: good2.setId });
    expect(mine.overdue).toBe(false);
    expect(mine.counts).toEqual({ good: 2, suspicious: 1, incomplete: 1 });
    expect(mine.suspicious).toEqual([suspicious.setId]);
    expect(mine.incomplete).toEqual([incomplete]);
    const bytes = (r: typeof good1) => r.components.find((c) => c.name === 'db')!.bytes;
    expect(mine.components).toEqual([
      {
        name: 'db',
        type: 'postgres',
        bytes: bytes(good2),
        previousBytes: bytes(good1),
        changePercent: Math.round(((bytes(good2) - bytes(good1)) / bytes(good1)) * 1000) / 10,
      },
    ]);
    expect(mine.drill).toMatchObject({ result: 'passed', restoreSeconds: report.restoreSeconds });
    expect(mine.drill!.restoredSetAgeSeconds).toBeGreaterThanOrEqual(0);
    expect(mine.requests).toEqual([expect.objectContaining({ id: 'r-0123abcd', state: 'finished', records: 1 })]);
    expect(mine.problems).toEqual([]);
    expect(overdue.overdue).toBe(true);
    expect(overdue.problems).toEqual([expect.stringMatching(/^overdue: the last good set 20261128-000000-abcdef is 3d0h old, maxAge is 26h$/)]);

    // Through the CLI, on the directory: the text table, and exit 1 because one app is overdue.
    const code = await main(['status', '--values', app.dir, '--secrets-dir', app.secretsDir]);
    expect(code).toBe(1);
    const text = stdout;
    expect(text).toContain(`test/${v.name}  OK`);
    expect(text).toContain(`last good set ${good2.setId}`);
    expect(text).toMatch(new RegExp(`sets: 2 good, 1 suspicious \\(${suspicious.setId}\\), 1 incomplete \\(${incomplete}\\)`));
    expect(text).toMatch(/COMPONENT\s+TYPE\s+SIZE\s+PREVIOUS\s+CHANGE\n\s+db\s+postgres\s+\d/);
    expect(text).toMatch(new RegExp(`drill: PASSED, .*RTO ${report.restoreSeconds} s, RPO \\d+`));
    expect(text).toMatch(/r-0123abcd {2}finished/);
    expect(text).toContain(`test/${old}  PROBLEM`);
    expect(text).toContain('OVERDUE');

    stdout = '';
    expect(await main(['status', '--values', app.valuesFile, '--secrets-dir', app.secretsDir, '--json'])).toBe(0);
    const json = JSON.parse(stdout) as StatusReport;
    expect(json).toMatchObject({
      format: 'safehold.status/v1',
      ok: true,
      apps: [{ app: v.name, namespace: 'test', lastGood: { id: good2.setId }, counts: { good: 2, suspicious: 1, incomplete: 1 } }],
    });
    expect(json.apps[0]).not.toHaveProperty('history');
  });

  it('thousands of sets: the status of 5,000 sets × 3 snapshots is right (its time is measured in bench/, not here)', () => {
    const v = {
      ...baseValues(),
      components: [
        { name: 'db', type: 'postgres' },
        { name: 'cache', type: 'redis' },
      ],
    } as never;
    const snaps: Snapshot[] = [];
    const t0 = Date.parse('2026-01-01T00:00:00Z');
    for (let i = 0; i < 5000; i++) {
      const set = `set=s${String(i).padStart(5, '0')}`;
      const time = (ms: number) => new Date(t0 + i * 3600_000 + ms).toISOString();
      const base = { hostname: 'test.big', tags: [TAG_SAFEHOLD, 'app=test.big', set] };
      snaps.push({ ...base, id: `a${i}`, short_id: `a${i}`, time: time(0), tags: [...base.tags, 'component=db'] } as Snapshot);
      snaps.push({ ...base, id: `b${i}`, short_id: `b${i}`, time: time(1000), tags: [...base.tags, 'component=cache'] } as Snapshot);
      if (i % 100 !== 7)
        snaps.push({
          ...base,
          id: `m${i}`,
          short_id: `m${i}`,
          time: time(2000),
          tags: [...base.tags, TAG_MANIFEST, i % 50 === 3 ? 'status=suspicious' : STATUS_GOOD, sizeTag('db', 1000 + i), sizeTag('cache', 10)],
        } as Snapshot);
    }
    const s = appStatus({ values: v, repository: 'r', snapshots: snaps.reverse(), now: new Date(t0 + 5000 * 3600_000) });
    expect(s.counts).toEqual({ good: 4850, suspicious: 100, incomplete: 50 });
    expect(s.lastGood).toMatchObject({ id: 's04999', durationSeconds: 2 });
    expect(s.components[0]).toMatchObject({ bytes: 5999, previousBytes: 5998 });
  });
});

function baseValues() {
  return { name: 'big', namespace: 'test', schedule: '0 3 * * *', monitoring: { enabled: true, alerts: { maxAge: '26h', drillMaxAge: '8d' } } };
}

function buildOld(dir: string, secretsDir: string) {
  return buildContext({ values: join(dir, 'old.yaml'), secretsDir, scratchDir: join(dir, 'scratch') });
}
