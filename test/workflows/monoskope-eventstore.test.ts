// Seed 003, Monoskope EventStore: scheduled backup into S3 with metrics pushed; the disaster procedure
// as three synced objects: the drop-database Job (it drops on the restore's go-ahead), the restore Job, then a
// rollout restart of every deployment labelled app.kubernetes.io/part-of=monoskope.
//
// CockroachDB cannot run here. The stand-in is PostgreSQL: the component's type is switched from
// cockroachdb to postgres together with its endpoint, so this test runs pg_dump/pg_restore where
// production runs the cockroachdb engine (a psql script under BEGIN AS OF SYSTEM TIME; restore with
// psql). What differs: the dump tool and format, CockroachDB's DROP DATABASE … CASCADE, and TLS
// (sslMode require → disable). What is the same: the values file, the synthesized Jobs and their
// arguments, the drop → restore → restart order, the ledger, the RBAC, S3, the Pushgateway.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startFakeKube, type FakeKube } from '../support/fake-kube.js';
import { pgExec, pgQuery, servers, tmpDir } from '../support/env.js';
import { expectExit, runner, s3Here, synth, valuesFile } from './harness.js';

let fake: FakeKube;
let kubeconfig: string;
beforeAll(async () => {
  fake = await startFakeKube({ dir: await tmpDir('kube'), namespaces: ['monoskope'] });
  kubeconfig = process.env.KUBECONFIG!;
});
afterAll(() => fake.stop());

function workload(kind: string, name: string, partOf: string) {
  fake.seed({
    apiVersion: 'apps/v1',
    kind,
    metadata: { name, namespace: 'monoskope', labels: { 'app.kubernetes.io/part-of': partOf } },
    spec: {
      selector: { matchLabels: { app: name } },
      template: { metadata: { labels: { app: name } }, spec: { containers: [{ name, image: `ghcr.io/finleap-connect/${name}:v0.6` }] } },
    },
  });
}
const restartedAt = (kind: string, name: string) =>
  fake.object('apps/v1', kind, 'monoskope', name)!.spec.template.metadata.annotations?.['kubectl.kubernetes.io/restartedAt'];

describe('Monoskope EventStore workflow (seed 003)', () => {
  it('backup with metrics; drop Job, restore Job and rollout restart restore the events', async () => {
    // The values' own database name: confirm spells it, and the Jobs' request ids hash it.
    const db = 'eventstore';
    await pgExec(`DROP DATABASE IF EXISTS ${db} WITH (FORCE)`);
    await pgExec(`CREATE DATABASE ${db}`);
    await pgExec(
      `CREATE TABLE events (id uuid PRIMARY KEY, aggregate_type text NOT NULL, event_type text NOT NULL, data jsonb, at timestamptz NOT NULL);
      INSERT INTO events SELECT md5(g::text)::uuid, 'User', 'UserCreated', jsonb_build_object('n', g), '2024-01-01'::timestamptz + g * interval '1 minute' FROM generate_series(1, 1500) g;`,
      db,
    );
    const events = () => pgQuery('SELECT id, event_type, data::text, at FROM events ORDER BY id', db);
    workload('Deployment', 'queryhandler', 'monoskope');
    workload('Deployment', 'commandhandler', 'monoskope');
    workload('Deployment', 'clusterbootstrapreactor', 'monoskope');
    workload('Deployment', 'cockroachdb-client', 'cockroachdb');

    const s = await synth(valuesFile('monoskope-eventstore.yaml'));
    const pg = servers().postgres;
    const config = s.config;
    s3Here(config, `monoskope-${process.pid}`);
    Object.assign(config.components[0], { type: 'postgres', host: pg.host, port: pg.port, database: db, sslMode: 'disable', restoreJobs: 1 });
    config.monitoring.pushgateway = servers().pushgateway.url;
    const job = await runner(config, kubeconfig, { 'eventstore-db': { username: pg.user, password: pg.password } });
    fake.enforceRbac(s.rbac);

    expectExit(await job.job(s.args('backup')), 0);
    const before = await events();
    const metrics = await (await fetch(`${servers().pushgateway.url}/metrics`)).text();
    expect(metrics).toMatch(/safehold_backup_last_success_timestamp_seconds\{[^}]*app="eventstore"[^}]*namespace="monoskope"[^}]*\} \d/);

    await pgExec(`INSERT INTO events VALUES ('00000000-0000-0000-0000-000000000001', 'User', 'UserDeleted', '{}', now())`, db);

    // Steps 1 and 2: the drop-database Job and the restore Job, synced together. The drop waits for the restore's
    // go-ahead (given once the set is verified), drops and recreates the database; then the restore restores it.
    const dropping = job.job(s.args('drop-database'));
    expect(restartedAt('Deployment', 'queryhandler')).toBeUndefined();
    const r = await job.job(s.args('restore'));
    const drop = await dropping;
    expectExit(drop, 0);
    expectExit(r, 0);
    expect(drop.stderr).toMatch(/dropping database and creating it empty on the go-ahead/);
    expect(r.stderr).toMatch(/the drop Job dropped the database on this go-ahead/);
    expect(await events()).toBe(before);
    // The same drop never runs twice: Argo CD re-syncing a deleted Job is harmless (no restore gives a go-ahead again).
    const twice = await job.job([...s.args('drop-database'), '--go-ahead-wait', '2']);
    expectExit(twice, 3);
    expect(twice.stderr).toMatch(/no restore of request restore-\w+ holds .* within 2 s/);
    expect(await events()).toBe(before);
    // Step 3: the roll through everything with cached state.
    for (const name of ['queryhandler', 'commandhandler', 'clusterbootstrapreactor'])
      expect(restartedAt('Deployment', name)).toMatch(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d/);
    expect(restartedAt('Deployment', 'cockroachdb-client')).toBeUndefined();
    const ledger = fake.object('v1', 'ConfigMap', 'monoskope', 'eventstore-safehold-ledger')!;
    expect(Object.keys(ledger.data).sort()).toEqual([expect.stringMatching(/^drop-/), expect.stringMatching(/^restore-/)]);
  });
});
