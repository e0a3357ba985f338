import { describe, expect, it } from 'vitest';
import { apiGroupOf, dropStepRbacRules, pluralize, rbacRules, rbacRulesFor, requestRbacRules } from '../../src/constructs/rbac-rules.js';
import { makeValues, objectsOf, one, podTemplates, synth, type Obj } from './_fixtures.js';

const k8sComponent = (extra: Obj = {}) => ({
  name: 'objects',
  type: 'kubernetes',
  resources: [
    { apiVersion: 'v1', kind: 'Secret', names: ['shop-ca'] },
    { apiVersion: 'example.com/v1alpha1', kind: 'Shop', waitFor: { condition: 'Ready' } },
    { apiVersion: 'networking.k8s.io/v1', kind: 'Ingress', labelSelector: 'app=shop' },
  ],
  ...extra,
});

const roles = (objects: Obj[]) => objectsOf(objects, 'Role');

describe('RBAC', () => {
  it('gives a database-only set a ServiceAccount without token and no Role at all', () => {
    const objects = synth(makeValues());
    for (const sa of objectsOf(objects, 'ServiceAccount')) expect(sa.automountServiceAccountToken).toBe(false);
    expect(roles(objects)).toEqual([]);
    expect(objectsOf(objects, 'RoleBinding')).toEqual([]);
    for (const { template } of podTemplates(objects)) expect(template.spec.automountServiceAccountToken).toBe(false);
  });

  it('grants a kubernetes component exactly read access to its kinds, by name where names are given', () => {
    const objects = synth(makeValues({ components: [k8sComponent()] }));
    const [role] = roles(objects);
    expect(role.metadata).toMatchObject({ name: 'shop-safehold-backup', namespace: 'team' });
    expect(role.rules).toEqual([
      { apiGroups: [''], resources: ['secrets'], resourceNames: ['shop-ca'], verbs: ['get'] },
      { apiGroups: ['example.com'], resources: ['shops'], verbs: ['get', 'list'] },
      { apiGroups: ['networking.k8s.io'], resources: ['ingresses'], verbs: ['get', 'list'] },
    ]);
    const binding = one(objects, 'RoleBinding');
    expect(binding.roleRef).toEqual({ apiGroup: 'rbac.authorization.k8s.io', kind: 'Role', name: 'shop-safehold-backup' });
    expect(binding.subjects).toEqual([{ kind: 'ServiceAccount', name: 'shop-safehold-backup', namespace: 'team' }]);
    expect(one(objects, 'CronJob', 'shop-backup').spec.jobTemplate.spec.template.spec.automountServiceAccountToken).toBe(true);
  });

  it('adds what a restore needs: create, patch only to replace, the absent check', () => {
    const v = makeValues({
      components: [k8sComponent({ existing: 'replace', requireAbsent: [{ apiVersion: 'apps.3scale.net/v1alpha1', kind: 'APIManager' }] })],
      restore: {},
    });
    expect(rbacRules(v).get('team')).toEqual([
      { apiGroups: [''], resources: ['secrets'], verbs: ['create'] },
      { apiGroups: [''], resources: ['secrets'], resourceNames: ['shop-ca'], verbs: ['get', 'patch'] },
      { apiGroups: ['apps.3scale.net'], resources: ['apimanagers'], verbs: ['get', 'list'] },
      { apiGroups: ['example.com'], resources: ['shops'], verbs: ['get', 'list', 'create', 'patch'] },
      { apiGroups: ['networking.k8s.io'], resources: ['ingresses'], verbs: ['get', 'list', 'create', 'patch'] },
    ]);
    const skip = makeValues({ components: [k8sComponent()], restore: {} });
    expect(
      rbacRules(skip)
        .get('team')!
        .some((r) => r.resources[0] !== 'configmaps' && r.verbs.includes('patch')),
    ).toBe(false);
  });

  it("lets a drill dry-run-create a kubernetes component's kinds (and mount a token), nothing more", () => {
    const v = makeValues({ components: [k8sComponent()], drill: { schedule: '0 5 * * 0' } });
    expect(rbacRules(v).get('team')).toEqual([
      { apiGroups: [''], resources: ['secrets'], verbs: ['create'] },
      { apiGroups: [''], resources: ['secrets'], resourceNames: ['shop-ca'], verbs: ['get'] },
      { apiGroups: ['example.com'], resources: ['shops'], verbs: ['get', 'list', 'create'] },
      { apiGroups: ['networking.k8s.io'], resources: ['ingresses'], verbs: ['get', 'list', 'create'] },
    ]);
    const drillPod = objectsOf(synth(v), 'CronJob').find((c) => (c.metadata as { name: string }).name.endsWith('-drill'))!;
    expect(drillPod.spec.jobTemplate.spec.template.spec.automountServiceAccountToken).toBe(true);
  });

  it('restores only the chosen components: no write access to the others', () => {
    const v = makeValues({
      components: [{ name: 'db', type: 'postgres', host: 'pg', database: 'shop', credentials: { secretName: 'shop-db' } }, k8sComponent()],
      restore: { components: ['db'] },
    });
    const rules = rbacRules(v).get('team')!;
    expect(rules.filter((r) => r.verbs.includes('create')).map((r) => r.resources[0])).toEqual([]);
  });

  it('grants rollout restart, pods/exec and the ledger only when asked, in the namespaces asked', () => {
    const v = makeValues({
      hooks: { preBackup: [{ name: 'flush', type: 'exec', selector: 'app=shop', namespace: 'shop-app', command: ['sync'] }] },
      restore: { rolloutRestart: { selector: 'app.kubernetes.io/part-of=shop', namespace: 'shop-app' } },
    });
    // The backup's exec hook is the backup account's; the rollout restart and the ledger the restore account's.
    expect([...rbacRulesFor(v, 'backup').entries()]).toEqual([
      [
        'shop-app',
        [
          { apiGroups: [''], resources: ['pods'], verbs: ['get', 'list'] },
          { apiGroups: [''], resources: ['pods/exec'], verbs: ['get', 'create'] },
        ],
      ],
    ]);
    const restore = rbacRulesFor(v, 'restore');
    // The ledger and the claim are the request Role's (below), not the restore Role's.
    expect([...restore.keys()]).toEqual(['shop-app']);
    expect(restore.get('shop-app')).toEqual([
      { apiGroups: ['apps'], resources: ['deployments'], verbs: ['get', 'list', 'patch'] },
      { apiGroups: ['apps'], resources: ['statefulsets'], verbs: ['get', 'list', 'patch'] },
    ]);
    const objects = synth(v);
    expect(roles(objects).map((r) => `${r.metadata.namespace}/${r.metadata.name}`)).toEqual([
      'shop-app/shop-safehold-backup',
      'shop-app/shop-safehold-restore',
      'team/shop-safehold-requests',
    ]);
    // Each operation's binding names its own account; the request Role (ledger and claim) is bound to the restore account.
    for (const b of objectsOf(objects, 'RoleBinding')) {
      const account = b.roleRef.name === 'shop-safehold-requests' ? 'shop-safehold-restore' : b.roleRef.name;
      expect(b.subjects).toEqual([{ kind: 'ServiceAccount', name: account, namespace: 'team' }]);
    }
  });

  it('limits exec to the named pod (resourceNames) when the hook names one', () => {
    const v = makeValues({ hooks: { preBackup: [{ name: 'flush', type: 'exec', pod: 'db-0', command: ['sync'] }] } });
    expect(rbacRulesFor(v, 'backup').get('team')).toEqual([
      { apiGroups: [''], resources: ['pods'], resourceNames: ['db-0'], verbs: ['get'] },
      { apiGroups: [''], resources: ['pods/exec'], resourceNames: ['db-0'], verbs: ['get', 'create'] },
    ]);
  });

  it('an exec hook gives exactly one of selector or pod', () => {
    const hook = (extra: Obj) => ({ hooks: { preBackup: [{ name: 'x', type: 'exec', command: ['sync'], ...extra }] } });
    for (const [extra, got] of [
      [{}, 'neither'],
      [{ selector: 'app=shop', pod: 'db-0' }, 'both'],
    ] as const) {
      expect(() => makeValues(hook(extra))).toThrow(new RegExp(`hooks\\.preBackup\\[0\\]: an exec hook needs exactly one of selector or pod, got ${got}`));
    }
  });

  it('puts a Role in the namespace of a kubernetes component that lives elsewhere', () => {
    const v = makeValues({ components: [k8sComponent({ namespace: 'shop-crs' })] });
    expect([...rbacRules(v).keys()]).toEqual(['shop-crs']);
  });

  it('spells resource names and groups the way the API does', () => {
    expect(
      ['Secret', 'Ingress', 'NetworkPolicy', 'Endpoints', 'Astarte', 'AstarteDefaultIngress', 'APIManager', 'StorageClass', 'Gateway'].map(pluralize),
    ).toEqual(['secrets', 'ingresses', 'networkpolicies', 'endpoints', 'astartes', 'astartedefaultingresses', 'apimanagers', 'storageclasses', 'gateways']);
    expect(apiGroupOf('v1')).toBe('');
    expect(apiGroupOf('apps/v1')).toBe('apps');
    const v = makeValues({ components: [{ name: 'o', type: 'kubernetes', resources: [{ apiVersion: 'x.io/v1', kind: 'Person', plural: 'people' }] }] });
    expect(rbacRules(v).get('team')![0].resources).toEqual(['people']);
  });

  it('gives the ledger and the claim a Role of their own that controllers never prune (it outlives the request)', () => {
    const v = makeValues({ restore: {} });
    expect(requestRbacRules(v)).toEqual([
      { apiGroups: [''], resources: ['configmaps'], verbs: ['create'] },
      {
        apiGroups: [''],
        resources: ['configmaps'],
        resourceNames: ['shop-safehold-claim', 'shop-safehold-claim-drop', 'shop-safehold-ledger'],
        verbs: ['get', 'update', 'patch', 'delete'],
      },
    ]);
    const role = one(synth(v), 'Role', 'shop-safehold-requests');
    expect(role.metadata.annotations).toMatchObject({
      'argocd.argoproj.io/sync-options': 'Prune=false',
      'kustomize.toolkit.fluxcd.io/prune': 'disabled',
      'helm.sh/resource-policy': 'keep',
    });
    expect(one(synth(v), 'RoleBinding', 'shop-safehold-requests').subjects).toEqual([
      { kind: 'ServiceAccount', name: 'shop-safehold-restore', namespace: 'team' },
    ]);
    // The same rules for any later request: names are fixed per set, not per request.
    expect(requestRbacRules(makeValues({ restore: { requestId: 'two', snapshot: '20261201-220000-abcdef' } }))).toEqual(requestRbacRules(v));
    expect(requestRbacRules(makeValues({}))).toEqual([]);
  });

  it('gives the drop Job a kept Role of its own: read the claim, create the drop step and report in it, nothing more', () => {
    const v = makeValues({ dropDatabase: { component: 'db', confirm: 'shop' }, restore: {} });
    expect(dropStepRbacRules(v)).toEqual([
      { apiGroups: [''], resources: ['configmaps'], verbs: ['create'] },
      { apiGroups: [''], resources: ['configmaps'], resourceNames: ['shop-safehold-claim', 'shop-safehold-claim-drop'], verbs: ['get'] },
      { apiGroups: [''], resources: ['configmaps'], resourceNames: ['shop-safehold-claim-drop'], verbs: ['update'] },
    ]);
    const objects = synth(v);
    expect(one(objects, 'Role', 'shop-safehold-drop-step').metadata.annotations).toMatchObject({ 'helm.sh/resource-policy': 'keep' });
    expect(one(objects, 'RoleBinding', 'shop-safehold-drop-step').subjects).toEqual([
      { kind: 'ServiceAccount', name: 'shop-safehold-drop', namespace: 'team' },
    ]);
    // The request Role is the restore's alone: the drop account reaches neither the ledger nor a delete.
    expect(one(objects, 'RoleBinding', 'shop-safehold-requests').subjects).toEqual([
      { kind: 'ServiceAccount', name: 'shop-safehold-restore', namespace: 'team' },
    ]);
    expect(dropStepRbacRules(makeValues({ restore: {} }))).toEqual([]);
  });

  it('orders rules deterministically', () => {
    const a = makeValues({ components: [k8sComponent()], restore: {} });
    const b = makeValues({ components: [k8sComponent({ resources: [...k8sComponent().resources].reverse() })], restore: {} });
    expect(rbacRules(b)).toEqual(rbacRules(a));
  });
});
