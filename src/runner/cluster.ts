// Operations on the cluster the runner may need (rollout restart); provided by the kubernetes module.
import { SafeholdError } from '../errors.js';
import type { RunContext } from './context.js';

export interface ClusterOps {
  /** Adds the restartedAt annotation to every Deployment and StatefulSet matching the selector; returns their names. */
  rolloutRestart(ctx: RunContext, selector: string, namespace: string): Promise<string[]>;
}

let ops: ClusterOps | undefined;
export function setClusterOps(o: ClusterOps): void {
  ops = o;
}

export function clusterOps(): ClusterOps {
  if (!ops) throw new SafeholdError('this operation needs the Kubernetes API, which this runner build does not have');
  return ops;
}
