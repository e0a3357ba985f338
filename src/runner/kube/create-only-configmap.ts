// In a cluster a create-only record is a ConfigMap created with POST only: the API server answers a second create
// with 409. Rewrites are a PUT and removals a DELETE on the version read (409 Conflict when it changed meanwhile).
import { SafeholdError } from '../../errors.js';
import type { CreateOnly } from '../requests/create-only.js';
import { NamedConfigMap } from './configmap-ref.js';
import { deleteObject, kubeClient, KubeError } from './client.js';

export class CreateOnlyConfigMap<T extends object> extends NamedConfigMap implements CreateOnly<T> {
  async create(r: T, unreadable: T): Promise<T | undefined> {
    try {
      await kubeClient().create({
        ...this.ref(),
        metadata: {
          name: this.name,
          namespace: this.namespace,
          labels: { 'app.kubernetes.io/managed-by': 'safehold', 'app.kubernetes.io/component': 'claim' },
        },
        data: { ...r },
      });
      return undefined;
    } catch (e) {
      if (!(e instanceof KubeError && e.code === 409)) throw e;
      return (await this.read()) ?? unreadable;
    }
  }

  async read(): Promise<T | undefined> {
    const cm = await kubeClient().get(this.ref());
    return cm ? ((cm.data ?? {}) as T) : undefined;
  }

  async replace(r: T, mine: (cur: T) => boolean, who: string): Promise<void> {
    const client = kubeClient();
    const cm = await client.get(this.ref());
    if (!cm || !mine((cm.data ?? {}) as T)) throw new SafeholdError(`${this.where} is no longer held by ${who}`);
    // Only what the record is: client-node serializes the body through its models (dates would need Date objects).
    const { name, namespace, labels, resourceVersion } = cm.metadata ?? {};
    await client.replace({ apiVersion: 'v1', kind: 'ConfigMap', metadata: { name, namespace, labels, resourceVersion }, data: { ...r } });
  }

  async remove(which: (cur: T) => boolean): Promise<boolean> {
    const client = kubeClient();
    const cm = await client.get(this.ref());
    if (!cm || !which((cm.data ?? {}) as T)) return false;
    await deleteObject(client, this.ref(), { resourceVersion: cm.metadata?.resourceVersion });
    return true;
  }
}
