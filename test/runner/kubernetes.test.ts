// The kubernetes component against the fake API: cleaned backup, ordered restore with readiness waits,
// existing objects, requireAbsent, the ConfigMap ledger, rollout restart and the constructs' RBAC.
import { join } from 'node:path';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { rbacRules, requestRbacRules } from '../../src/constructs/rbac-rules.js';
import { backup } from '../../src/runner/commands/backup.js';
import { cleanObject } from '../../src/runner/kube/clean.js';
import { pickPod } from '../../src/runner/kube/exec.js';
import { mergePatchTo } from '../../src/runner/kube/merge-patch.js';
import { assignToEntries } from '../../src/runner/kube/objects.js';
import { restartPatch } from '../../src/runner/kube/rollout.js';
import { matches } from '../../src/runner/kube/selector.js';
import { restore } from '../../src/runner/commands/restore.js';
import { buildContext, type RunContext } from '../../src/runner/context.js';
import { createLogger } from '../../src/runner/log.js';
import { startFakeKube, type FakeKube } from '../support/fake-kube.js';
import { tmpDir } from '../support/env.js';
import { makeApp, type App } from './fixture.js';

const ASTARTE = { group: 'api.astarte-platform.org', version: 'v1alpha2', kind: 'Astarte', plural: 'astartes', namespaced: true };
const ADI = { group: 'ingress.astarte-platform.org', version: 'v1alpha1', kind: 'AstarteDefaultIngress', plural: 'astartedefaultingresses', namespaced: true };
const CA_KEY = 'LS0tLS1CRUdJTiBQUklWQVRFIEtFWS0tLS0tc2VjcmV0LWNhLWtleQ==';

let fake: FakeKube;
beforeAll(async () => {
  fake = await startFakeKube({ dir: await tmpDir('kube'), types: [ASTARTE, ADI], namespaces: ['test', 'scratch'] });
  fake.readyAfter('api.astarte-platform.org/v1alpha2', 'Astarte', 400);
});
afterAll(() => fake.stop());

function seedAstarte(): void {
  fake.seed({
    apiVersion: 'v1',
    kind: 'Secret',
    metadata: {
      name: 'astarte-devices-ca',
      namespace: 'test',
      labels: { 'app.kubernetes.io/instance': 'astarte', 'argocd.argoproj.io/instance': 'astarte', 'kustomize.toolkit.fluxcd.io/name': 'infra' },
      annotations: {
        'kubectl.kubernetes.io/last-applied-configuration': '{"secret":"in here"}',
        'argocd.argoproj.io/tracking-id': 'astarte:/Secret:test/astarte-devices-ca',
        'argocd.argoproj.io/sync-options': 'Prune=false',
      },
      ownerReferences: [{ apiVersion: 'v1', kind: 'ConfigMap', name: 'owner', uid: 'dead-beef' }],
    },
    type: 'kubernetes.io/tls',
    data: { 'tls.key': CA_KEY, 'tls.crt': 'Y2VydA==' },
  });
  fake.seed({
    apiVersion: 'api.astarte-platform.org/v1alpha2',
    kind: 'Astarte',
    metadata: { name: 'astarte', namespace: 'test' },
    spec: { version: '1.2.0', api: { host: 'api.example.com' } },
    status: { health: 'green', conditions: [{ type: 'Ready', status: 'True' }] },
  });
  fake.seed({
    apiVersion: 'ingress.astarte-platform.org/v1alpha1',
    kind: 'AstarteDefaultIngress',
    metadata: { name: 'adi', namespace: 'test' },
    spec: { astarte: 'astarte', api: { exposeHousekeeping: true } },
  });
}

function removeAstarte(): void {
  fake.remove('v1', 'Secret', 'test', 'astarte-devices-ca');
  fake.remove('api.astarte-platform.org/v1alpha2', 'Astarte', 'test', 'astarte');
  fake.remove('ingress.astarte-platform.org/v1alpha1', 'AstarteDefaultIngress', 'test', 'adi');
}

const component = (extra: Record<string, unknown> = {}, waitTimeout = '20s') => ({
  name: 'astarte',
  type: 'kubernetes',
  resources: [
    { apiVersion: 'v1', kind: 'Secret', names: ['astarte-devices-ca'] },
    { apiVersion: 'api.astarte-platform.org/v1alpha2', kind: 'Astarte', names: ['astarte'], waitFor: { condition: 'Ready', timeout: waitTimeout } },
    { apiVersion: 'ingress.astarte-platform.org/v1alpha1', kind: 'AstarteDefaultIngress', names: ['adi'] },
  ],
  ...extra,
});

/** The synthesized RBAC: the set's Roles and the request Role (ledger and claim), by namespace. */
function allRules(v: RunContext['values']) {
  const m = rbacRules(v);
  const req = requestRbacRules(v);
  if (req.length) m.set(v.namespace, [...(m.get(v.namespace) ?? []), ...req]);
  return m;
}

/** A context as in the restore Job: --config, in a cluster (ledger in a ConfigMap). */
function clusterCtx(app: App, logs: string[]): RunContext {
  return buildContext({
    config: app.valuesFile,
    secretsDir: app.secretsDir,
    scratchDir: join(app.dir, 'scratch'),
    log: createLogger((l) => logs.push(l)),
    env: { ...process.env, KUBERNETES_SERVICE_HOST: '10.96.0.1' },
  });
}

beforeEach(() => {
  fake.enforceRbac(undefined);
  removeAstarte();
});

describe('kubernetes: pure parts', () => {
  it('cleanObject drops server-set fields, owner references and GitOps tracking, and keeps user intent', () => {
    const svc = cleanObject({
      apiVersion: 'v1',
      kind: 'Service',
      metadata: {
        name: 's',
        namespace: 'n',
        uid: 'u',
        resourceVersion: '9',
        generation: 2,
        creationTimestamp: 't',
        managedFields: [],
        selfLink: 'x',
        ownerReferences: [{ uid: 'o' }],
        labels: { 'helm.toolkit.fluxcd.io/name': 'r', 'app.kubernetes.io/instance': 'i' },
        annotations: { 'deployment.kubernetes.io/revision': '3' },
        finalizers: ['keep/me'],
      },
      spec: { clusterIP: '10.0.0.7', clusterIPs: ['10.0.0.7'], ports: [{ port: 80 }] },
      status: { loadBalancer: {} },
    });
    expect(svc).toEqual({
      apiVersion: 'v1',
      kind: 'Service',
      metadata: { name: 's', namespace: 'n', labels: { 'app.kubernetes.io/instance': 'i' }, finalizers: ['keep/me'] },
      spec: { ports: [{ port: 80 }] },
    });
    expect(cleanObject({ apiVersion: 'v1', kind: 'Service', metadata: { name: 'h' }, spec: { clusterIP: 'None' } }).spec).toEqual({ clusterIP: 'None' });
  });

  it('mergePatchTo: null for removed keys, nested changes only, arrays whole, undefined when equal', () => {
    expect(mergePatchTo({ a: 1, b: { c: 1, d: 2 }, l: [1, 2] }, { a: 1, b: { c: 1 }, l: [2], e: 'new' })).toEqual({ b: { d: null }, l: [2], e: 'new' });
    expect(mergePatchTo({ a: { b: [1] } }, { a: { b: [1] } })).toBeUndefined();
  });

  it('selectors, entry assignment, pod choice and the restart patch', () => {
    expect(matches({ a: 'x', b: 'y' }, 'a=x, b!=z')).toBe(true);
    expect(matches({ a: 'x' }, 'a==y')).toBe(false);
    const cm = (name: string, tier?: string) => ({ apiVersion: 'v1', kind: 'ConfigMap', metadata: { name, ...(tier ? { labels: { tier } } : {}) } });
    const { entries, unmatched } = assignToEntries(
      [
        { apiVersion: 'v1', kind: 'ConfigMap', labelSelector: 'tier=db' },
        { apiVersion: 'v1', kind: 'ConfigMap', names: ['b', 'c'] },
      ],
      [cm('a', 'db'), cm('b', 'db'), cm('c'), cm('d')],
    );
    expect(entries.map((e) => e.objects.map((o) => o.metadata!.name))).toEqual([['a', 'b'], ['c']]);
    expect(unmatched.map((o) => o.metadata!.name)).toEqual(['d']);
    const pod = (name: string, phase: string, deleting = false) => ({
      apiVersion: 'v1',
      kind: 'Pod',
      metadata: { name, ...(deleting ? { deletionTimestamp: 't' } : {}) },
      status: { phase },
    });
    expect(pickPod([pod('c', 'Running'), pod('a', 'Running', true), pod('b', 'Running'), pod('0', 'Pending')])?.metadata?.name).toBe('b');
    expect(restartPatch(new Date('2026-01-02T03:04:05Z'))).toEqual({
      spec: { template: { metadata: { annotations: { 'kubectl.kubernetes.io/restartedAt': '2026-01-02T03:04:05.000Z' } } } },
    });
  });
});

describe('kubernetes component', () => {
  it('stores cleaned objects and restores them in order, the ingress only after Astarte is Ready (under the synthesized RBAC)', async () => {
    seedAstarte();
    const app = await makeApp({ values: { components: [component()], restore: { snapshot: 'latest' } } });
    const logs: string[] = [];
    const ctx = clusterCtx(app, logs);
    fake.enforceRbac(allRules(ctx.values));

    const report = await backup(ctx);
    expect(report.status).toBe('good');
    expect(report.components[0].items).toEqual([
      'v1 Secret test/astarte-devices-ca',
      'api.astarte-platform.org/v1alpha2 Astarte test/astarte',
      'ingress.astarte-platform.org/v1alpha1 AstarteDefaultIngress test/adi',
    ]);
    // Named objects are read by name, never listed: the Role grants get on those names only.
    expect(fake.requests.filter((r) => r.method === 'GET' && /\/(secrets|astartes|astartedefaultingresses)$/.test(r.path))).toEqual([]);

    const stored = await ctx.restic.dumpText(report.components[0].snapshotId, report.components[0].fileName);
    expect(stored).toMatch(/^# safehold: component astarte/);
    expect(stored).toMatch(/kind: List/);
    for (const gone of [
      'uid:',
      'resourceVersion',
      'managedFields',
      'creationTimestamp',
      'ownerReferences',
      'last-applied-configuration',
      'tracking-id',
      'argocd.argoproj.io/instance',
      'kustomize.toolkit.fluxcd.io',
      'health: green',
    ])
      expect(stored).not.toContain(gone);
    for (const kept of ['app.kubernetes.io/instance: astarte', 'argocd.argoproj.io/sync-options: Prune=false', CA_KEY, 'exposeHousekeeping: true'])
      expect(stored).toContain(kept);
    expect(logs.join('')).not.toContain(CA_KEY);

    removeAstarte();
    const started = fake.events.length;
    await restore(ctx);
    const events = fake.events.slice(started);
    const at = (verb: string, kind: string, detail?: string) =>
      events.find((e) => e.verb === verb && e.kind === kind && (!detail || e.detail === detail))?.seq ?? -1;
    expect(at('create', 'Secret')).toBeGreaterThan(0);
    expect(at('create', 'Astarte')).toBeGreaterThan(at('create', 'Secret'));
    expect(at('status', 'Astarte', 'Ready=True')).toBeGreaterThan(at('create', 'Astarte'));
    expect(at('create', 'AstarteDefaultIngress')).toBeGreaterThan(at('status', 'Astarte', 'Ready=True'));

    const secret = fake.object('v1', 'Secret', 'test', 'astarte-devices-ca')!;
    expect(secret.data).toEqual({ 'tls.key': CA_KEY, 'tls.crt': 'Y2VydA==' });
    expect(secret.type).toBe('kubernetes.io/tls');
    expect(secret.metadata.labels).toEqual({ 'app.kubernetes.io/instance': 'astarte' });
    expect(secret.metadata.ownerReferences).toBeUndefined();
    expect(fake.object('ingress.astarte-platform.org/v1alpha1', 'AstarteDefaultIngress', 'test', 'adi')!.spec).toEqual({
      astarte: 'astarte',
      api: { exposeHousekeeping: true },
    });
    expect(logs.join('')).not.toContain(CA_KEY);

    // The restore is recorded in the repository and cached in a ConfigMap of the namespace; the same request refuses to run again.
    const ledger = fake.object('v1', 'ConfigMap', 'test', `${ctx.values.name}-safehold-ledger`)!;
    expect(Object.keys(ledger.data)).toEqual([expect.stringMatching(/^restore-[0-9a-f]{10}$/)]);
    await expect(restore(clusterCtx(app, logs))).rejects.toThrow(/already ran: repository record/);
    expect(fake.object('v1', 'ConfigMap', 'test', `${ctx.values.name}-safehold-claim`)).toBeUndefined();
  });

  it('leaves existing objects alone (existing: skip) or puts the stored state back with a guarded merge patch (replace)', async () => {
    seedAstarte();
    const app = await makeApp({ values: { components: [component()] } });
    await backup(app.ctx());
    const live = fake.object('v1', 'Secret', 'test', 'astarte-devices-ca')!;
    fake.seed({ ...live, metadata: { ...live.metadata, resourceVersion: undefined, uid: undefined }, data: { 'tls.key': 'Y2hhbmdlZA==', extra: 'eA==' } });

    await restore(app.ctx());
    expect(fake.object('v1', 'Secret', 'test', 'astarte-devices-ca')!.data).toEqual({ 'tls.key': 'Y2hhbmdlZA==', extra: 'eA==' });

    app.update({ components: [component({ existing: 'replace' })] });
    const before = fake.eventsOf('patch').length;
    const plan = await restore(app.ctx());
    expect(plan.steps.join('\n')).toMatch(/replaced \(merge patch\) if it exists/);
    expect(fake.object('v1', 'Secret', 'test', 'astarte-devices-ca')!.data).toEqual({ 'tls.key': CA_KEY, 'tls.crt': 'Y2VydA==' });
    // Secret changed; Astarte and the ingress were identical, so only one patch was sent.
    expect(fake.eventsOf('patch').length - before).toBe(1);
    const patch = fake.requests.filter((r) => r.method === 'PATCH').pop()!;
    expect(patch.path).toBe('/api/v1/namespaces/test/secrets/astarte-devices-ca');
  });

  it('a readiness wait that times out names the object, and nothing after it is created', async () => {
    seedAstarte();
    fake.remove('api.astarte-platform.org/v1alpha2', 'Astarte', 'test', 'astarte');
    fake.seed({
      apiVersion: 'api.astarte-platform.org/v1alpha2',
      kind: 'Astarte',
      metadata: { name: 'astarte', namespace: 'test' },
      spec: { version: '1.2.0' },
    });
    const app = await makeApp({ values: { components: [component({}, '1s')] } });
    await backup(app.ctx());
    fake.remove('ingress.astarte-platform.org/v1alpha1', 'AstarteDefaultIngress', 'test', 'adi');
    // The Astarte CR exists (skipped) but its operator never reports Ready.
    await expect(restore(app.ctx())).rejects.toThrow(/Astarte test\/astarte did not report Ready=True within 1s; last conditions: none/);
    expect(fake.object('ingress.astarte-platform.org/v1alpha1', 'AstarteDefaultIngress', 'test', 'adi')).toBeUndefined();
  });

  it('requireAbsent refuses the restore while the object exists (nothing changed), and restores once it is gone', async () => {
    const APIMANAGER = 'apps.3scale.net/v1alpha1';
    const threescale = { group: 'apps.3scale.net', version: 'v1alpha1', kind: 'APIManager', plural: 'apimanagers', namespaced: true };
    const f2 = await startFakeKube({ dir: await tmpDir('kube'), types: [threescale], namespaces: ['test'] });
    try {
      f2.seed({ apiVersion: 'v1', kind: 'Secret', metadata: { name: 'system-redis', namespace: 'test' }, data: { URL: 'cmVkaXM6Ly8=' } });
      f2.seed({
        apiVersion: APIMANAGER,
        kind: 'APIManager',
        metadata: { name: 'apimanager-sample', namespace: 'test' },
        spec: { wildcardDomain: 'example.com' },
      });
      const app = await makeApp({
        values: {
          components: [
            {
              name: 'secrets',
              type: 'kubernetes',
              resources: [{ apiVersion: 'v1', kind: 'Secret', names: ['system-redis'] }],
              requireAbsent: [{ apiVersion: APIMANAGER, kind: 'APIManager' }],
            },
          ],
          restore: { snapshot: 'latest' },
        },
      });
      f2.enforceRbac(allRules(app.ctx().values));
      await backup(app.ctx());
      f2.remove('v1', 'Secret', 'test', 'system-redis');
      await expect(restore(app.ctx())).rejects.toThrow(/restore refused, nothing was changed:\n.*APIManager test\/apimanager-sample exists/);
      expect(f2.object('v1', 'Secret', 'test', 'system-redis')).toBeUndefined();
      f2.remove(APIMANAGER, 'APIManager', 'test', 'apimanager-sample');
      await restore(app.ctx());
      expect(f2.object('v1', 'Secret', 'test', 'system-redis')!.data).toEqual({ URL: 'cmVkaXM6Ly8=' });
    } finally {
      await f2.stop();
      process.env.KUBECONFIG = fake.writeKubeconfig(await tmpDir('kube'));
    }
  });

  it('refuses before changing anything when a stored kind is not served (CRD missing), and --plan lists every object', async () => {
    seedAstarte();
    const app = await makeApp({ values: { components: [component()] } });
    await backup(app.ctx());
    removeAstarte();
    const plan = await restore(app.ctx(), { planOnly: true });
    expect(plan.steps.filter((s) => s.startsWith('astarte: '))).toEqual([
      'astarte: Secret test/astarte-devices-ca',
      'astarte: Astarte test/astarte',
      'astarte: wait until each Astarte reports Ready=True (timeout 20s)',
      'astarte: AstarteDefaultIngress test/adi',
    ]);
    expect(fake.object('v1', 'Secret', 'test', 'astarte-devices-ca')).toBeUndefined();

    const bare = await startFakeKube({ dir: await tmpDir('kube'), namespaces: ['test'] });
    try {
      await expect(restore(app.ctx())).rejects.toThrow(/does not serve api.astarte-platform.org\/v1alpha2 Astarte .*nothing was changed/);
      expect(bare.eventsOf('create')).toEqual([]);
    } finally {
      await bare.stop();
      process.env.KUBECONFIG = fake.writeKubeconfig(await tmpDir('kube'));
    }
  });

  it('a drill target creates nothing: every object is a server-side dry run into the scratch namespace', async () => {
    seedAstarte();
    const app = await makeApp({ values: { components: [component()] } });
    await backup(app.ctx());
    removeAstarte();
    const before = fake.requests.length;
    await restore(app.ctx(), { drill: true, targets: { astarte: { dryRunNamespace: 'scratch' } } });
    const posts = fake.requests.slice(before).filter((r) => r.method === 'POST');
    expect(posts.map((r) => `${r.path}${r.query}`)).toEqual([
      '/api/v1/namespaces/scratch/secrets?dryRun=All&fieldManager=safehold',
      '/apis/api.astarte-platform.org/v1alpha2/namespaces/scratch/astartes?dryRun=All&fieldManager=safehold',
      '/apis/ingress.astarte-platform.org/v1alpha1/namespaces/scratch/astartedefaultingresses?dryRun=All&fieldManager=safehold',
    ]);
    expect(fake.objects('v1', 'Secret', 'scratch')).toEqual([]);
  });

  it('rollout restart annotates the pod template of every matching Deployment and StatefulSet', async () => {
    const deploy = (kind: string, name: string, partOf: string) =>
      fake.seed({
        apiVersion: 'apps/v1',
        kind,
        metadata: { name, namespace: 'test', labels: { 'app.kubernetes.io/part-of': partOf } },
        spec: {
          selector: { matchLabels: { app: name } },
          template: { metadata: { labels: { app: name } }, spec: { containers: [{ name: 'c', image: 'i' }] } },
        },
      });
    deploy('Deployment', 'queryhandler', 'monoskope');
    deploy('StatefulSet', 'reactor', 'monoskope');
    deploy('Deployment', 'unrelated', 'other');
    seedAstarte();
    const app = await makeApp({
      values: { components: [component()], restore: { snapshot: 'latest', rolloutRestart: { selector: 'app.kubernetes.io/part-of=monoskope' } } },
    });
    const logs: string[] = [];
    fake.enforceRbac(allRules(app.ctx().values));
    await backup(clusterCtx(app, logs));
    await restore(clusterCtx(app, logs));
    const restarted = (kind: string, name: string) =>
      fake.object('apps/v1', kind, 'test', name)!.spec.template.metadata.annotations?.['kubectl.kubernetes.io/restartedAt'];
    expect(restarted('Deployment', 'queryhandler')).toMatch(/^\d{4}-\d\d-\d\dT/);
    expect(restarted('StatefulSet', 'reactor')).toMatch(/^\d{4}-\d\d-\d\dT/);
    expect(restarted('Deployment', 'unrelated')).toBeUndefined();
    expect(fake.object('apps/v1', 'Deployment', 'test', 'queryhandler')!.spec.template.metadata.labels).toEqual({ app: 'queryhandler' });
    expect(logs.join('')).toMatch(/"restarted":\["Deployment\/queryhandler","StatefulSet\/reactor"\]/);
  });
});
