// restore.scaleDown against the fake API server (no real API server runs here): the application's Deployments and
// StatefulSets at zero while the data is replaced, back to their recorded counts after, with the constructs' RBAC only;
// a failed restore leaves them at zero and its error says how to scale back.
import { join } from 'node:path';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { rbacRules, requestRbacRules } from '../../src/constructs/rbac-rules.js';
import { backup } from '../../src/runner/commands/backup.js';
import { restore } from '../../src/runner/commands/restore.js';
import { buildContext, type RunContext } from '../../src/runner/context.js';
import { createLogger } from '../../src/runner/log.js';
import { startFakeKube, type FakeKube } from '../support/fake-kube.js';
import { tmpDir } from '../support/env.js';
import { makeApp, type App } from './fixture.js';

let fake: FakeKube;
beforeAll(async () => {
  fake = await startFakeKube({ dir: await tmpDir('kube'), namespaces: ['test'] });
});
afterAll(() => fake.stop());

const workload = (kind: string, name: string, app: string, replicas: number) =>
  fake.seed({
    apiVersion: 'apps/v1',
    kind,
    metadata: { name, namespace: 'test', labels: { 'app.kubernetes.io/name': app } },
    spec: {
      replicas,
      selector: { matchLabels: { app: name } },
      template: { metadata: { labels: { app: name } }, spec: { containers: [{ name: 'c', image: 'i' }] } },
    },
  });
const replicas = (kind: string, name: string) => fake.object('apps/v1', kind, 'test', name)!.spec.replicas;

function allRules(v: RunContext['values']) {
  const m = rbacRules(v);
  const req = requestRbacRules(v);
  if (req.length) m.set(v.namespace, [...(m.get(v.namespace) ?? []), ...req]);
  return m;
}

function clusterCtx(app: App, logs: string[]): RunContext {
  return buildContext({
    config: app.valuesFile,
    secretsDir: app.secretsDir,
    scratchDir: join(app.dir, 'scratch'),
    log: createLogger((l) => logs.push(l)),
    env: { ...process.env, KUBERNETES_SERVICE_HOST: '10.96.0.1' },
  });
}

/** A kubernetes component (a ConfigMap) so that the restore needs no database server. */
const settings = (waitTimeout?: string) => ({
  name: 'settings',
  type: 'kubernetes',
  resources: [
    { apiVersion: 'v1', kind: 'ConfigMap', names: ['gitea-settings'], ...(waitTimeout ? { waitFor: { condition: 'Ready', timeout: waitTimeout } } : {}) },
  ],
  existing: 'replace',
});

beforeEach(() => {
  fake.enforceRbac(undefined);
  for (const [kind, name] of [
    ['Deployment', 'gitea'],
    ['StatefulSet', 'gitea-db'],
    ['Deployment', 'other'],
  ])
    fake.remove('apps/v1', kind, 'test', name);
  fake.remove('v1', 'ConfigMap', 'test', 'gitea-settings');
  fake.seed({ apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'gitea-settings', namespace: 'test' }, data: { a: '1' } });
  workload('Deployment', 'gitea', 'gitea', 3);
  workload('StatefulSet', 'gitea-db', 'gitea', 1);
  workload('Deployment', 'other', 'other', 2);
});

describe('restore.scaleDown', () => {
  it('scales the matching workloads to zero before the restore and back to their counts after', async () => {
    const app = await makeApp({
      values: { components: [settings()], restore: { snapshot: 'latest', scaleDown: { selector: 'app.kubernetes.io/name=gitea' } } },
    });
    fake.enforceRbac(allRules(app.ctx().values));
    const logs: string[] = [];
    await backup(clusterCtx(app, logs));
    const before = fake.requests.length;
    await restore(clusterCtx(app, logs));
    const patches = fake.requests.slice(before).filter((r) => r.method === 'PATCH' && r.path.startsWith('/apis/apps/'));
    // Down first (both), back after; the unrelated Deployment is never touched.
    expect(patches.map((r) => r.path)).toEqual([
      '/apis/apps/v1/namespaces/test/deployments/gitea',
      '/apis/apps/v1/namespaces/test/statefulsets/gitea-db',
      '/apis/apps/v1/namespaces/test/deployments/gitea',
      '/apis/apps/v1/namespaces/test/statefulsets/gitea-db',
    ]);
    expect([replicas('Deployment', 'gitea'), replicas('StatefulSet', 'gitea-db'), replicas('Deployment', 'other')]).toEqual([3, 1, 2]);
    const all = logs.join('');
    expect(all).toMatch(/"msg":"scaled to zero for the restore".*"workload":"Deployment\/gitea".*"replicas":3/);
    expect(all).toMatch(/"scaleBack":"kubectl -n test scale deployment\/gitea --replicas=3"/);
    expect(all).toMatch(/"msg":"scaled back after the restore".*"workload":"StatefulSet\/gitea-db"/);
  });

  it('a failed restore leaves them at zero and says how to scale back', async () => {
    // The ConfigMap never reports Ready: the restore fails after the scale-down.
    const app = await makeApp({
      values: { components: [settings('1s')], restore: { snapshot: 'latest', scaleDown: { selector: 'app.kubernetes.io/name=gitea' } } },
    });
    fake.enforceRbac(allRules(app.ctx().values));
    const logs: string[] = [];
    await backup(clusterCtx(app, logs));
    const err = await restore(clusterCtx(app, logs)).then(
      () => undefined,
      (e: Error) => e,
    );
    expect(err?.message).toMatch(
      /still scaled to zero by restore\.scaleDown; when the data is right, scale back with:\n {2}kubectl -n test scale deployment\/gitea --replicas=3\n {2}kubectl -n test scale statefulset\/gitea-db --replicas=1/,
    );
    expect([replicas('Deployment', 'gitea'), replicas('StatefulSet', 'gitea-db'), replicas('Deployment', 'other')]).toEqual([0, 0, 2]);
  });
});
