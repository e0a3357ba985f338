// restore.scaleDown: the application's Deployments and StatefulSets at zero while its data is replaced, then back.
import { SafeholdError } from '../../errors.js';
import { scaleBackCommands, type ScaledWorkload } from '../cluster.js';
import type { RunContext } from '../context.js';
import { kubeClient } from './client.js';

/** The merge patch that sets the replica count. Pure. */
export function replicasPatch(replicas: number): Record<string, unknown> {
  return { spec: { replicas } };
}

const KINDS = ['Deployment', 'StatefulSet'] as const;

/**
 * Scales every matching Deployment and StatefulSet to zero and waits until none has a pod left (status.replicas 0),
 * at most `waitSeconds`; returns what it scaled with the recorded counts (already-zero workloads are not touched).
 */
export async function scaleDown(ctx: RunContext, selector: string, namespace: string, waitSeconds = 300): Promise<ScaledWorkload[]> {
  const client = kubeClient();
  const scaled: ScaledWorkload[] = [];
  for (const kind of KINDS) {
    for (const o of await client.list('apps/v1', kind, namespace, selector)) {
      const replicas = Number((o.spec as { replicas?: number } | undefined)?.replicas ?? 1);
      if (replicas === 0) continue;
      const w = { kind, namespace, name: o.metadata!.name!, replicas };
      await client.patch({ apiVersion: 'apps/v1', kind, namespace, name: w.name }, replicasPatch(0));
      scaled.push(w);
      ctx.log.info('scaled to zero for the restore', { workload: `${kind}/${w.name}`, namespace, replicas, scaleBack: scaleBackCommands([w])[0] });
    }
  }
  if (!scaled.length) ctx.log.warn('restore.scaleDown: nothing matches the selector', { selector, namespace });
  const until = Date.now() + waitSeconds * 1000;
  for (const w of scaled) {
    for (;;) {
      const o = await client.get({ apiVersion: 'apps/v1', kind: w.kind, namespace, name: w.name });
      const left = Number((o?.status as { replicas?: number } | undefined)?.replicas ?? 0);
      if (left === 0) break;
      if (Date.now() > until) {
        throw new SafeholdError(
          `${w.kind}/${w.name} still has ${left} pod(s) ${waitSeconds} s after it was scaled to zero; nothing was restored. Scale back with:\n  ${scaleBackCommands(scaled).join('\n  ')}`,
        );
      }
      await new Promise((r) => setTimeout(r, 1000));
    }
  }
  return scaled;
}

/** Scales each workload back to its recorded replica count. */
export async function scaleBack(ctx: RunContext, scaled: readonly ScaledWorkload[]): Promise<void> {
  const client = kubeClient();
  for (const w of scaled) {
    await client.patch({ apiVersion: 'apps/v1', kind: w.kind, namespace: w.namespace, name: w.name }, replicasPatch(w.replicas));
    ctx.log.info('scaled back after the restore', { workload: `${w.kind}/${w.name}`, namespace: w.namespace, replicas: w.replicas });
  }
}
