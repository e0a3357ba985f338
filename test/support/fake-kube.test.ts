// The fake Kubernetes API answers the way the real one does, as seen through @kubernetes/client-node.
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Writable } from 'node:stream';
import { Exec, KubeConfig, KubernetesObjectApi } from '@kubernetes/client-node';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { FakeKube } from './fake-kube.js';

const ASTARTE = { group: 'api.astarte-platform.org', version: 'v1alpha2', kind: 'Astarte', plural: 'astartes', namespaced: true };

let fake: FakeKube;
let api: KubernetesObjectApi;
let kc: KubeConfig;

async function call(method: string, path: string, body?: unknown, contentType = 'application/json'): Promise<{ code: number; body: any }> {
  const res = await fetch(`${fake.url}${path}`, {
    method,
    headers: { Authorization: `Bearer ${fake.token}`, 'Content-Type': contentType },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  return { code: res.status, body: await res.json() };
}

beforeAll(async () => {
  fake = await FakeKube.start({ types: [ASTARTE], namespaces: ['default', 'astarte'] });
  kc = new KubeConfig();
  kc.loadFromFile(fake.writeKubeconfig(mkdtempSync(join(tmpdir(), 'fake-kube-'))));
  api = KubernetesObjectApi.makeApiClient(kc);
});
afterAll(() => fake.stop());

describe('fake Kubernetes API', () => {
  it('refuses requests without the token (401 Status)', async () => {
    const res = await fetch(`${fake.url}/api/v1`);
    expect(res.status).toBe(401);
    expect(await res.json()).toMatchObject({ kind: 'Status', reason: 'Unauthorized', code: 401 });
  });

  it('serves discovery so that client-node maps kinds to plurals, custom resources included', async () => {
    const created = await api.create({
      apiVersion: 'api.astarte-platform.org/v1alpha2',
      kind: 'Astarte',
      metadata: { name: 'astarte', namespace: 'astarte' },
      spec: { version: '1.2.0' },
    } as any);
    expect(created.metadata?.uid).toBeTruthy();
    expect(fake.requests.some((r) => r.path === '/apis/api.astarte-platform.org/v1alpha2')).toBe(true);
    expect(fake.requests.some((r) => r.method === 'POST' && r.path === '/apis/api.astarte-platform.org/v1alpha2/namespaces/astarte/astartes')).toBe(true);
    const groups = await call('GET', '/apis');
    expect(groups.body.groups.map((g: any) => g.name)).toEqual(expect.arrayContaining(['apps', 'api.astarte-platform.org']));
  });

  it('adds server-set fields on create, answers 409 AlreadyExists and 404 NotFound with Status bodies', async () => {
    const s = { apiVersion: 'v1', kind: 'Secret', metadata: { name: 'ca', namespace: 'astarte' }, stringData: { 'tls.key': 'secret' } };
    const first = await call('POST', '/api/v1/namespaces/astarte/secrets', s);
    expect(first.code).toBe(201);
    expect(first.body.metadata).toMatchObject({
      uid: expect.any(String),
      resourceVersion: expect.any(String),
      creationTimestamp: expect.any(String),
      managedFields: expect.any(Array),
    });
    expect(first.body.data['tls.key']).toBe(Buffer.from('secret').toString('base64'));
    expect(first.body.type).toBe('Opaque');
    const again = await call('POST', '/api/v1/namespaces/astarte/secrets', s);
    expect(again).toMatchObject({ code: 409, body: { kind: 'Status', reason: 'AlreadyExists', message: 'secrets "ca" already exists' } });
    const missing = await call('GET', '/api/v1/namespaces/astarte/secrets/nope');
    expect(missing).toMatchObject({ code: 404, body: { reason: 'NotFound', message: 'secrets "nope" not found', details: { name: 'nope', kind: 'secrets' } } });
    const noNs = await call('POST', '/api/v1/namespaces/ghost/secrets', { ...s, metadata: { name: 'x' } });
    expect(noNs).toMatchObject({ code: 404, body: { message: 'namespaces "ghost" not found' } });
    const withRv = await call('POST', '/api/v1/namespaces/astarte/secrets', { ...s, metadata: { name: 'y', resourceVersion: '5' } });
    expect(withRv.code).toBe(500);
  });

  it('lists with label selectors; built-in items come without apiVersion/kind, custom resources with them', async () => {
    for (const [name, tier] of [
      ['a', 'db'],
      ['b', 'web'],
      ['c', 'db'],
    ])
      await call('POST', '/api/v1/namespaces/default/configmaps', { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name, labels: { tier } } });
    const db = await call('GET', '/api/v1/namespaces/default/configmaps?labelSelector=tier%3Ddb');
    expect(db.body.kind).toBe('ConfigMapList');
    expect(db.body.items.map((i: any) => i.metadata.name)).toEqual(['a', 'c']);
    expect(db.body.items[0].kind).toBeUndefined();
    const notDb = await call('GET', '/api/v1/namespaces/default/configmaps?labelSelector=tier%20notin%20(db)');
    expect(notDb.body.items.map((i: any) => i.metadata.name)).toEqual(['b']);
    const crs = await call('GET', '/apis/api.astarte-platform.org/v1alpha2/namespaces/astarte/astartes');
    expect(crs.body.items[0].kind).toBe('Astarte');
  });

  it('PUT with a stale resourceVersion is a 409 Conflict; merge and strategic patches bump resourceVersion and generation', async () => {
    await call('POST', '/apis/apps/v1/namespaces/default/deployments', {
      apiVersion: 'apps/v1',
      kind: 'Deployment',
      metadata: { name: 'web' },
      spec: {
        replicas: 1,
        selector: { matchLabels: { a: 'b' } },
        template: { metadata: { labels: { a: 'b' } }, spec: { containers: [{ name: 'c', image: 'x' }] } },
      },
    });
    const cur = (await call('GET', '/apis/apps/v1/namespaces/default/deployments/web')).body;
    const patched = await call(
      'PATCH',
      '/apis/apps/v1/namespaces/default/deployments/web',
      { spec: { template: { metadata: { annotations: { 'kubectl.kubernetes.io/restartedAt': 'now' } }, spec: { containers: [{ name: 'c', image: 'y' }] } } } },
      'application/strategic-merge-patch+json',
    );
    expect(patched.code).toBe(200);
    expect(patched.body.spec.template.metadata).toEqual({ labels: { a: 'b' }, annotations: { 'kubectl.kubernetes.io/restartedAt': 'now' } });
    expect(patched.body.spec.template.spec.containers).toEqual([{ name: 'c', image: 'y' }]);
    expect(Number(patched.body.metadata.resourceVersion)).toBeGreaterThan(Number(cur.metadata.resourceVersion));
    expect(patched.body.metadata.generation).toBe(2);
    const stale = await call('PUT', '/apis/apps/v1/namespaces/default/deployments/web', cur);
    expect(stale).toMatchObject({ code: 409, body: { reason: 'Conflict' } });
    const staleMerge = await call(
      'PATCH',
      '/apis/apps/v1/namespaces/default/deployments/web',
      { metadata: { resourceVersion: cur.metadata.resourceVersion }, spec: { replicas: 3 } },
      'application/merge-patch+json',
    );
    expect(staleMerge.code).toBe(409);
    const crSmp = await call(
      'PATCH',
      '/apis/api.astarte-platform.org/v1alpha2/namespaces/astarte/astartes/astarte',
      { spec: {} },
      'application/strategic-merge-patch+json',
    );
    expect(crSmp.code).toBe(415);
  });

  it('dryRun=All validates and stores nothing', async () => {
    const res = await call('POST', '/api/v1/namespaces/default/configmaps?dryRun=All', { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'dry' } });
    expect(res.code).toBe(201);
    expect(fake.object('v1', 'ConfigMap', 'default', 'dry')).toBeUndefined();
    const bad = await call('POST', '/api/v1/namespaces/default/configmaps?dryRun=All', { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'Bad_Name' } });
    expect(bad).toMatchObject({ code: 422, body: { reason: 'Invalid' } });
  });

  it('a controller flips Ready to True some time after create', async () => {
    fake.readyAfter('api.astarte-platform.org/v1alpha2', 'Astarte', 150);
    await call('POST', '/apis/api.astarte-platform.org/v1alpha2/namespaces/astarte/astartes', {
      apiVersion: 'api.astarte-platform.org/v1alpha2',
      kind: 'Astarte',
      metadata: { name: 'second' },
      spec: {},
    });
    await new Promise((r) => setTimeout(r, 40));
    expect(fake.object('api.astarte-platform.org/v1alpha2', 'Astarte', 'astarte', 'second')?.status.conditions).toMatchObject([
      { type: 'Ready', status: 'False' },
    ]);
    await new Promise((r) => setTimeout(r, 200));
    expect(fake.object('api.astarte-platform.org/v1alpha2', 'Astarte', 'astarte', 'second')?.status.conditions).toMatchObject([
      { type: 'Ready', status: 'True' },
    ]);
  });

  it('runs a registered command through the pods/exec WebSocket, with exit codes on the status channel', async () => {
    fake.seed({
      apiVersion: 'v1',
      kind: 'Pod',
      metadata: { name: 'atlas-0', namespace: 'default' },
      spec: { containers: [{ name: 'atlas' }] },
      status: { phase: 'Running' },
    });
    fake.onExec('timestamp', (r) => (r.command[1] === 'fetch' ? { stdout: '12345\n' } : { stderr: 'bad args', exitCode: 2 }));
    const run = (command: string[]) =>
      new Promise<{ out: string; status: any }>((resolve, reject) => {
        let out = '';
        const stdout = new Writable({ write: (c, _e, d) => ((out += c.toString()), d()) });
        const stderr = new Writable({ write: (_c, _e, d) => d() });
        new Exec(kc).exec('default', 'atlas-0', 'atlas', command, stdout, stderr, null, false, (status) => resolve({ out, status })).catch(reject);
      });
    expect(await run(['timestamp', 'fetch'])).toEqual({ out: '12345\n', status: { metadata: {}, status: 'Success' } });
    const failed = await run(['timestamp', 'nope']);
    expect(failed.status).toMatchObject({ status: 'Failure', reason: 'NonZeroExitCode', details: { causes: [{ reason: 'ExitCode', message: '2' }] } });
  });

  it('enforces Role rules when given (403 Forbidden like the RBAC authorizer)', async () => {
    fake.enforceRbac(new Map([['default', [{ apiGroups: [''], resources: ['configmaps'], verbs: ['get'], resourceNames: ['a'] }]]]));
    try {
      expect((await call('GET', '/api/v1/namespaces/default/configmaps/a')).code).toBe(200);
      const denied = await call('GET', '/api/v1/namespaces/default/configmaps/b');
      expect(denied).toMatchObject({ code: 403, body: { reason: 'Forbidden' } });
      expect((await call('GET', '/api/v1/namespaces/default/configmaps')).code).toBe(403);
    } finally {
      fake.enforceRbac(undefined);
    }
  });

  it('an account token gets its own rules beside the default user; create ignores resourceNames, PUT is update, PATCH is patch', async () => {
    const rules = new Map([
      [
        'default',
        [
          { apiGroups: [''], resources: ['configmaps'], verbs: ['create'], resourceNames: ['mine'] },
          { apiGroups: [''], resources: ['configmaps'], verbs: ['get', 'update'], resourceNames: ['mine'] },
        ],
      ],
    ]);
    const file = fake.account(mkdtempSync(join(tmpdir(), 'fake-kube-')), 'drop', rules);
    const token = (JSON.parse((await import('node:fs')).readFileSync(file, 'utf8')) as { users: Array<{ user: { token: string } }> }).users[0].user.token;
    const as = async (method: string, path: string, body?: unknown, contentType = 'application/json') => {
      const res = await fetch(`${fake.url}${path}`, {
        method,
        headers: { Authorization: `Bearer ${token}`, 'Content-Type': contentType },
        body: JSON.stringify(body),
      });
      return { code: res.status, body: await res.json() };
    };
    const cm = { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'mine' }, data: { a: '1' } };
    // RBAC cannot limit create by name (the request has none): a create rule with resourceNames allows nothing.
    const created = await as('POST', '/api/v1/namespaces/default/configmaps', cm);
    expect(created).toMatchObject({ code: 403, body: { message: expect.stringMatching(/system:serviceaccount:default:drop" cannot create/) } });
    expect((await call('POST', '/api/v1/namespaces/default/configmaps', cm)).code, 'the default user: allow all').toBe(201);
    const got = await as('GET', '/api/v1/namespaces/default/configmaps/mine');
    expect(got.code).toBe(200);
    expect((await as('PUT', '/api/v1/namespaces/default/configmaps/mine', { ...got.body, data: { a: '2' } })).code).toBe(200);
    expect((await as('PATCH', '/api/v1/namespaces/default/configmaps/mine', { data: { a: '3' } }, 'application/merge-patch+json')).code).toBe(403);
    expect((await as('DELETE', '/api/v1/namespaces/default/configmaps/mine')).code).toBe(403);
    expect((await call('DELETE', '/api/v1/namespaces/default/configmaps/mine')).code).toBe(200);
  });

  it("a Job's pod template is immutable (422 Invalid) while its metadata may change", async () => {
    const job = {
      apiVersion: 'batch/v1',
      kind: 'Job',
      metadata: { name: 'restore-1', namespace: 'default' },
      spec: { backoffLimit: 0, template: { spec: { restartPolicy: 'Never', containers: [{ name: 'c', image: 'runner:1' }] } } },
    };
    expect((await call('POST', '/apis/batch/v1/namespaces/default/jobs', job)).code).toBe(201);
    const img = await call(
      'PATCH',
      '/apis/batch/v1/namespaces/default/jobs/restore-1',
      { spec: { template: { spec: { containers: [{ name: 'c', image: 'runner:2' }] } } } },
      'application/merge-patch+json',
    );
    expect(img).toMatchObject({ code: 422, body: { reason: 'Invalid', message: expect.stringMatching(/spec.template: .*field is immutable/) } });
    const label = await call('PATCH', '/apis/batch/v1/namespaces/default/jobs/restore-1', { metadata: { labels: { a: 'b' } } }, 'application/merge-patch+json');
    expect(label.code).toBe(200);
  });

  it('DELETE with a stale resourceVersion or uid precondition is a 409 Conflict and deletes nothing', async () => {
    const cm = (
      await call('POST', '/api/v1/namespaces/default/configmaps', { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'claim' }, data: { a: '1' } })
    ).body;
    await call('PATCH', '/api/v1/namespaces/default/configmaps/claim', { data: { a: '2' } }, 'application/merge-patch+json');
    const stale = await call('DELETE', '/api/v1/namespaces/default/configmaps/claim', { preconditions: { resourceVersion: cm.metadata.resourceVersion } });
    expect(stale).toMatchObject({ code: 409, body: { reason: 'Conflict' } });
    expect((await call('DELETE', '/api/v1/namespaces/default/configmaps/claim', { preconditions: { uid: 'not-the-uid' } })).code).toBe(409);
    expect((await call('GET', '/api/v1/namespaces/default/configmaps/claim')).code).toBe(200);
    expect((await call('DELETE', '/api/v1/namespaces/default/configmaps/claim', { preconditions: { uid: cm.metadata.uid } })).code).toBe(200);
    expect((await call('GET', '/api/v1/namespaces/default/configmaps/claim')).code).toBe(404);
  });
});

// The refusals a real API server makes before it stores anything (status bodies as kube-apiserver writes them).
describe('fake Kubernetes API: admission', () => {
  const JOB = (name: string, extra: Record<string, unknown> = {}) => ({
    apiVersion: 'batch/v1',
    kind: 'Job',
    metadata: { name },
    spec: { backoffLimit: 0, template: { spec: { restartPolicy: 'Never', containers: [{ name: 'c', image: 'busybox', args: ['true'] }] } }, ...extra },
  });

  it('an unknown field under fieldValidation=Strict: 400 strict decoding error; under the default Warn it is dropped with a warning', async () => {
    const typo = { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'typo' }, data: { a: '1' }, dtaa: { b: '2' } };
    const strict = await call('POST', '/api/v1/namespaces/default/configmaps?fieldValidation=Strict', typo);
    expect(strict).toEqual({
      code: 400,
      body: {
        kind: 'Status',
        apiVersion: 'v1',
        metadata: {},
        status: 'Failure',
        message: 'strict decoding error: unknown field "dtaa"',
        reason: 'BadRequest',
        code: 400,
      },
    });
    const nested = await call(
      'POST',
      '/apis/batch/v1/namespaces/default/jobs?fieldValidation=Strict',
      JOB('nested', { template: { spec: { restartPolicy: 'Never', containers: [{ name: 'c', image: 'x', comand: ['true'] }] } } }),
    );
    expect(nested.body.message).toBe('strict decoding error: unknown field "spec.template.spec.containers[0].comand"');
    expect(fake.object('v1', 'ConfigMap', 'default', 'typo')).toBeUndefined();

    const res = await fetch(`${fake.url}/api/v1/namespaces/default/configmaps`, {
      method: 'POST',
      headers: { Authorization: `Bearer ${fake.token}`, 'Content-Type': 'application/json' },
      body: JSON.stringify(typo),
    });
    expect(res.status).toBe(201);
    expect(res.headers.get('warning')).toBe('299 - "unknown field \\"dtaa\\""');
    expect(fake.object('v1', 'ConfigMap', 'default', 'typo')).toMatchObject({ data: { a: '1' } });
    expect(fake.object('v1', 'ConfigMap', 'default', 'typo')?.dtaa).toBeUndefined();
  });

  it('a Job whose template changes: 422 Invalid, field is immutable; a mutable field may change', async () => {
    expect((await call('POST', '/apis/batch/v1/namespaces/default/jobs', JOB('once'))).code).toBe(201);
    const current = fake.object('batch/v1', 'Job', 'default', 'once')!;
    const changed = structuredClone(current);
    changed.spec.template.spec.containers[0].image = 'busybox:other';
    const res = await call('PUT', '/apis/batch/v1/namespaces/default/jobs/once', changed);
    expect(res).toEqual({
      code: 422,
      body: {
        kind: 'Status',
        apiVersion: 'v1',
        metadata: {},
        status: 'Failure',
        message: 'Job.batch "once" is invalid: spec.template: field is immutable',
        reason: 'Invalid',
        details: {
          name: 'once',
          group: 'batch',
          kind: 'jobs',
          causes: [{ reason: 'FieldValueInvalid', message: 'field is immutable', field: 'spec.template' }],
        },
        code: 422,
      },
    });
    const patched = await call('PATCH', '/apis/batch/v1/namespaces/default/jobs/once', { spec: { activeDeadlineSeconds: 60 } }, 'application/merge-patch+json');
    expect(patched.code).toBe(200);
  });

  it('the 1.27 schema: a wrong type or a missing required field is 422 Invalid', async () => {
    const res = await call('POST', '/apis/batch/v1/namespaces/default/jobs', JOB('badtype', { backoffLimit: 'none' }));
    expect(res.code).toBe(422);
    expect(res.body).toMatchObject({
      reason: 'Invalid',
      details: { name: 'badtype', group: 'batch', kind: 'jobs', causes: [expect.objectContaining({ field: 'spec.backoffLimit' })] },
    });
  });

  it("a Pod breaking the namespace's Pod Security level is refused (403); a Job with such a template only warns", async () => {
    await call('POST', '/api/v1/namespaces', {
      apiVersion: 'v1',
      kind: 'Namespace',
      metadata: { name: 'locked', labels: { 'pod-security.kubernetes.io/enforce': 'restricted' } },
    });
    const pod = { apiVersion: 'v1', kind: 'Pod', metadata: { name: 'p' }, spec: { containers: [{ name: 'c', image: 'x' }] } };
    const refused = await call('POST', '/api/v1/namespaces/locked/pods', pod);
    expect(refused.code).toBe(403);
    expect(refused.body.message).toMatch(
      /^pods "p" is forbidden: violates PodSecurity "restricted:latest": allowPrivilegeEscalation != false \(container "c" must set securityContext.allowPrivilegeEscalation=false\), unrestricted capabilities/,
    );
    const res = await fetch(`${fake.url}/apis/batch/v1/namespaces/locked/jobs`, {
      method: 'POST',
      headers: { Authorization: `Bearer ${fake.token}`, 'Content-Type': 'application/json' },
      body: JSON.stringify(JOB('warned')),
    });
    expect(res.status).toBe(201);
    expect(res.headers.get('warning')).toMatch(/^299 - "would violate PodSecurity \\"restricted:latest\\": allowPrivilegeEscalation != false/);
    const ok = {
      ...pod,
      metadata: { name: 'ok' },
      spec: {
        securityContext: { runAsNonRoot: true, seccompProfile: { type: 'RuntimeDefault' } },
        containers: [{ name: 'c', image: 'x', securityContext: { allowPrivilegeEscalation: false, capabilities: { drop: ['ALL'] } } }],
      },
    };
    expect((await call('POST', '/api/v1/namespaces/locked/pods', ok)).code).toBe(201);
  });

  it('a Terminating namespace refuses new objects (403 NamespaceTerminating) until it is gone', async () => {
    await call('POST', '/api/v1/namespaces', { apiVersion: 'v1', kind: 'Namespace', metadata: { name: 'leaving' } });
    expect((await call('DELETE', '/api/v1/namespaces/leaving')).body.status).toEqual({ phase: 'Terminating' });
    const res = await call('POST', '/api/v1/namespaces/leaving/configmaps', { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'late' } });
    expect(res.code).toBe(403);
    expect(res.body).toMatchObject({
      reason: 'Forbidden',
      message: 'configmaps "late" is forbidden: unable to create new content in namespace leaving because it is being terminated',
      details: { causes: [{ reason: 'NamespaceTerminating', field: 'metadata.namespace' }] },
    });
    fake.finishNamespaceDeletion('leaving');
    expect((await call('POST', '/api/v1/namespaces/leaving/configmaps', { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'late' } })).code).toBe(404);
  });
});
