// The one-shot drop-database Job (Monoskope's "drop, then restore"): only when confirmed, before the restore Job.
import { Construct } from 'constructs';
import { DEFAULTS } from './defaults.js';
import type { SetIdentity } from './names.js';
import { oneShotRunnerJob } from './one-shot-runner-job.js';
import type { RunnerPodOptions } from './runner-pod.js';

export interface DropDatabaseJobProps {
  /** The set's prefix (labels) and namespace. */
  readonly set: SetIdentity;
  /** The Job's name: it must change with the request (backupSetNames: `<prefix>-<drop request id>`). */
  readonly name: string;
  /** The drop's request id (dropRequestId): the restore's, so drop and restore share one claim. */
  readonly requestId: string;
  /**
   * The Job's activeDeadlineSeconds, as a duration.
   * @default DEFAULTS.timeout, the values schema's `timeout` default
   */
  readonly timeout?: string;
  /** The runner pod: only the dropped database's login among its Secrets, no data volumes. */
  readonly pod: RunnerPodOptions;
}

/**
 * The first step of the restore request (same id, renamed; same claim). No ordering by the
 * controller: whichever Job claims the request first decides — the drop hands over to the restore,
 * or the restore drops by itself and this Job refuses (runner/requests/claim.ts).
 */
export class DropDatabaseJob extends Construct {
  constructor(scope: Construct, id: string, props: DropDatabaseJobProps) {
    super(scope, id);
    oneShotRunnerJob(this, { ...props, component: 'drop-database', timeout: props.timeout ?? DEFAULTS.timeout });
  }
}
