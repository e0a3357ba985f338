// The one-shot drop-database Job (Monoskope's "drop, then restore"): only when confirmed, dropping on the restore Job's go-ahead.
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
  /** The drop's request id (dropRequestId): the restore's, renamed: the drop answers that restore's claim. */
  readonly requestId: string;
  /**
   * The Job's activeDeadlineSeconds, as a duration.
   * @default DEFAULTS.timeout, the values schema's `timeout` default
   */
  readonly timeout?: string;
  /** The runner pod: only the dropped database's login and TLS among its Secrets, no repository, no data volumes. */
  readonly pod: RunnerPodOptions;
}

/**
 * The first step of the restore request (same id, renamed). No ordering by the controller: the
 * restore Job decides — it gives this Job the go-ahead once the set is verified, or takes the drop
 * step back and drops by itself; without a go-ahead this Job refuses (runner/requests/go-ahead.ts).
 */
export class DropDatabaseJob extends Construct {
  constructor(scope: Construct, id: string, props: DropDatabaseJobProps) {
    super(scope, id);
    oneShotRunnerJob(this, { ...props, component: 'drop-database', timeout: props.timeout ?? DEFAULTS.timeout });
  }
}
