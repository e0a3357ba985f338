// The runner's configuration as a ConfigMap: the validated values, canonical JSON, references to Secrets only.
import { k8s } from 'cdk8s-plus-27';
import { Construct } from 'constructs';
import { CONFIG_FILE } from '../contract/layout.js';
import { runnerConfigJson } from '../contract/config.js';
import type { Values } from '../values/schema.js';
import { standardLabels, type SetIdentity } from './names.js';

export interface RunnerConfigProps {
  /** The set's prefix (labels) and namespace. */
  readonly set: SetIdentity;
  /** The ConfigMap's name (backupSetNames: `<prefix>-safehold-config`); the runner pods mount it. */
  readonly name: string;
  /** The runner config: the validated values (contract/config.ts), written as canonical JSON without emitted Secrets. */
  readonly config: Values;
  /**
   * Further namespaces that get the same ConfigMap (a maintenance CronJob running elsewhere).
   * @default - none
   */
  readonly alsoIn?: readonly string[];
}

export class RunnerConfig extends Construct {
  constructor(scope: Construct, id: string, props: RunnerConfigProps) {
    super(scope, id);
    const labels = standardLabels(props.set, 'config');
    const data = { [CONFIG_FILE]: runnerConfigJson(props.config) };
    new k8s.KubeConfigMap(this, 'Resource', { metadata: { name: props.name, namespace: props.set.namespace, labels }, data });
    for (const namespace of props.alsoIn ?? []) {
      if (namespace !== props.set.namespace) new k8s.KubeConfigMap(this, `Copy-${namespace}`, { metadata: { name: props.name, namespace, labels }, data });
    }
  }
}
