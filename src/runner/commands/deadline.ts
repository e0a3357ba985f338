// The run's own deadline: stop children before Kubernetes' activeDeadlineSeconds kills the pod without cleanup.
// How it is derived (src/contract/deadline.ts, docs/troubleshooting.md "Deadlines and signals"): the timeout
// less a start-up allowance (the Job's clock starts before the runner's) less the grace period for cleanup.
import { graceSeconds, startupSeconds } from '../../contract/deadline.js';
import { durationSeconds } from '../../values/formats.js';
import { setDeadline } from '../process/spawn.js';
import { enterCleanup } from '../process/stop.js';
import { graceFromEnv } from '../signals.js';

/** The grace period for a timeout: the pod's (SAFEHOLD_GRACE_SECONDS), else derived as the manifests derive it. */
export function cleanupSeconds(total: number, env: NodeJS.ProcessEnv = process.env): number {
  return graceFromEnv(env, graceSeconds(total));
}

/** Seconds of work from the runner's start: timeout − start-up allowance − grace period. */
export function runnerWorkSeconds(total: number, env: NodeJS.ProcessEnv = process.env): number {
  return Math.max(1, total - startupSeconds(total) - cleanupSeconds(total, env));
}

let cleanup = cleanupSeconds(3600);
let current: number | undefined;

/** The grace period of the run in progress (the signal handlers end the run within it). */
export function currentGraceSeconds(): number {
  return cleanup;
}

/** Nests: an inner run (a drill's restore) never extends the outer deadline, and the outer one is back afterwards. */
export async function withinDeadline<T>(timeout: string, fn: () => Promise<T>): Promise<T> {
  const total = durationSeconds(timeout) ?? 3600;
  const outer = current;
  // The grace period is the pod's: the outermost run's timeout decides it.
  if (outer === undefined) cleanup = cleanupSeconds(total);
  const mine = Date.now() + runnerWorkSeconds(total) * 1000;
  current = outer === undefined ? mine : Math.min(outer, mine);
  setDeadline(current);
  try {
    return await fn();
  } finally {
    current = outer;
    setDeadline(outer);
  }
}

/** After a failure or a stop: a fresh allowance for cleanup, a little inside the grace period, and processes may start again. */
export function startCleanup(): void {
  enterCleanup();
  current = Date.now() + Math.max(1, cleanup - 1) * 1000;
  setDeadline(current);
}
