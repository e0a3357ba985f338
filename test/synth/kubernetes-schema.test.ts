// Every object in dist/ validated offline: Kubernetes 1.27 kinds with kubernetes-models (its OpenAPI
// schemas), the CRD kinds against the required fields of their CRDs (no CRD schema is available offline).
import { Ajv2020 } from 'ajv/dist/2020.js';
import { describe, expect, it } from 'vitest';
import type { Obj } from '../constructs/_fixtures.js';
import { distObjects } from './_dist.js';

const string = { type: 'string', minLength: 1 };
const metadata = { type: 'object', required: ['name', 'namespace'], properties: { name: string, namespace: string } };

/** What the CRDs require (prometheus-operator, external-secrets v1, sealed-secrets), hand-written. */
const CRD_SCHEMAS: Record<string, object> = {
  'monitoring.coreos.com/v1 PrometheusRule': {
    type: 'object',
    required: ['metadata', 'spec'],
    properties: {
      metadata,
      spec: {
        type: 'object',
        required: ['groups'],
        properties: {
          groups: {
            type: 'array',
            items: {
              type: 'object',
              required: ['name', 'rules'],
              additionalProperties: false,
              properties: {
                name: string,
                rules: {
                  type: 'array',
                  items: {
                    type: 'object',
                    required: ['alert', 'expr'],
                    additionalProperties: false,
                    properties: {
                      alert: string,
                      expr: string,
                      for: { type: 'string', pattern: '^(([0-9]+)y)?(([0-9]+)w)?(([0-9]+)d)?(([0-9]+)h)?(([0-9]+)m)?(([0-9]+)s)?(([0-9]+)ms)?$' },
                      labels: { type: 'object', additionalProperties: { type: 'string' } },
                      annotations: { type: 'object', additionalProperties: { type: 'string' } },
                    },
                  },
                },
              },
            },
          },
        },
      },
    },
  },
  'external-secrets.io/v1 ExternalSecret': {
    type: 'object',
    required: ['metadata', 'spec'],
    properties: {
      metadata,
      spec: {
        type: 'object',
        required: ['secretStoreRef', 'target'],
        properties: {
          refreshInterval: string,
          secretStoreRef: { type: 'object', required: ['name'], properties: { name: string, kind: { enum: ['SecretStore', 'ClusterSecretStore'] } } },
          target: { type: 'object', properties: { name: string, creationPolicy: { enum: ['Owner', 'Orphan', 'Merge', 'None'] } } },
          data: {
            type: 'array',
            items: {
              type: 'object',
              required: ['secretKey', 'remoteRef'],
              properties: { secretKey: string, remoteRef: { type: 'object', required: ['key'], properties: { key: string, property: string } } },
            },
          },
        },
      },
    },
  },
  'bitnami.com/v1alpha1 SealedSecret': {
    type: 'object',
    required: ['metadata', 'spec'],
    properties: {
      metadata,
      spec: {
        type: 'object',
        required: ['encryptedData'],
        properties: { encryptedData: { type: 'object', additionalProperties: { type: 'string', pattern: '^[A-Za-z0-9+/=]+$' } }, template: { type: 'object' } },
      },
    },
  },
};

const ajv = new Ajv2020({ allErrors: true, strict: true });
const crdValidators = Object.fromEntries(Object.entries(CRD_SCHEMAS).map(([k, s]) => [k, ajv.compile(s)]));

async function kubernetesModel(obj: Obj): Promise<{ validate(): void } | undefined> {
  const mod = (await import(`kubernetes-models/${obj.apiVersion}`).catch(() => undefined)) as
    Record<string, new (data: Obj) => { validate(): void }> | undefined;
  const Model = mod?.[obj.kind];
  return Model ? new Model(obj) : undefined;
}

describe('every synthesized object is valid Kubernetes 1.27', () => {
  const objects = distObjects();

  it('dist/ holds the objects we expect', () => {
    expect(objects.length).toBeGreaterThan(30);
    const kinds = new Set(objects.map((o) => o.obj.kind));
    for (const k of [
      'CronJob',
      'Job',
      'ConfigMap',
      'ServiceAccount',
      'Role',
      'RoleBinding',
      'PrometheusRule',
      'ExternalSecret',
      'SealedSecret',
      'PersistentVolumeClaim',
      'NetworkPolicy',
    ])
      expect(kinds).toContain(k);
  });

  it('custom resources (CRD kinds) are only in dist/custom-resources/, core kinds never there; no external-secrets.io/v1beta1', () => {
    const crd = (o: Record<string, unknown>) => ['PrometheusRule', 'ExternalSecret', 'SealedSecret'].includes(String(o.kind));
    for (const { file, obj } of objects) expect(crd(obj), `${file}: ${obj.kind}`).toBe(file.startsWith('custom-resources/'));
    expect(objects.filter((o) => String(o.obj.apiVersion).startsWith('external-secrets.io/')).map((o) => o.obj.apiVersion)).toEqual(
      expect.arrayContaining(['external-secrets.io/v1']),
    );
    expect(objects.some((o) => o.obj.apiVersion === 'external-secrets.io/v1beta1')).toBe(false);
  });

  it.each(objects.map(({ file, obj }) => [`${file}: ${obj.kind} ${obj.metadata?.name}`, obj] as const))('%s', async (_label, obj) => {
    const crd = crdValidators[`${obj.apiVersion} ${obj.kind}`];
    if (crd) {
      expect(crd(obj), ajv.errorsText(crd.errors)).toBe(true);
      return;
    }
    const model = await kubernetesModel(obj);
    expect(model, `no Kubernetes 1.27 schema for ${obj.apiVersion} ${obj.kind}`).toBeDefined();
    expect(() => model!.validate()).not.toThrow();
    expect(obj.metadata.namespace, 'every object names its namespace').toMatch(/^[a-z0-9-]+$/);
  });

  it('the validators do catch mistakes', async () => {
    const cron = objects.find((o) => o.obj.kind === 'CronJob')!.obj;
    const broken = structuredClone(cron);
    broken.spec.concurrencyPolicy = 'Sometimes';
    await expect(kubernetesModel(broken).then((m) => m!.validate())).rejects.toThrow(/concurrencyPolicy/);
    const rule = structuredClone(objects.find((o) => o.obj.kind === 'PrometheusRule')!.obj);
    rule.spec.groups[0].rules[0].for = '1 hour';
    expect(crdValidators['monitoring.coreos.com/v1 PrometheusRule'](rule)).toBe(false);
  });
});
