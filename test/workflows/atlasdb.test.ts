// Seed 002, AtlasDB: a backup timestamp before and a fast-forward timestamp after the storage backup,
// both stored with the set; the restore empties the store, restores it, then runs clean-transactions
// with the first and fast-forward with the second, in that order.
import { chmodSync, copyFileSync, mkdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { readManifest } from '../../src/runner/commands/manifest.js';
import { baseFilter, groupSets } from '../../src/runner/sets.js';
import { startFakeKube, type FakeKube } from '../support/fake-kube.js';
import { pgExec, pgQuery, servers, tmpDir } from '../support/env.js';
import { expectExit, runner, s3Here, setSection, synth, valuesFile } from './harness.js';

const CLI = '/opt/atlasdb/bin/atlasdb';
let fake: FakeKube;
let kubeconfig: string;
beforeAll(async () => {
  fake = await startFakeKube({ dir: await tmpDir('kube'), namespaces: ['atlas'] });
  kubeconfig = process.env.KUBECONFIG!;
});
afterAll(() => fake.stop());

describe('AtlasDB workflow (seed 002)', () => {
  it('stores both timestamps with the set and hands them to the two restore hooks in order', async () => {
    // The values' own database name: the restore's confirm spells it, and the Job's request id hashes it.
    const db = 'atlas';
    await pgExec(`DROP DATABASE IF EXISTS ${db} WITH (FORCE)`);
    await pgExec(`CREATE DATABASE ${db}`);
    await pgExec(
      `CREATE TABLE atlas_kvs (row_name bytea, col_name bytea, ts bigint, val bytea, PRIMARY KEY (row_name, col_name, ts));
      CREATE TABLE _transactions (start_ts bigint PRIMARY KEY, commit_ts bigint);
      INSERT INTO atlas_kvs SELECT decode(md5(g::text), 'hex'), 'c'::bytea, g, convert_to(repeat('v', g % 50), 'UTF8') FROM generate_series(1, 800) g;
      INSERT INTO _transactions SELECT g, g + 1 FROM generate_series(1, 800) g;`,
      db,
    );

    // The Atlas CLI of the extended runner image, played by a small node script.
    const tools = await tmpDir('atlas');
    const state = join(tools, 'state');
    mkdirSync(state);
    const cliPath = join(tools, 'atlasdb');
    copyFileSync(fileURLToPath(new URL('./tools/atlasdb.mjs', import.meta.url)), cliPath);
    chmodSync(cliPath, 0o755);

    const pg = servers().postgres;
    const here = (config: Record<string, any>, prefix: string) => {
      s3Here(config, prefix);
      Object.assign(config.components[0], { host: pg.host, port: pg.port, database: db, sslMode: 'disable' });
      for (const phase of Object.values(config.hooks) as Array<Array<{ command?: string[] }>>)
        for (const h of phase) if (h.command?.[0] === CLI) h.command[0] = cliPath;
      return config;
    };
    const prefix = `atlas-${process.pid}`;
    const secrets = { 'atlas-kvs-owner': { username: pg.user, password: pg.password } };
    const env = { ATLAS_FAKE_STATE: state };

    const day1 = await synth(valuesFile('atlasdb.yaml'));
    const cron = await runner(here(day1.config, prefix), kubeconfig, secrets);
    expectExit(await cron.job(day1.args('backup'), env), 0);

    const ctx = cron.ctx();
    const sets = groupSets(await ctx.restic.snapshots(baseFilter(ctx.values)));
    expect(sets.map((s) => s.status)).toEqual(['good']);
    const manifest = await readManifest(ctx, sets[0]);
    expect(manifest.artifacts).toEqual({ 'backup.timestamp': '1001\n', 'fast-forward.timestamp': '1002\n' });
    const kvsBefore = await pgQuery("SELECT count(*), sum(ts), md5(string_agg(encode(val, 'hex'), ',' ORDER BY row_name)) FROM atlas_kvs", db);

    // Writes after the backup: the restore must not keep them (an empty store, then the dump).
    await pgExec("INSERT INTO atlas_kvs VALUES ('late', 'c', 5000, 'x'); INSERT INTO _transactions VALUES (5000, 5001);", db);
    expect(readFileSync(join(state, 'counter'), 'utf8')).toBe('1002');

    const pr = await synth(valuesFile('atlasdb.yaml'), setSection('restore', { snapshot: 'latest', dropExisting: true, confirm: 'atlas' }));
    const job = await runner(here(pr.config, prefix), kubeconfig, secrets);
    fake.enforceRbac(pr.rbac);
    const r = await job.job(pr.args('restore'), env);
    expectExit(r, 0);
    expect(r.stdout).toMatch(/swap: end sessions of [\s\S]*hook postRestore clean-transactions \(command\)[\s\S]*hook postRestore fast-forward \(command\)/);

    expect(await pgQuery("SELECT count(*), sum(ts), md5(string_agg(encode(val, 'hex'), ',' ORDER BY row_name)) FROM atlas_kvs", db)).toBe(kvsBefore);
    expect(await pgQuery('SELECT count(*) FROM _transactions WHERE start_ts >= 5000', db)).toBe('0');
    const calls = readFileSync(join(state, 'calls.jsonl'), 'utf8')
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l));
    expect(calls).toEqual([
      { command: 'clean-transactions', timestamp: '1001', file: 'backup.timestamp', password: pg.password },
      { command: 'fast-forward', timestamp: '1002', file: 'fast-forward.timestamp', password: pg.password },
    ]);
    expect(r.stderr).not.toContain(pg.password);
  });
});
