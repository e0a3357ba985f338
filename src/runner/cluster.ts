// Operations on the cluster the runner may need (rollout restart); provided by the kubernetes module.
import { SafeholdError } from '../errors.js';
import type { RunContext } from './context.js';

export interface ClusterOps {
  /** Adds the restartedAt annotation to every Deployment and StatefulSet matching the selector; returns their names. */
  rolloutRestart(ctx: RunContext, selector: string, namespace: string): Promise<string[]>;
  /** restore.scaleDown: matching Deployments/StatefulSets to zero (waits for their pods to go); returns the recorded counts. */
  scaleDown(ctx: RunContext, selector: string, namespace: string): Promise<ScaledWorkload[]>;
  scaleBack(ctx: RunContext, scaled: readonly ScaledWorkload[]): Promise<void>;
}

export interface ScaledWorkload {
  readonly kind: 'Deployment' | 'StatefulSet';
  readonly namespace: string;
  readonly name: string;
  /** spec.replicas before the restore: what it is scaled back to. */
  readonly replicas: number;
}

let ops: ClusterOps | undefined;
export function setClusterOps(o: ClusterOps): void {
  ops = o;
}

export function clusterOps(): ClusterOps {
  if (!ops) throw new SafeholdError('this operation needs the Kubernetes API, which this runner build does not have');
  return ops;
}

/** The commands that bring the workloads back by hand (a failed restore leaves them at zero on purpose). Pure. */
export function scaleBackCommands(scaled: readonly ScaledWorkload[]): string[] {
  return scaled.map((w) => `kubectl -n ${w.namespace} scale ${w.kind.toLowerCase()}/${w.name} --replicas=${w.replicas}`);
}
