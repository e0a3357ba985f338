// The Job shape the one-shot requests share (restore, drop-database, clone): named after the request, never retried,
// never pruned or re-run by a controller (gitops-annotations.ts).
import { k8s } from 'cdk8s-plus-27';
import type { Construct } from 'constructs';
import { CONFIG_PATH } from '../contract/layout.js';
import { durationSeconds } from '../values/formats.js';
import { oneShotJobAnnotations, REQUEST_ANNOTATION } from './gitops-annotations.js';
import { standardLabels, type SetIdentity } from './names.js';
import { deadlineFor, runnerArgs, runnerPodTemplate, type RunnerPodOptions } from './runner-pod.js';

export interface OneShotRunnerJobProps {
  readonly set: SetIdentity;
  readonly name: string;
  readonly requestId: string;
  readonly component: 'restore' | 'drop-database';
  /** The Job's own component label and runner verb when it is not the operation's (a clone runs as the restore operation). */
  readonly verb?: 'clone';
  /** The Job's activeDeadlineSeconds, as a duration. */
  readonly timeout: string;
  readonly pod: RunnerPodOptions;
}

export function oneShotRunnerJob(scope: Construct, p: OneShotRunnerJobProps): k8s.KubeJob {
  return new k8s.KubeJob(scope, 'Resource', {
    metadata: {
      name: p.name,
      namespace: p.set.namespace,
      labels: standardLabels(p.set, p.verb ?? p.component),
      annotations: { ...oneShotJobAnnotations(), [REQUEST_ANNOTATION]: p.requestId },
    },
    spec: {
      // A request that failed half-way is not retried behind anyone's back: change the
      // request (e.g. restore.requestId) to run it again.
      backoffLimit: 0,
      activeDeadlineSeconds: durationSeconds(p.timeout),
      template: runnerPodTemplate({
        ...p.pod,
        set: p.set,
        component: p.component,
        args: p.verb ? [p.verb, '--config', CONFIG_PATH, '--request', p.requestId] : runnerArgs(p.component, p.requestId),
        deadline: deadlineFor(p.pod, p.timeout, p.name),
      }),
    },
  });
}
