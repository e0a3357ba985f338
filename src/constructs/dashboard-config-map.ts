// The set's Grafana dashboard as a ConfigMap that the Grafana sidecar (kube-prometheus-stack) picks up by its label.
import { createHash } from 'node:crypto';
import { k8s } from 'cdk8s-plus-27';
import { Construct } from 'constructs';
import { safeholdDashboard } from './dashboard.js';
import { standardLabels, type BackupSetNames, type SetIdentity } from './names.js';
import type { Values } from '../values/schema.js';

export interface DashboardConfigMapProps {
  /** The set's prefix (labels) and namespace. */
  readonly set: SetIdentity;
  /** The ConfigMap's name (`<prefix>-safehold-dashboard`). */
  readonly name: string;
  /** The dashboard's file name in the ConfigMap (`<prefix>.json`). */
  readonly fileName: string;
  /** The dashboard JSON (setDashboardText). */
  readonly dashboard: string;
  /**
   * The label the Grafana sidecar selects (kube-prometheus-stack: grafana.sidecar.dashboards.label).
   * @default { grafana_dashboard: '1' }
   */
  readonly sidecarLabels?: Record<string, string>;
}

/** The set's dashboard as shipped: the ConfigMap's data and dist/dashboards/<name>.json hold exactly these bytes. */
export function setDashboardText(v: Values, names: BackupSetNames): string {
  // A stable uid per set (Grafana allows 40 characters): one dashboard per set, never two sets on one uid.
  const uid = `safehold-${createHash('sha256').update(`${v.namespace}/${names.prefix}`).digest('hex').slice(0, 16)}`;
  return `${JSON.stringify(safeholdDashboard({ uid, title: `safehold ${v.namespace}/${names.prefix}`, namespace: v.namespace, app: v.name }), null, 2)}\n`;
}

export class DashboardConfigMap extends Construct {
  constructor(scope: Construct, id: string, props: DashboardConfigMapProps) {
    super(scope, id);
    new k8s.KubeConfigMap(this, 'Resource', {
      metadata: {
        name: props.name,
        namespace: props.set.namespace,
        labels: { ...(props.sidecarLabels ?? { grafana_dashboard: '1' }), ...standardLabels(props.set, 'dashboard') },
      },
      data: { [props.fileName]: props.dashboard },
    });
  }
}
