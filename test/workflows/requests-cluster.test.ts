// One-shot requests in a cluster (the Kubernetes fake + real PostgreSQL, restic on S3): the claim ConfigMap answers a
// second pod with 409, a rebuilt namespace does not make a finished request run again, the request Role that
// controllers keep lets a restore record and release even after `restore:` left git while its Job ran, and the drop
// Job drops with its own token, Role and Secrets only, on the restore's go-ahead.
import { rmSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startFakeKube, type FakeKube } from '../support/fake-kube.js';
import { pgExec, pgQuery, servers, tmpDir } from '../support/env.js';
import { holdPgRestore } from '../support/held-restore.js';
import { expectExit, runner, s3Here, setSection, synth, valuesFile, type Synthesized } from './harness.js';

let fake: FakeKube;
let kubeconfig: string;
beforeAll(async () => {
  fake = await startFakeKube({ dir: await tmpDir('kube'), namespaces: ['demo'] });
  kubeconfig = process.env.KUBECONFIG!;
});
afterAll(() => fake.stop());

const rows = (db: string) => pgQuery('SELECT id, body FROM t ORDER BY id', db);

async function setUp(db: string, restore: Record<string, unknown>) {
  await pgExec(`DROP DATABASE IF EXISTS ${db} WITH (FORCE)`);
  await pgExec(`CREATE DATABASE ${db}`);
  await pgExec(`CREATE TABLE t (id int primary key, body text); INSERT INTO t SELECT g, md5(g::text) FROM generate_series(1, 2000) g;`, db);
  // confirm spells the values' database; the test server's database is another one (confirm is not part of the id)
  const s = await synth(valuesFile('minimal.yaml'), setSection('restore', { ...restore, dropExisting: true, confirm: 'app' }));
  const pg = servers().postgres;
  s3Here(s.config, `requests-${db}`);
  Object.assign(s.config.components[0], { host: pg.host, port: pg.port, database: db });
  s.config.restore.confirm = db;
  const job = await runner(s.config, kubeconfig, { 'app-db-owner': { username: pg.user, password: pg.password } });
  return { s, job };
}

/** Whether every controller leaves the object in place when it leaves git. */
const neverPruned = (o: Synthesized['objects'][number]) => {
  const a: Record<string, string> = o.metadata.annotations ?? {};
  return (
    (a['argocd.argoproj.io/sync-options'] ?? '').split(',').includes('Prune=false') &&
    a['kustomize.toolkit.fluxcd.io/prune'] === 'disabled' &&
    a['helm.sh/resource-policy'] === 'keep'
  );
};

/** The rules bound to one ServiceAccount of a synthesized set, by namespace (what the authorizer grants its token). */
const rulesOf = (s: Synthesized, account: string) => {
  const m = new Map<string, any[]>();
  for (const b of s.objects.filter((o) => o.kind === 'RoleBinding' && o.subjects.some((x: any) => x.name === account))) {
    const role = s.objects.find((o) => o.kind === 'Role' && o.metadata.name === b.roleRef.name && o.metadata.namespace === b.metadata.namespace)!;
    m.set(b.metadata.namespace, [...(m.get(b.metadata.namespace) ?? []), ...role.rules]);
  }
  return m;
};

/** The Roles of a synthesized set, merged by namespace (what the RBAC authorizer would see). */
const rbacOf = (...sets: Array<{ objects: Synthesized['objects'] }>) => {
  const m = new Map<string, any[]>();
  for (const o of sets.flatMap((x) => x.objects).filter((o) => o.kind === 'Role'))
    m.set(o.metadata.namespace, [...(m.get(o.metadata.namespace) ?? []), ...o.rules]);
  return m;
};

describe('one-shot requests in a cluster', () => {
  it('two pods of one request: the claim ConfigMap lets one restore; a rebuilt namespace still refuses the finished request', async () => {
    const db = `rqc${process.pid}a`;
    const { s, job } = await setUp(db, {});
    fake.enforceRbac(s.rbac);
    try {
      expectExit(await job.job(s.args('backup')), 0);
      const before = await rows(db);
      await pgExec("UPDATE t SET body = 'damaged'", db);
      // The pod that wins the claim waits inside pg_restore until the other has answered, so the loser meets the
      // claim ConfigMap (409) while the winner runs, however the machine schedules them.
      const hold = holdPgRestore(job.dir);
      const [a, b] = await Promise.all([job.job(s.args('restore'), hold.env).then(hold.letGo), job.job(s.args('restore'), hold.env).then(hold.letGo)]);
      expect([a.code, b.code].sort(), `${a.stderr}\n---\n${b.stderr}`).toEqual([0, 3]);
      const loser = a.code === 3 ? a : b;
      expect(loser.stderr).toMatch(/holds ConfigMap demo\/minimal-safehold-claim/);
      expect(loser.stderr).not.toMatch(/dropping and recreating/);
      expect(await rows(db)).toBe(before);
      // finished: the claim is gone, the ledger cache has the request
      expect(fake.object('v1', 'ConfigMap', 'demo', 'minimal-safehold-claim')).toBeUndefined();
      expect(Object.keys(fake.object('v1', 'ConfigMap', 'demo', 'minimal-safehold-ledger')!.data)).toEqual([expect.stringMatching(/^restore-/)]);

      // The namespace rebuilt from git: no ledger, no claim. The repository still says finished.
      fake.remove('v1', 'ConfigMap', 'demo', 'minimal-safehold-ledger');
      await pgExec("UPDATE t SET body = 'new data written after the restore' WHERE id = 1", db);
      const after = await rows(db);
      const again = await job.job(s.args('restore'));
      expectExit(again, 3);
      expect(again.stderr).toMatch(/already ran: repository record \w+ \(finished restore/);
      expect(await rows(db)).toBe(after);
    } finally {
      fake.enforceRbac(undefined);
    }
  });

  it('restore: removed from git while its Job runs: the kept request Role still lets it record and release', async () => {
    const db = `rqc${process.pid}b`;
    const { s, job } = await setUp(db, { requestId: 'outlives' });
    const cleanedUp = await synth(valuesFile('minimal.yaml'));
    // What the cluster holds after the clean-up pull request: the set's Roles from git, and the Roles that Argo CD,
    // Flux and Helm do not prune (Prune=false, prune: disabled, resource-policy: keep), read from their annotations.
    const kept = { objects: s.objects.filter((o) => o.kind === 'Role' && neverPruned(o)) };
    expect(kept.objects.map((o) => o.metadata.name)).toEqual(['minimal-safehold-requests']);
    expectExit(await job.job(s.args('backup')), 0);
    const before = await rows(db);
    await pgExec("UPDATE t SET body = 'damaged'", db);
    fake.enforceRbac(rbacOf(cleanedUp));
    try {
      // Without the kept Role the claim itself is forbidden: refused before anything changed.
      const denied = await job.job(s.args('restore'));
      expect(denied.code).not.toBe(0);
      expect(denied.stderr).toMatch(/configmaps.* is forbidden/);
      expect(await rows(db)).not.toBe(before);
      fake.enforceRbac(rbacOf(cleanedUp, kept));
      expectExit(await job.job(s.args('restore')), 0);
      expect(await rows(db)).toBe(before);
      expect(fake.object('v1', 'ConfigMap', 'demo', 'minimal-safehold-claim')).toBeUndefined();
      expect(Object.keys(fake.object('v1', 'ConfigMap', 'demo', 'minimal-safehold-ledger')!.data)).toContainEqual(expect.stringMatching(/^restore-/));
    } finally {
      fake.enforceRbac(undefined);
    }
  });

  it('drop Job: runs with its own token and Role only, drops on the go-ahead; after a namespace rebuild both refuse, untouched', async () => {
    const db = `rqc${process.pid}c`;
    await pgExec(`DROP DATABASE IF EXISTS ${db} WITH (FORCE)`);
    await pgExec(`CREATE DATABASE ${db}`);
    await pgExec(`CREATE TABLE t (id int primary key, body text); INSERT INTO t SELECT g, md5(g::text) FROM generate_series(1, 2000) g;`, db);
    const s = await synth(valuesFile('minimal.yaml'), (doc) => {
      setSection('restore', { snapshot: 'latest' })(doc);
      setSection('dropDatabase', { component: 'app-db', confirm: 'app' })(doc);
    });
    const pg = servers().postgres;
    s3Here(s.config, `requests-${db}`);
    Object.assign(s.config.components[0], { host: pg.host, port: pg.port, database: db });
    s.config.dropDatabase.confirm = db;
    // The drop pod's Secrets as its manifest mounts them: the database login, nothing of the repository.
    const dropJob = s.objects.find((o) => o.kind === 'Job' && o.metadata.labels['app.kubernetes.io/component'] === 'drop-database')!;
    expect(dropJob.spec.template.spec.volumes.filter((v: any) => v.secret).map((v: any) => v.secret.secretName)).toEqual(['app-db-owner']);
    const job = await runner(s.config, kubeconfig, { 'app-db-owner': { username: pg.user, password: pg.password } });
    const dropOnly = await runner(s.config, fake.account(await tmpDir('kube-drop'), 'minimal-safehold-drop', rulesOf(s, 'minimal-safehold-drop')), {
      'app-db-owner': { username: pg.user, password: pg.password },
    });
    // The drop pod's secrets directory holds the database login only: it could not open the repository if it tried.
    for (const name of [s.config.repository.password.secretName, s.config.repository.s3.credentials.secretName, s.config.repository.s3.caCert.secretName])
      rmSync(join(dropOnly.secretsDir, name), { recursive: true });
    const dropJobArgs = (wait: number) => [...s.args('drop-database'), '--go-ahead-wait', String(wait)];
    fake.enforceRbac(rulesOf(s, 'minimal-safehold-restore'));
    try {
      expectExit(await job.job(s.args('backup')), 0);
      const before = await rows(db);
      await pgExec("UPDATE t SET body = 'damaged'", db);
      const [drop, rest] = await Promise.all([dropOnly.job(dropJobArgs(120)), job.job(s.args('restore'))]);
      expectExit(rest, 0);
      expectExit(drop, 0);
      expect(drop.stderr).toMatch(/dropping database and creating it empty on the go-ahead/);
      expect(await rows(db)).toBe(before);
      expect(fake.object('v1', 'ConfigMap', 'demo', 'minimal-safehold-claim')).toBeUndefined();
      expect(fake.object('v1', 'ConfigMap', 'demo', 'minimal-safehold-claim-drop')).toBeUndefined();
      const ledger = fake.object('v1', 'ConfigMap', 'demo', 'minimal-safehold-ledger')!;
      // The ledger cache of the namespace (shared with the tests above) has both steps of this request.
      expect(Object.keys(ledger.data)).toEqual(expect.arrayContaining([s.args('drop-database').at(-1), s.args('restore').at(-1)]));

      // The namespace rebuilt from git with the finished request still in it: no ledger, no claim objects.
      fake.remove('v1', 'ConfigMap', 'demo', 'minimal-safehold-ledger');
      await pgExec("UPDATE t SET body = 'new data written after the restore' WHERE id = 1", db);
      const after = await rows(db);
      const [lateDrop, again] = await Promise.all([dropOnly.job(dropJobArgs(5)), job.job(s.args('restore'))]);
      expectExit(again, 3);
      expect(again.stderr).toMatch(/already ran: repository record \w+ \(finished restore/);
      expectExit(lateDrop, 3);
      expect(lateDrop.stderr).toMatch(/no restore of request restore-\w+ holds ConfigMap demo\/minimal-safehold-claim within 5 s/);
      expect(await rows(db)).toBe(after);
    } finally {
      fake.enforceRbac(undefined);
    }
  });
});
