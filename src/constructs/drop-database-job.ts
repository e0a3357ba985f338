// The one-shot drop-database Job (Monoskope's "drop, then restore"): only when confirmed, before the restore Job.
import { k8s } from 'cdk8s-plus-27';
import { Construct } from 'constructs';
import { dropRequestId } from '../contract/requests.js';
import { durationSeconds } from '../values/formats.js';
import type { Values } from '../values/schema.js';
import { standardLabels, type BackupSetNames } from './names.js';
import { oneShotJobAnnotations, REQUEST_ANNOTATION, SYNC_WAVE } from './gitops-annotations.js';
import { runnerArgs, runnerPodTemplate } from './runner-pod.js';

export interface DropDatabaseJobProps {
  readonly values: Values;
  readonly names: BackupSetNames;
  readonly apiAccess: boolean;
}

/**
 * Ordering: under Argo CD the sync wave creates the restore Job only after this Job succeeded;
 * Flux and Helm create both at once, so the runner's restore waits for (or refuses without) the
 * drop request's ledger entry when `dropDatabase` is in its config.
 */
export class DropDatabaseJob extends Construct {
  constructor(scope: Construct, id: string, props: DropDatabaseJobProps) {
    super(scope, id);
    const { values: v, names } = props;
    const requestId = dropRequestId(v);
    if (!v.dropDatabase || !requestId || !names.dropJob) throw new Error('DropDatabaseJob needs values.dropDatabase');

    new k8s.KubeJob(this, 'Resource', {
      metadata: {
        name: names.dropJob,
        namespace: names.namespace,
        labels: standardLabels(names, 'drop-database'),
        annotations: { ...oneShotJobAnnotations(SYNC_WAVE.drop), [REQUEST_ANNOTATION]: requestId },
      },
      spec: {
        backoffLimit: 0,
        activeDeadlineSeconds: durationSeconds(v.timeout),
        template: runnerPodTemplate({
          values: v,
          names,
          component: 'drop-database',
          args: runnerArgs('drop-database', requestId),
          apiAccess: props.apiAccess,
          dataVolumes: 'none',
        }),
      },
    });
  }
}
