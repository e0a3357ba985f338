// The runner's identities: one ServiceAccount per operation, a Role and RoleBinding per namespace only where it calls the API.
import { k8s } from 'cdk8s-plus-27';
import { Construct } from 'constructs';
import { byCodeUnit, standardLabels, type BackupSetNames, type RunnerComponent, type SetIdentity } from './names.js';
import { outlivesRequestAnnotations } from './gitops-annotations.js';
import type { RbacRule } from './rbac-rules.js';

/** One operation's identity: its ServiceAccount and, where it calls the API, a Role and RoleBinding per namespace. */
export interface RunnerAccount {
  /** The operation whose pods use the account (names the constructs inside). */
  readonly operation: RunnerComponent;
  /** The ServiceAccount's name; its Roles and RoleBindings share it. */
  readonly name: string;
  /**
   * Where the operation's pods (and so the account) live.
   * @default set.namespace
   */
  readonly namespace?: string;
  /**
   * On the ServiceAccount: workload identity (IRSA's role ARN, GKE's or Azure's identity).
   * @default - none
   */
  readonly annotations?: Readonly<Record<string, string>>;
  /**
   * What the account may do, by namespace (rbacRulesFor).
   * @default - nothing: no Role, no RoleBinding
   */
  readonly rules?: Readonly<Record<string, readonly RbacRule[]>>;
  /**
   * The account of a one-shot request: it, its Roles and bindings stay when the request leaves git while its Job runs.
   * @default false
   */
  readonly outlivesRequest?: boolean;
}

export interface RunnerRbacProps {
  /** The set's prefix (labels) and namespace. */
  readonly set: SetIdentity;
  readonly accounts: readonly RunnerAccount[];
}

/** Where an operation's pods (and so its ServiceAccount) live. */
export function operationNamespace(names: BackupSetNames, op: RunnerComponent): string {
  return op === 'maintenance' ? names.maintenanceNamespace : names.namespace;
}

/**
 * Separate accounts keep each operation's rights to itself: configuring a drill gives the backup
 * pods nothing, and a restore request in git never lets a backup pod patch a Deployment.
 */
export class RunnerRbac extends Construct {
  constructor(scope: Construct, id: string, props: RunnerRbacProps) {
    super(scope, id);
    const labels = standardLabels(props.set, 'rbac');
    for (const a of props.accounts) {
      const op = a.operation;
      const namespace = a.namespace ?? props.set.namespace;
      const keep = a.outlivesRequest ? { annotations: outlivesRequestAnnotations() } : {};
      const annotations = { ...a.annotations, ...keep.annotations };
      new k8s.KubeServiceAccount(this, `ServiceAccount-${op}`, {
        metadata: { name: a.name, namespace, labels, ...(Object.keys(annotations).length ? { annotations } : {}) },
        // Pods opt in (automountServiceAccountToken on the pod) only when they need the API.
        automountServiceAccountToken: false,
      });
      const byNamespace = Object.entries(a.rules ?? {}).sort(([x], [y]) => byCodeUnit(x, y));
      for (const [ns, nsRules] of byNamespace) {
        new k8s.KubeRole(this, `Role-${op}-${ns}`, {
          metadata: { name: a.name, namespace: ns, labels, ...keep },
          rules: nsRules.map((r) => ({ ...r })),
        });
        new k8s.KubeRoleBinding(this, `RoleBinding-${op}-${ns}`, {
          metadata: { name: a.name, namespace: ns, labels, ...keep },
          roleRef: { apiGroup: 'rbac.authorization.k8s.io', kind: 'Role', name: a.name },
          subjects: [{ kind: 'ServiceAccount', name: a.name, namespace }],
        });
      }
    }
  }
}
