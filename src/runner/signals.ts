// SIGTERM and SIGINT (activeDeadlineSeconds, node drain, eviction, Ctrl-C): stop the children, let the command's
// failure path tidy up (forget the partial set, free the run's locks, push the failure metric), and end within
// the grace period the pod has, whatever happens.
import { GRACE_ENV } from '../contract/deadline.js';
import type { Logger } from './log.js';
import { requestStop, stopReason } from './process/stop.js';

/** What each signal means here, for the FAILED line. */
const WHY: Readonly<Record<string, string>> = {
  SIGTERM: 'SIGTERM received (Kubernetes: activeDeadlineSeconds reached, node drain or eviction)',
  SIGINT: 'SIGINT received (interrupted)',
};

/** Margin before the grace period ends at which the runner exits even if its cleanup is not done (SIGKILL follows). */
const EXIT_MARGIN_MS = 1500;

/** The grace period the runner has after a signal: the pod's (from the environment), else the one derived from the timeout. */
export function graceFromEnv(env: NodeJS.ProcessEnv, derived: number): number {
  const n = Number(env[GRACE_ENV]);
  return Number.isFinite(n) && n > 0 ? n : derived;
}

/** Installs the handlers for one run; returns a function that removes them. */
export function handleSignals(log: Logger, grace: () => number, exit: (code: number) => void = (c) => process.exit(c)): () => void {
  const handlers = new Map<NodeJS.Signals, () => void>();
  for (const sig of ['SIGTERM', 'SIGINT'] as const) {
    const h = () => {
      if (stopReason() !== undefined) {
        log.warn(`${sig} received again while stopping; still cleaning up`);
        return;
      }
      const graceSeconds = grace();
      log.warn('stopping: children are being stopped, the run fails and cleans up', { signal: sig, graceSeconds });
      requestStop(WHY[sig]);
      // The last word if cleanup hangs: one FAILED line and a non-zero exit before the kubelet's SIGKILL.
      setTimeout(
        () => {
          log.error('run FAILED: cleanup did not finish within the grace period', { reason: WHY[sig], graceSeconds });
          exit(1);
        },
        Math.max(500, graceSeconds * 1000 - EXIT_MARGIN_MS),
      ).unref();
    };
    handlers.set(sig, h);
    process.on(sig, h);
  }
  return () => {
    for (const [sig, h] of handlers) process.off(sig, h);
  };
}
