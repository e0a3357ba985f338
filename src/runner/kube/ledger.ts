// In a cluster, finished one-shot requests are recorded in a ConfigMap of the target namespace (data key = request id).
import { ledgerConfigMapName } from '../../contract/requests.js';
import type { RunContext } from '../context.js';
import type { Ledger, LedgerEntry } from '../ledger.js';
import { NamedConfigMap } from './configmap-ref.js';
import { kubeClient, KubeError } from './client.js';

export class ConfigMapLedger extends NamedConfigMap implements Ledger {
  async get(id: string): Promise<LedgerEntry | undefined> {
    const cm = await kubeClient().get(this.ref());
    const text = (cm?.data as Record<string, string> | undefined)?.[id];
    return text ? (JSON.parse(text) as LedgerEntry) : undefined;
  }

  /** Creates the ConfigMap on first use; afterwards adds one key with a merge patch (other keys untouched). */
  async record(entry: LedgerEntry): Promise<void> {
    const client = kubeClient();
    const data = { [entry.id]: JSON.stringify(entry) };
    if (!(await client.get(this.ref()))) {
      try {
        await client.create({
          ...this.ref(),
          metadata: {
            name: this.name,
            namespace: this.namespace,
            labels: { 'app.kubernetes.io/managed-by': 'safehold', 'app.kubernetes.io/component': 'ledger' },
          },
          data,
        });
        return;
      } catch (e) {
        if (!(e instanceof KubeError && e.reason === 'AlreadyExists')) throw e;
      }
    }
    await client.patch(this.ref(), { data }, 'merge');
  }
}

export const configMapLedger = (ctx: RunContext): Ledger => new ConfigMapLedger(ctx.values.namespace, ledgerConfigMapName(ctx.values));
