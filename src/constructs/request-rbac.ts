// The rights of one-shot requests (ledger and claim ConfigMaps): a Role that stays while any request Job may still run.
import { k8s } from 'cdk8s-plus-27';
import { Construct } from 'constructs';
import type { Values } from '../values/schema.js';
import { outlivesRequestAnnotations } from './gitops-annotations.js';
import { standardLabels, type BackupSetNames } from './names.js';
import { operations, REQUEST_OPERATIONS, requestRbacRules } from './rbac-rules.js';

export interface RequestRbacProps {
  readonly values: Values;
  readonly names: BackupSetNames;
}

/**
 * Removing `restore:` from git while its Job runs must not take away what the Job needs at its end
 * (record the request, release the claim): the Role and its binding carry the same never-prune
 * annotations as the Jobs, and their rules name fixed objects, so one kept Role fits every request.
 */
export class RequestRbac extends Construct {
  constructor(scope: Construct, id: string, props: RequestRbacProps) {
    super(scope, id);
    const { names } = props;
    const rules = requestRbacRules(props.values);
    if (!rules.length) return;
    const metadata = { name: names.requestRole, namespace: names.namespace, labels: standardLabels(names, 'rbac'), annotations: outlivesRequestAnnotations() };
    new k8s.KubeRole(this, 'Role', { metadata, rules: rules.map((r) => ({ ...r })) });
    new k8s.KubeRoleBinding(this, 'RoleBinding', {
      metadata,
      roleRef: { apiGroup: 'rbac.authorization.k8s.io', kind: 'Role', name: names.requestRole },
      subjects: operations(props.values)
        .filter((op) => REQUEST_OPERATIONS.includes(op))
        .map((op) => ({ kind: 'ServiceAccount', name: names.accounts[op], namespace: names.namespace })),
    });
  }
}
