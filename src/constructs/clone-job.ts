// The one-shot clone Job: exists only while `clone` is in the values, named after a hash of the request; runs as the restore operation.
import { k8s } from 'cdk8s-plus-27';
import { Construct } from 'constructs';
import { CONFIG_PATH } from '../contract/layout.js';
import { cloneRequestId } from '../contract/requests.js';
import { durationSeconds } from '../values/formats.js';
import type { Values } from '../values/schema.js';
import { oneShotJobAnnotations, REQUEST_ANNOTATION } from './gitops-annotations.js';
import { standardLabels, type BackupSetNames } from './names.js';
import { runnerPodTemplate } from './runner-pod.js';

export interface CloneJobProps {
  readonly values: Values;
  readonly names: BackupSetNames;
  /** The runner talks to the API (ledger and claim ConfigMaps). */
  readonly apiAccess: boolean;
}

export class CloneJob extends Construct {
  constructor(scope: Construct, id: string, props: CloneJobProps) {
    super(scope, id);
    const { values: v, names } = props;
    const clone = v.clone;
    const requestId = cloneRequestId(v);
    if (!clone || !requestId || !names.cloneJob) throw new Error('CloneJob needs values.clone');

    new k8s.KubeJob(this, 'Resource', {
      metadata: {
        name: names.cloneJob,
        namespace: names.namespace,
        labels: standardLabels(names, 'clone'),
        annotations: { ...oneShotJobAnnotations(), [REQUEST_ANNOTATION]: requestId },
      },
      spec: {
        // Never retried behind anyone's back: change the request (clone.requestId) to run it again.
        backoffLimit: 0,
        activeDeadlineSeconds: durationSeconds(clone.timeout),
        template: runnerPodTemplate({
          values: v,
          names,
          component: 'restore',
          args: ['clone', '--config', CONFIG_PATH, '--request', requestId],
          apiAccess: props.apiAccess,
          // PostgreSQL only: no files volumes are written.
          dataVolumes: 'none',
          schedule: { timeout: clone.timeout, workload: names.cloneJob },
        }),
      },
    });
  }
}
