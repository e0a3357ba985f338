// The run's stop request (SIGTERM, SIGINT, the run's own deadline): one AbortSignal, a registry of what to stop,
// and the cleanup phase in which the failed run may still start the few processes that tidy up.
import { SafeholdError } from '../../errors.js';

let controller = new AbortController();
let reason: string | undefined;
let cleaningUp = false;
const onStop = new Set<(why: string) => void>();

/** Aborted when the run is asked to stop; sleeps and requests that could outlast a stop take it. */
export function stopSignal(): AbortSignal {
  return controller.signal;
}

/** Why the run is stopping, or undefined while it is not. */
export function stopReason(): string | undefined {
  return reason;
}

/** Asks the run to stop: the first reason wins; every registered stopper runs once. */
export function requestStop(why: string): void {
  if (reason !== undefined) return;
  reason = why;
  controller.abort(new StoppedError(why));
  for (const f of onStop) f(why);
}

/** Registers what a stop must end (the process module's running children); returns the unregister function. */
export function whenStopped(f: (why: string) => void): () => void {
  onStop.add(f);
  return () => onStop.delete(f);
}

/** The failed run tidies up from here on: processes may start again (forget, unlock, list locks). */
export function enterCleanup(): void {
  cleaningUp = true;
}

/** Work (not cleanup) must not start once a stop is requested. */
export function throwIfStopped(): void {
  if (reason !== undefined && !cleaningUp) throw new StoppedError(reason);
}

/** The message for a failure: the stop's reason first when the run was stopped (the child's error follows it). */
export function failureReason(e: unknown): string {
  const msg = e instanceof Error ? e.message : String(e);
  return reason === undefined || e instanceof StoppedError ? msg : `${reason}; ${msg}`;
}

/** Tests only: a fresh state for the next in-process run. */
export function resetStop(): void {
  controller = new AbortController();
  reason = undefined;
  cleaningUp = false;
}

/** The run was stopped before it finished (exit code 1: the Job may retry after a drain or eviction). */
export class StoppedError extends SafeholdError {
  constructor(why: string) {
    super(`stopped: ${why}`);
  }
}
