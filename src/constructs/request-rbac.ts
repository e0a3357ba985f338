// The rights of one-shot requests (ledger, claim and drop-step ConfigMaps): a Role that stays while any request Job may still run.
import { k8s } from 'cdk8s-plus-27';
import { Construct } from 'constructs';
import { outlivesRequestAnnotations } from './gitops-annotations.js';
import { standardLabels, type SetIdentity } from './names.js';
import type { RbacRule } from './rbac-rules.js';

export interface RequestRbacProps {
  /** The set's prefix (labels) and namespace. */
  readonly set: SetIdentity;
  /** The Role's and RoleBinding's name (backupSetNames: `<prefix>-safehold-requests`, or `-drop-step` for the drop Job). */
  readonly name: string;
  /** The rights (requestRbacRules, dropStepRbacRules); none: no Role at all. */
  readonly rules: readonly RbacRule[];
  /** The ServiceAccounts bound to it, in the set's namespace (the restore's, or the drop's). */
  readonly accounts: readonly string[];
}

/**
 * Removing `restore:` from git while its Job runs must not take away what the Job needs at its end
 * (record the request, release the claim): the Role and its binding carry the same never-prune
 * annotations as the Jobs, and their rules name fixed objects, so one kept Role fits every request.
 */
export class RequestRbac extends Construct {
  constructor(scope: Construct, id: string, props: RequestRbacProps) {
    super(scope, id);
    if (!props.rules.length) return;
    const metadata = { name: props.name, namespace: props.set.namespace, labels: standardLabels(props.set, 'rbac'), annotations: outlivesRequestAnnotations() };
    new k8s.KubeRole(this, 'Role', { metadata, rules: props.rules.map((r) => ({ ...r })) });
    new k8s.KubeRoleBinding(this, 'RoleBinding', {
      metadata,
      roleRef: { apiGroup: 'rbac.authorization.k8s.io', kind: 'Role', name: props.name },
      subjects: props.accounts.map((name) => ({ kind: 'ServiceAccount', name, namespace: props.set.namespace })),
    });
  }
}
