// The run's own deadline: stop children before Kubernetes' activeDeadlineSeconds kills the pod without cleanup.
import { durationSeconds } from '../../values/formats.js';
import { setDeadline } from '../process/spawn.js';

/** Share of the timeout kept back (at most a minute) for forgetting a partial set and pushing the failure metric. */
export function cleanupSeconds(total: number): number {
  return Math.min(60, Math.ceil(total * 0.2));
}

let cleanup = 60;
let current: number | undefined;

/** Nests: an inner run (a drill's restore) never extends the outer deadline, and the outer one is back afterwards. */
export async function withinDeadline<T>(timeout: string, fn: () => Promise<T>): Promise<T> {
  const total = durationSeconds(timeout) ?? 3600;
  cleanup = cleanupSeconds(total);
  const outer = current;
  const mine = Date.now() + (total - cleanup) * 1000;
  current = outer === undefined ? mine : Math.min(outer, mine);
  setDeadline(current);
  try {
    return await fn();
  } finally {
    current = outer;
    setDeadline(outer);
  }
}

/** After a failure: a short, fresh allowance for cleanup. */
export function startCleanup(): void {
  current = Date.now() + cleanup * 1000;
  setDeadline(current);
}
