// The one-shot drop-database Job (Monoskope's "drop, then restore"): only when confirmed, before the restore Job.
import { k8s } from 'cdk8s-plus-27';
import { Construct } from 'constructs';
import { dropRequestId } from '../contract/requests.js';
import { durationSeconds } from '../values/formats.js';
import type { Values } from '../values/schema.js';
import { standardLabels, type BackupSetNames } from './names.js';
import { oneShotJobAnnotations, REQUEST_ANNOTATION } from './gitops-annotations.js';
import { runnerArgs, runnerPodTemplate } from './runner-pod.js';

export interface DropDatabaseJobProps {
  readonly values: Values;
  readonly names: BackupSetNames;
  readonly apiAccess: boolean;
}

/**
 * The first step of the restore request (same id, renamed; same claim). No ordering by the
 * controller: whichever Job claims the request first decides — the drop hands over to the restore,
 * or the restore drops by itself and this Job refuses (runner/requests/claim.ts).
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
        annotations: { ...oneShotJobAnnotations(), [REQUEST_ANNOTATION]: requestId },
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
