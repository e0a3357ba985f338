// The scheduled verify: a rotating read-back share, its metrics (status, last success kept on failure), and retention's status.
import { readdirSync, statSync } from 'node:fs';
import { open } from 'node:fs/promises';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { backup } from '../../src/runner/commands/backup.js';
import { rotatingSubset, verify } from '../../src/runner/commands/verify.js';
import { pushedMetrics, servers } from '../support/env.js';
import { makeApp, pgComponent, seededTable } from './fixture.js';

const files = (d: string): string[] => readdirSync(d, { withFileTypes: true }).flatMap((e) => (e.isDirectory() ? files(join(d, e.name)) : [join(d, e.name)]));

describe('verify', () => {
  it('rotates n/N by UTC day: N consecutive days read every share once', () => {
    const day0 = Date.parse('2026-12-01T04:30:00Z');
    const shares = Array.from({ length: 7 }, (_, i) => rotatingSubset(7, new Date(day0 + i * 86_400_000)));
    expect(new Set(shares).size).toBe(7);
    expect(shares.every((s) => /^[1-7]\/7$/.test(s))).toBe(true);
    expect(rotatingSubset(7, new Date(day0 + 3600_000))).toBe(shares[0]);
    expect(rotatingSubset(1, new Date(day0))).toBe('1/1');
  });

  it('pushes its result: 1 with the share read, then 0 on a damaged pack with the last success kept; backups push retention status', async () => {
    const db = await seededTable(3000);
    const app = await makeApp({
      values: { components: [pgComponent('db', db)], monitoring: { pushgateway: servers().pushgateway.url }, verify: { readDataSubsets: 1 } },
    });
    await backup(app.ctx());
    const name = app.ctx().values.name;
    expect((await pushedMetrics(name, 'backup')).safehold_retention_last_status).toBe('1');

    await expect(verify(app.ctx())).resolves.toMatchObject({ ok: true, readData: '1/1', sets: 1 });
    const ok = await pushedMetrics(name, 'verify');
    expect(ok.safehold_verify_last_status).toBe('1');
    expect(ok.safehold_verify_read_data_subset).toBe('1');
    expect(Number(ok.safehold_verify_last_success_timestamp_seconds)).toBeGreaterThan(Date.now() / 1000 - 300);

    const packs = files(join(app.dir, 'repo', 'data')).sort((a, b) => statSync(b).size - statSync(a).size);
    const fh = await open(packs[0], 'r+');
    await fh.write(Buffer.alloc(64, 0xff), 0, 64, 200);
    await fh.close();
    await expect(verify(app.ctx())).rejects.toThrow(/restic check/);
    const bad = await pushedMetrics(name, 'verify');
    expect(bad.safehold_verify_last_status).toBe('0');
    expect(bad.safehold_verify_last_success_timestamp_seconds).toBe(ok.safehold_verify_last_success_timestamp_seconds);
  });
});
