// The runner's configuration as a ConfigMap: the validated values, canonical JSON, references to Secrets only.
import { k8s } from 'cdk8s-plus-27';
import { Construct } from 'constructs';
import { CONFIG_FILE } from '../contract/layout.js';
import { runnerConfigJson } from '../contract/config.js';
import type { Values } from '../values/schema.js';
import { standardLabels, type BackupSetNames } from './names.js';

export interface RunnerConfigProps {
  readonly values: Values;
  readonly names: BackupSetNames;
}

export class RunnerConfig extends Construct {
  constructor(scope: Construct, id: string, props: RunnerConfigProps) {
    super(scope, id);
    const { names } = props;
    new k8s.KubeConfigMap(this, 'Resource', {
      metadata: { name: names.config, namespace: names.namespace, labels: standardLabels(names, 'config') },
      data: { [CONFIG_FILE]: runnerConfigJson(props.values) },
    });
    // The maintenance CronJob may run in another namespace: it gets its own copy there.
    if (props.values.repository.protection && names.maintenanceNamespace !== names.namespace) {
      new k8s.KubeConfigMap(this, 'Maintenance', {
        metadata: { name: names.config, namespace: names.maintenanceNamespace, labels: standardLabels(names, 'config') },
        data: { [CONFIG_FILE]: runnerConfigJson(props.values) },
      });
    }
  }
}
