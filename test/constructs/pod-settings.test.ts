// Issue 13 (part A): every pod knob reaches the manifests, valid against the Kubernetes 1.27 and newer schemas, restricted
// unless an override was written; OpenShift, meshes and workload identity as docs/running-in-your-cluster.md says.
import { beforeAll, describe, expect, it } from 'vitest';
import { GRACE_ENV } from '../../src/contract/deadline.js';
import { restrictedWarnings } from '../../src/constructs/restricted-check.js';
import { BUILTIN_TYPES } from '../support/fake-kube.js';
import { loadSchemas, schemaProblems, unknownFields } from '../support/fake-kube-admission.js';
import { BASE, makeValues, objectsOf, one, podTemplates, synth, type Obj } from './_fixtures.js';
import { restrictedViolations } from './_restricted.js';

const files = {
  name: 'uploads',
  type: 'files',
  paths: ['/data'],
  volumes: [{ claimName: 'gitea-data', mountPath: '/data' }],
  podSecurityContext: { runAsUser: 1000, runAsGroup: 1000 },
};
const db = BASE.components[0];

/** A values file using every knob of issue 13 part A. */
const EVERY_KNOB: Obj = {
  components: [db, files],
  nodeSelector: { 'kubernetes.io/os': 'linux' },
  tolerations: [{ key: 'dedicated', operator: 'Equal', value: 'backup', effect: 'NoSchedule' }],
  affinity: {
    nodeAffinity: {
      requiredDuringSchedulingIgnoredDuringExecution: { nodeSelectorTerms: [{ matchExpressions: [{ key: 'zone', operator: 'In', values: ['a'] }] }] },
    },
  },
  colocateWith: 'app.kubernetes.io/name=gitea',
  priorityClassName: 'batch-low',
  imagePullSecrets: [{ name: 'registry-pull' }],
  podAnnotations: { 'sidecar.istio.io/inject': 'false', 'linkerd.io/inject': 'disabled' },
  podLabels: { team: 'payments', 'app.kubernetes.io/name': 'not-mine' },
  podSecurityContext: { supplementalGroups: [2000] },
  securityContext: { seccompProfile: { type: 'RuntimeDefault' } },
  extraEnv: [
    { name: 'TZ', value: 'Europe/Berlin' },
    { name: 'HTTPS_PROXY', valueFrom: { secretKeyRef: { name: 'proxy', key: 'url' } } },
  ],
  scratch: { sizeLimit: '20Gi' },
  terminationGracePeriodSeconds: 45,
  serviceAccount: { annotations: { 'eks.amazonaws.com/role-arn': 'arn:aws:iam::123456789012:role/shop-backup' } },
  repository: { s3: { endpoint: 'https://s3.eu-central-1.amazonaws.com', bucket: 'backups', region: 'eu-central-1' }, password: { secretName: 'shop-restic' } },
  networkPolicy: {
    dnsPort: 5353,
    dnsTo: [{ namespaceSelector: { matchLabels: { 'kubernetes.io/metadata.name': 'kube-system' } } }],
    destinations: { repository: { to: [{ ipBlock: { cidr: '10.20.0.0/16' } }], ports: [9000] } },
  },
  restore: { scaleDown: { selector: 'app.kubernetes.io/name=gitea' } },
  drill: {
    schedule: '0 5 * * 0',
    targets: { db: { sidecar: { image: 'postgres:17', resources: { limits: { memory: '2Gi' } }, extraEnv: [{ name: 'PGTZ', value: 'UTC' }] } } },
  },
  operations: {
    restore: {
      podAnnotations: { 'karpenter.sh/do-not-disrupt': 'true' },
      resources: { requests: { cpu: '2', memory: '4Gi' } },
      scratch: { sizeLimit: '200Gi' },
      terminationGracePeriodSeconds: 120,
    },
    backup: { nodeSelector: { pool: 'backup' }, tolerations: [] },
    drill: { priorityClassName: 'batch-lowest' },
    verify: { resources: { limits: { memory: '512Mi' } } },
  },
};

const runner = (t: Obj) => t.spec.containers.find((c: Obj) => c.name === 'safehold');
const template = (objects: Obj[], kind: 'CronJob' | 'Job', name: string) => {
  const o = one(objects, kind, name);
  return kind === 'CronJob' ? o.spec.jobTemplate.spec.template : o.spec.template;
};

beforeAll(async () => {
  await loadSchemas([
    ...BUILTIN_TYPES.map((t) => ({ apiVersion: t.group ? `${t.group}/${t.version}` : t.version, kind: t.kind })),
    { apiVersion: 'networking.k8s.io/v1', kind: 'NetworkPolicy' },
    { apiVersion: 'rbac.authorization.k8s.io/v1', kind: 'Role' },
    { apiVersion: 'rbac.authorization.k8s.io/v1', kind: 'RoleBinding' },
  ]);
});

describe('a values file using every pod knob', () => {
  const v = makeValues(EVERY_KNOB);
  const objects = synth(v);
  const builtin = objects.filter((o) => !/monitoring\.coreos\.com|external-secrets|bitnami/.test(o.apiVersion));

  it('synthesizes objects valid against the Kubernetes 1.27 schema and with no field unknown to the newer one (1.33 ⊇ 1.31)', () => {
    expect(builtin.length).toBeGreaterThan(10);
    for (const o of builtin) {
      expect(schemaProblems(o), `${o.kind} ${o.metadata.name} (1.27)`).toEqual([]);
      expect(unknownFields(o), `${o.kind} ${o.metadata.name} (newer schema)`).toEqual([]);
    }
    // The checks can fail: a misspelt field and a wrong type are caught.
    const broken = structuredClone(one(objects, 'CronJob', 'shop-backup'));
    broken.spec.jobTemplate.spec.template.spec.tolerations = 'all';
    broken.spec.jobTemplate.spec.template.spec.nodeSelecter = {};
    expect(schemaProblems(broken).join()).toMatch(/tolerations/);
    expect(unknownFields(broken)).toContain('spec.jobTemplate.spec.template.spec.nodeSelecter');
  });

  it('puts the set-level knobs on every pod and lets operations override them', () => {
    const pods = podTemplates(objects);
    expect(pods.map((p) => p.where).sort()).toEqual([
      'CronJob team/shop-backup',
      'CronJob team/shop-drill',
      'CronJob team/shop-verify',
      expect.stringMatching(/^Job team\/shop-restore-/),
    ]);
    for (const { where, template: t } of pods) {
      expect(t.metadata.annotations, where).toMatchObject({ 'sidecar.istio.io/inject': 'false', 'linkerd.io/inject': 'disabled' });
      expect(t.metadata.labels, where).toMatchObject({ team: 'payments', 'app.kubernetes.io/name': 'safehold' });
      expect(t.spec.imagePullSecrets, where).toEqual([{ name: 'registry-pull' }]);
      const c = runner(t);
      expect(c.env, where).toEqual(
        expect.arrayContaining([
          { name: 'TZ', value: 'Europe/Berlin' },
          { name: 'HTTPS_PROXY', valueFrom: { secretKeyRef: { name: 'proxy', key: 'url' } } },
        ]),
      );
      // The grace period the pod has is the one the runner is told.
      expect(c.env.find((e: Obj) => e.name === GRACE_ENV).value, where).toBe(String(t.spec.terminationGracePeriodSeconds));
    }
    const backup = template(objects, 'CronJob', 'shop-backup');
    expect(backup.spec.nodeSelector).toEqual({ 'kubernetes.io/os': 'linux', pool: 'backup' });
    expect(backup.spec.tolerations).toEqual([]);
    expect(backup.spec.priorityClassName).toBe('batch-low');
    expect(backup.spec.terminationGracePeriodSeconds).toBe(45);
    expect(backup.spec.volumes.find((x: Obj) => x.name === 'scratch')).toEqual({ name: 'scratch', emptyDir: { sizeLimit: '20Gi' } });
    const restore = objectsOf(objects, 'Job')[0].spec.template;
    expect(restore.metadata.annotations['karpenter.sh/do-not-disrupt']).toBe('true');
    expect(restore.spec.terminationGracePeriodSeconds).toBe(120);
    expect(restore.spec.tolerations).toEqual(EVERY_KNOB.tolerations);
    expect(runner(restore).resources).toEqual({ requests: { cpu: '2', memory: '4Gi' } });
    expect(restore.spec.volumes.find((x: Obj) => x.name === 'scratch').emptyDir).toEqual({ sizeLimit: '200Gi' });
    expect(template(objects, 'CronJob', 'shop-drill').spec.priorityClassName).toBe('batch-lowest');
    expect(runner(template(objects, 'CronJob', 'shop-verify')).resources).toEqual({ limits: { memory: '512Mi' } });
    const sidecar = template(objects, 'CronJob', 'shop-drill').spec.containers.find((c: Obj) => c.name !== 'safehold');
    expect(sidecar.resources).toEqual({ limits: { memory: '2Gi' } });
    expect(sidecar.env).toContainEqual({ name: 'PGTZ', value: 'UTC' });
  });

  it('colocates the pods that mount the ReadWriteOnce volume with the application, except a restore that scales it down', () => {
    const backup = template(objects, 'CronJob', 'shop-backup');
    expect(backup.spec.affinity.nodeAffinity).toEqual(EVERY_KNOB.affinity.nodeAffinity);
    expect(backup.spec.affinity.podAffinity.requiredDuringSchedulingIgnoredDuringExecution).toEqual([
      { labelSelector: { matchLabels: { 'app.kubernetes.io/name': 'gitea' } }, topologyKey: 'kubernetes.io/hostname' },
    ]);
    expect(objectsOf(objects, 'Job')[0].spec.template.spec.affinity.podAffinity).toBeUndefined();
    expect(template(objects, 'CronJob', 'shop-drill').spec.affinity.podAffinity).toBeUndefined();
    const noScale = synth(makeValues({ ...EVERY_KNOB, restore: {} }));
    expect(objectsOf(noScale, 'Job')[0].spec.template.spec.affinity.podAffinity.requiredDuringSchedulingIgnoredDuringExecution[0].topologyKey).toBe(
      'kubernetes.io/hostname',
    );
  });

  it("runs files pods as the application's user, never re-owns the data volume, mounts it read-only for backups", () => {
    const backup = template(objects, 'CronJob', 'shop-backup');
    const restore = objectsOf(objects, 'Job')[0].spec.template;
    for (const t of [backup, restore]) {
      expect(t.spec.securityContext).toEqual({
        runAsNonRoot: true,
        runAsUser: 1000,
        runAsGroup: 1000,
        supplementalGroups: [2000],
        seccompProfile: { type: 'RuntimeDefault' },
      });
      // Without an fsGroup the root-owned Secret files must be world-readable to reach the runner.
      for (const s of t.spec.volumes.filter((x: Obj) => x.secret)) expect(s.secret.defaultMode).toBe(0o444);
    }
    expect(runner(backup).volumeMounts.find((m: Obj) => m.mountPath === '/data').readOnly).toBe(true);
    expect(backup.spec.volumes.find((x: Obj) => x.persistentVolumeClaim?.claimName === 'gitea-data').persistentVolumeClaim.readOnly).toBe(true);
    expect(runner(restore).volumeMounts.find((m: Obj) => m.mountPath === '/data').readOnly).toBe(false);
    // Pods without files volumes keep the image user and the fsGroup for their Secrets.
    expect(template(objects, 'CronJob', 'shop-verify').spec.securityContext).toMatchObject({
      runAsUser: 65532,
      fsGroup: 65532,
      fsGroupChangePolicy: 'OnRootMismatch',
    });
  });

  it('mounts no static S3 keys without credentials and annotates every ServiceAccount for workload identity', () => {
    for (const { where, template: t } of podTemplates(objects)) {
      const secrets = t.spec.volumes.filter((x: Obj) => x.secret);
      expect(
        secrets.flatMap((s: Obj) => s.secret.items.map((i: Obj) => i.key)),
        where,
      ).not.toContain('AWS_ACCESS_KEY_ID');
      expect(
        secrets.map((s: Obj) => s.secret.secretName),
        where,
      ).not.toContain('backup-s3');
    }
    const accounts = objectsOf(objects, 'ServiceAccount');
    expect(accounts.length).toBeGreaterThanOrEqual(3);
    for (const sa of accounts)
      expect(sa.metadata.annotations['eks.amazonaws.com/role-arn'], sa.metadata.name).toBe('arn:aws:iam::123456789012:role/shop-backup');
    expect(JSON.stringify(objects)).not.toMatch(/AWS_SECRET_ACCESS_KEY/);
  });

  it('is restricted (the written knobs stay inside the profile) and validate warns of nothing', () => {
    for (const { where, template: t } of podTemplates(objects)) expect(restrictedViolations(t), where).toEqual([]);
    expect(restrictedWarnings(v)).toEqual([]);
  });
});

describe('leaving the restricted profile', () => {
  it('is allowed only as written, and the warning names the rule and where it was written', () => {
    expect(restrictedWarnings(makeValues({ restore: {} }))).toEqual([]);
    const w = restrictedWarnings(
      makeValues({
        restore: {},
        operations: { restore: { securityContext: { allowPrivilegeEscalation: true, capabilities: { drop: [], add: ['SYS_PTRACE'] } } } },
      }),
    );
    expect(w).toHaveLength(1);
    expect(w[0].path).toEqual(['operations', 'restore', 'securityContext']);
    expect(w[0].message).toMatch(/the restore pods leave the Pod Security restricted profile/);
    expect(w[0].message).toMatch(/restricted "Privilege Escalation": container "safehold" must set allowPrivilegeEscalation: false/);
    expect(w[0].message).toMatch(/restricted "Capabilities": container "safehold" must drop ALL capabilities/);
    expect(w[0].message).toMatch(/may add only NET_BIND_SERVICE, adds SYS_PTRACE/);
    const root = restrictedWarnings(makeValues({ podSecurityContext: { runAsUser: 0, runAsNonRoot: false } }));
    expect(root.map((x) => x.path)).toEqual([['podSecurityContext'], ['podSecurityContext']]);
    expect(root[0].message).toMatch(/runAsUser must not be 0/);
    const sidecar = restrictedWarnings(
      makeValues({
        drill: {
          schedule: '0 5 * * 0',
          targets: { db: { sidecar: { image: 'postgres:17', securityContext: { readOnlyRootFilesystem: false, privileged: true } } } },
        },
      }),
    );
    expect(sidecar.map((x) => x.message).join()).toMatch(/baseline "Privileged Containers": container "drill-db" sets privileged: true/);
  });
});

describe('platform: openshift', () => {
  it('leaves UID, GID and fsGroup to the SCC in every pod, keeps the rest of restricted, and uses DNS port 5353', () => {
    const objects = synth(
      makeValues({
        platform: 'openshift',
        networkPolicy: true,
        restore: {},
        drill: { schedule: '0 5 * * 0', targets: { db: { sidecar: { image: 'postgres:17' } } } },
      }),
    );
    const pods = podTemplates(objects);
    expect(pods.length).toBe(4);
    for (const { where, template: t } of pods) {
      const psc = t.spec.securityContext;
      expect(psc, where).toEqual({ runAsNonRoot: true, seccompProfile: { type: 'RuntimeDefault' } });
      for (const c of t.spec.containers) expect(c.securityContext.runAsUser, where).toBeUndefined();
      // The only rule left unmet is safehold's own "fixed UID", which the SCC now provides.
      expect(
        restrictedViolations(t).filter((x) => !x.endsWith('has no fixed UID')),
        where,
      ).toEqual([]);
      for (const s of t.spec.volumes.filter((x: Obj) => x.secret)) expect(s.secret.defaultMode, where).toBe(0o444);
    }
    expect(one(objects, 'NetworkPolicy').spec.egress[0].ports).toEqual([
      { protocol: 'UDP', port: 5353 },
      { protocol: 'TCP', port: 5353 },
    ]);
  });
});
