// The one-shot restore Job: exists only while `restore` is in the values, named after a hash of the request.
import { Construct } from 'constructs';
import { DEFAULTS } from './defaults.js';
import type { SetIdentity } from './names.js';
import { oneShotRunnerJob } from './one-shot-runner-job.js';
import type { RunnerPodOptions } from './runner-pod.js';

export interface RestoreJobProps {
  /** The set's prefix (labels) and namespace. */
  readonly set: SetIdentity;
  /** The Job's name: it must change with the request (backupSetNames: `<prefix>-<request id>`). */
  readonly name: string;
  /** The request id (restoreRequestId): recorded in the repository, so the same request never runs twice. */
  readonly requestId: string;
  /**
   * The Job's activeDeadlineSeconds, as a duration.
   * @default DEFAULTS.restoreTimeout, the values schema's `restore.timeout` default
   */
  readonly timeout?: string;
  /** The runner pod: a token for the ledger and the Kubernetes objects, the data volumes writable. */
  readonly pod: RunnerPodOptions;
}

export class RestoreJob extends Construct {
  constructor(scope: Construct, id: string, props: RestoreJobProps) {
    super(scope, id);
    oneShotRunnerJob(this, { ...props, component: 'restore', timeout: props.timeout ?? DEFAULTS.restoreTimeout });
  }
}
