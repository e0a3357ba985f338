// The repository's PersistentVolumeClaim, created only when the values ask for a size (3scale's PVC destination).
import { k8s } from 'cdk8s-plus-27';
import { Construct } from 'constructs';
import type { Values } from '../values/schema.js';
import { standardLabels, type BackupSetNames } from './names.js';
import { keepAnnotations } from './gitops-annotations.js';

export interface RepositoryPvcProps {
  readonly values: Values;
  readonly names: BackupSetNames;
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
    const pvc = props.values.repository.pvc;
    if (!pvc?.size) throw new Error('RepositoryPvc needs repository.pvc.size');
    new k8s.KubePersistentVolumeClaim(this, 'Resource', {
      metadata: {
        name: pvc.claimName,
        namespace: props.names.namespace,
        labels: standardLabels(props.names, 'repository'),
        annotations: keepAnnotations(),
      },
      spec: {
        accessModes: [...(props.accessModes ?? ['ReadWriteOnce'])],
        storageClassName: pvc.storageClass,
        resources: { requests: { storage: k8s.Quantity.fromString(pvc.size) } },
      },
    });
  }
}
