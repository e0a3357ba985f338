// `kubectl rollout restart` for every Deployment and StatefulSet matching a selector (Monoskope's roll-through).
import type { ClusterOps } from '../cluster.js';
import { kubeClient } from './client.js';

export const RESTARTED_AT = 'kubectl.kubernetes.io/restartedAt';

/** The strategic merge patch kubectl sends: a new pod template annotation makes the controller roll. Pure. */
export function restartPatch(now: Date): Record<string, unknown> {
  return { spec: { template: { metadata: { annotations: { [RESTARTED_AT]: now.toISOString() } } } } };
}

export const clusterOps: Pick<ClusterOps, 'rolloutRestart'> = {
  async rolloutRestart(ctx, selector, namespace) {
    const client = kubeClient();
    const restarted: string[] = [];
    for (const kind of ['Deployment', 'StatefulSet']) {
      for (const o of await client.list('apps/v1', kind, namespace, selector)) {
        const name = o.metadata!.name!;
        await client.patch({ apiVersion: 'apps/v1', kind, namespace, name }, restartPatch(ctx.now()), 'strategic');
        restarted.push(`${kind}/${name}`);
      }
    }
    if (!restarted.length) ctx.log.warn('rollout restart: nothing matches the selector', { selector, namespace });
    return restarted;
  },
};
