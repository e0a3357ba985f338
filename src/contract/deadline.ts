// How a run's time is split. Kubernetes counts activeDeadlineSeconds from the Job's start (scheduling and the
// image pull included), then sends SIGTERM and kills after terminationGracePeriodSeconds; the runner counts from
// its own start. Manifests and runner derive every figure here from the same timeout.

/** The pod's terminationGracePeriodSeconds: time to stop children, forget a partial set, free locks, push metrics. */
export function graceSeconds(total: number): number {
  return Math.max(10, Math.min(60, Math.ceil(total * 0.2)));
}

/** Kept back for the Job's start-up (scheduling, image pull) before the runner's clock starts: 10 %, at most 5 minutes. */
export function startupSeconds(total: number): number {
  return Math.min(300, Math.ceil(total * 0.1));
}

/**
 * Seconds after its own start at which the runner stops work and cleans up, so that it ends by itself
 * (inside the grace period that follows) before Kubernetes' deadline: timeout − start-up allowance − grace.
 */
export function workSeconds(total: number): number {
  return Math.max(1, total - startupSeconds(total) - graceSeconds(total));
}

/** Set on the runner container: the grace period the pod really has (terminationGracePeriodSeconds). */
export const GRACE_ENV = 'SAFEHOLD_GRACE_SECONDS';
/**
 * Set on the runner container: the CronJob or Job whose pods this run belongs to. Its pod names (the restic lock's
 * host name) start with it, so the next run knows a lock of an earlier, dead pod of the same workload.
 */
export const WORKLOAD_ENV = 'SAFEHOLD_WORKLOAD';
