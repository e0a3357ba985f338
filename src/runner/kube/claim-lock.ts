// In a cluster the claim is a ConfigMap created with POST only: the API server answers a second create with 409.
import { claimConfigMapName } from '../../contract/requests.js';
import type { RunContext } from '../context.js';
import type { ClaimLock, LockHolder } from '../requests/lock.js';
import { NamedConfigMap } from './configmap-ref.js';
import { deleteObject, kubeClient, KubeError } from './client.js';

export class ConfigMapClaimLock extends NamedConfigMap implements ClaimLock {
  async acquire(h: LockHolder): Promise<LockHolder | undefined> {
    try {
      await kubeClient().create({
        ...this.ref(),
        metadata: {
          name: this.name,
          namespace: this.namespace,
          labels: { 'app.kubernetes.io/managed-by': 'safehold', 'app.kubernetes.io/component': 'claim' },
        },
        data: { ...h },
      });
      return undefined;
    } catch (e) {
      if (!(e instanceof KubeError && e.code === 409)) throw e;
      return (await this.read()) ?? { ...h, holder: 'unknown (claim deleted meanwhile; retry)' };
    }
  }

  async read(): Promise<LockHolder | undefined> {
    const cm = await kubeClient().get(this.ref());
    return cm ? ((cm.data ?? {}) as unknown as LockHolder) : undefined;
  }

  /** Deletes only the object that was read, with a resourceVersion precondition (a new claim is never removed). */
  async release(h: { request: string; holder?: string }): Promise<boolean> {
    const client = kubeClient();
    const cm = await client.get(this.ref());
    const cur = cm?.data as unknown as LockHolder | undefined;
    if (!cm || !cur || cur.request !== h.request || (h.holder && cur.holder !== h.holder)) return false;
    await deleteObject(client, this.ref(), { resourceVersion: cm.metadata?.resourceVersion });
    return true;
  }
}

export const configMapClaimLock = (ctx: RunContext): ClaimLock => new ConfigMapClaimLock(ctx.values.namespace, claimConfigMapName(ctx.values));
