// The one-shot clone Job: exists only while `clone` is in the values, named after a hash of the request; runs as the
// restore operation (its account, Secrets and pod settings) with `safehold clone`.
import { Construct } from 'constructs';
import { DEFAULTS } from './defaults.js';
import type { SetIdentity } from './names.js';
import { oneShotRunnerJob } from './one-shot-runner-job.js';
import type { RunnerPodOptions } from './runner-pod.js';

export interface CloneJobProps {
  /** The set's prefix (labels) and namespace. */
  readonly set: SetIdentity;
  /** The Job's name: it must change with the request (backupSetNames: `<prefix>-<clone request id>`). */
  readonly name: string;
  /** The request id (cloneRequestId): recorded in this set's repository, so the same clone never runs twice. */
  readonly requestId: string;
  /**
   * The Job's activeDeadlineSeconds, as a duration.
   * @default DEFAULTS.cloneTimeout, the values schema's `clone.timeout` default
   */
  readonly timeout?: string;
  /** The runner pod: the restore operation's account and Secrets plus the source repository's; no data volumes. */
  readonly pod: RunnerPodOptions;
}

export class CloneJob extends Construct {
  constructor(scope: Construct, id: string, props: CloneJobProps) {
    super(scope, id);
    oneShotRunnerJob(this, { ...props, component: 'restore', verb: 'clone', timeout: props.timeout ?? DEFAULTS.cloneTimeout });
  }
}
