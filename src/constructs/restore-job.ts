// The one-shot restore Job: exists only while `restore` is in the values, named after a hash of the request.
import { k8s } from 'cdk8s-plus-27';
import { Construct } from 'constructs';
import { restoreRequestId } from '../contract/requests.js';
import { durationSeconds } from '../values/formats.js';
import type { Values } from '../values/schema.js';
import { standardLabels, type BackupSetNames } from './names.js';
import { oneShotJobAnnotations, REQUEST_ANNOTATION } from './gitops-annotations.js';
import { runnerArgs, runnerPodTemplate } from './runner-pod.js';

export interface RestoreJobProps {
  readonly values: Values;
  readonly names: BackupSetNames;
  /** The runner talks to the API (ledger, Kubernetes objects, rollout restart). */
  readonly apiAccess: boolean;
}

export class RestoreJob extends Construct {
  constructor(scope: Construct, id: string, props: RestoreJobProps) {
    super(scope, id);
    const { values: v, names } = props;
    const restore = v.restore;
    const requestId = restoreRequestId(v);
    if (!restore || !requestId || !names.restoreJob) throw new Error('RestoreJob needs values.restore');

    new k8s.KubeJob(this, 'Resource', {
      metadata: {
        name: names.restoreJob,
        namespace: names.namespace,
        labels: standardLabels(names, 'restore'),
        annotations: { ...oneShotJobAnnotations(), [REQUEST_ANNOTATION]: requestId },
      },
      spec: {
        // A restore that failed half-way is not retried behind anyone's back: change the
        // request (e.g. restore.requestId) to run it again.
        backoffLimit: 0,
        activeDeadlineSeconds: durationSeconds(restore.timeout),
        template: runnerPodTemplate({
          values: v,
          names,
          component: 'restore',
          args: runnerArgs('restore', requestId),
          apiAccess: props.apiAccess,
          dataVolumes: 'writable',
        }),
      },
    });
  }
}
