// The runner's identities: one ServiceAccount per operation, a Role and RoleBinding per namespace only where it calls the API.
import { k8s } from 'cdk8s-plus-27';
import { Construct } from 'constructs';
import type { Values } from '../values/schema.js';
import { standardLabels, type BackupSetNames, type RunnerComponent } from './names.js';
import { outlivesRequestAnnotations } from './gitops-annotations.js';
import { operations, rbacRulesFor, REQUEST_OPERATIONS } from './rbac-rules.js';

export interface RunnerRbacProps {
  readonly values: Values;
  readonly names: BackupSetNames;
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
    const { names } = props;
    const labels = standardLabels(names, 'rbac');
    for (const op of operations(props.values)) {
      const account = names.accounts[op];
      const namespace = operationNamespace(names, op);
      // A request Job's account, Role and binding stay when the request leaves git while its Job still runs.
      const keep = REQUEST_OPERATIONS.includes(op) ? { annotations: outlivesRequestAnnotations() } : {};
      // serviceAccount.annotations: workload identity (IRSA's role ARN, GKE's or Azure's identity) on every account.
      const annotations = { ...props.values.serviceAccount.annotations, ...keep.annotations };
      new k8s.KubeServiceAccount(this, `ServiceAccount-${op}`, {
        metadata: { name: account, namespace, labels, ...(Object.keys(annotations).length ? { annotations } : {}) },
        // Pods opt in (automountServiceAccountToken on the pod) only when they need the API.
        automountServiceAccountToken: false,
      });
      for (const [ns, nsRules] of rbacRulesFor(props.values, op)) {
        new k8s.KubeRole(this, `Role-${op}-${ns}`, {
          metadata: { name: account, namespace: ns, labels, ...keep },
          rules: nsRules.map((r) => ({ ...r })),
        });
        new k8s.KubeRoleBinding(this, `RoleBinding-${op}-${ns}`, {
          metadata: { name: account, namespace: ns, labels, ...keep },
          roleRef: { apiGroup: 'rbac.authorization.k8s.io', kind: 'Role', name: account },
          subjects: [{ kind: 'ServiceAccount', name: account, namespace }],
        });
      }
    }
  }
}
