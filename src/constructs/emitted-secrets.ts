// Secrets safehold may ask for on the user's behalf: an ExternalSecret or a SealedSecret, never a plain Secret.
import { ApiObject } from 'cdk8s';
import { Construct } from 'constructs';
import type { RuleIssue } from '../values/rules.js';
import type { Values } from '../values/schema.js';
import { standardLabels, type SetIdentity } from './names.js';

/** A Secret safehold asks a controller for: the `secrets:` entry of a values file. */
export type EmittedSecret = Values['secrets'][number];

/** Each entry must say where its data comes from, exactly once. */
export function emittedSecretProblems(v: Values): RuleIssue[] {
  const issues: RuleIssue[] = [];
  v.secrets.forEach((s, i) => {
    const kinds = [s.externalSecret && 'externalSecret', s.sealedSecret && 'sealedSecret'].filter(Boolean);
    if (kinds.length !== 1) {
      issues.push({
        path: ['secrets', i],
        message: `must set exactly one of externalSecret or sealedSecret, got ${kinds.length ? kinds.join(' and ') : 'neither'}`,
      });
    }
  });
  const names = v.secrets.map((s) => s.name);
  names.forEach((n, i) => {
    if (names.indexOf(n) !== i) issues.push({ path: ['secrets', i, 'name'], message: `secret names must be unique, "${n}" appears twice` });
  });
  return issues;
}

export interface EmittedSecretsProps {
  /** The set's prefix (labels) and namespace. */
  readonly set: SetIdentity;
  /** Each with exactly one of externalSecret or sealedSecret (emittedSecretProblems). */
  readonly secrets: readonly EmittedSecret[];
}

export class EmittedSecrets extends Construct {
  constructor(scope: Construct, id: string, props: EmittedSecretsProps) {
    super(scope, id);
    const names = props.set;
    const labels = standardLabels(names, 'secret');
    for (const s of props.secrets) {
      const metadata = { name: s.name, namespace: names.namespace, labels };
      if (s.externalSecret) this.externalSecret(s, s.externalSecret, metadata);
      else if (s.sealedSecret) {
        // https://github.com/bitnami-labs/sealed-secrets#sealedsecrets-as-templates-for-secrets
        new ApiObject(this, s.name, {
          apiVersion: 'bitnami.com/v1alpha1',
          kind: 'SealedSecret',
          metadata,
          spec: { encryptedData: { ...s.sealedSecret.encryptedData }, template: { metadata: { name: s.name, namespace: names.namespace, labels } } },
        });
      }
    }
  }

  // https://external-secrets.io/latest/api/externalsecret/ — v1 since ESO 0.16; 0.17 stopped serving v1beta1.
  private externalSecret(s: EmittedSecret, es: NonNullable<EmittedSecret['externalSecret']>, metadata: Record<string, unknown>): void {
    new ApiObject(this, s.name, {
      apiVersion: 'external-secrets.io/v1',
      kind: 'ExternalSecret',
      metadata,
      spec: {
        refreshInterval: es.refreshInterval,
        secretStoreRef: { name: es.secretStore.name, kind: es.secretStore.kind },
        // Owner: the Secret is deleted with the ExternalSecret and cannot be claimed by another one.
        target: { name: s.name, creationPolicy: 'Owner' },
        data: es.data.map((d) => ({
          secretKey: d.secretKey,
          remoteRef: { key: d.remoteKey, ...(d.property ? { property: d.property } : {}) },
        })),
      },
    });
  }
}
