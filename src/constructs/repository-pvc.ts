// The repository's PersistentVolumeClaim, created only when the values ask for a size (3scale's PVC destination).
import { k8s } from 'cdk8s-plus-27';
import { Construct } from 'constructs';
import { standardLabels, type SetIdentity } from './names.js';
import { keepAnnotations } from './gitops-annotations.js';

export interface RepositoryPvcProps {
  /** The set's prefix (labels) and namespace. */
  readonly set: SetIdentity;
  /** The claim's name (`repository.pvc.claimName`). */
  readonly claimName: string;
  /** The requested storage (`repository.pvc.size`), a Kubernetes quantity. */
  readonly size: string;
  /** @default - the cluster's default StorageClass */
  readonly storageClass?: string;
  /**
   * Backup, drill and restore pods run one at a time, so one node at a time is enough.
   * @default ['ReadWriteOnce']
   */
  readonly accessModes?: readonly string[];
}

/** The claim holds every backup: controllers must never prune or delete it (see keepAnnotations). */
export class RepositoryPvc extends Construct {
  constructor(scope: Construct, id: string, props: RepositoryPvcProps) {
    super(scope, id);
    new k8s.KubePersistentVolumeClaim(this, 'Resource', {
      metadata: {
        name: props.claimName,
        namespace: props.set.namespace,
        labels: standardLabels(props.set, 'repository'),
        annotations: keepAnnotations(),
      },
      spec: {
        accessModes: [...(props.accessModes ?? ['ReadWriteOnce'])],
        storageClassName: props.storageClass,
        resources: { requests: { storage: k8s.Quantity.fromString(props.size) } },
      },
    });
  }
}
