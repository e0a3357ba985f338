// The runner's identity: a ServiceAccount always, a Role and RoleBinding per namespace only when the API is needed.
import { k8s } from 'cdk8s-plus-27';
import { Construct } from 'constructs';
import type { Values } from '../values/schema.js';
import { standardLabels, type BackupSetNames } from './names.js';
import { rbacRules } from './rbac-rules.js';

export interface RunnerRbacProps {
  readonly values: Values;
  readonly names: BackupSetNames;
}

export class RunnerRbac extends Construct {
  constructor(scope: Construct, id: string, props: RunnerRbacProps) {
    super(scope, id);
    const { names } = props;
    const labels = standardLabels(names, 'rbac');
    new k8s.KubeServiceAccount(this, 'ServiceAccount', {
      metadata: { name: names.runner, namespace: names.namespace, labels },
      // Pods opt in (automountServiceAccountToken on the pod) only when they need the API.
      automountServiceAccountToken: false,
    });

    for (const [ns, nsRules] of rbacRules(props.values)) {
      new k8s.KubeRole(this, `Role-${ns}`, {
        metadata: { name: names.runner, namespace: ns, labels },
        rules: nsRules.map((r) => ({ ...r })),
      });
      new k8s.KubeRoleBinding(this, `RoleBinding-${ns}`, {
        metadata: { name: names.runner, namespace: ns, labels },
        roleRef: { apiGroup: 'rbac.authorization.k8s.io', kind: 'Role', name: names.runner },
        subjects: [{ kind: 'ServiceAccount', name: names.runner, namespace: names.namespace }],
      });
    }
  }
}
