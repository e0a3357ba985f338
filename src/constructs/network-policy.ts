// Optional NetworkPolicy for the runner's pods: nothing may connect in; out only DNS and the TCP ports the set uses.
import { allHooks } from '../values/rules.js';
import { k8s } from 'cdk8s-plus-27';
import { Construct } from 'constructs';
import type { Values } from '../values/schema.js';
import { rbacRules, requestRbacRules } from './rbac-rules.js';
import { selectorLabels, standardLabels, type BackupSetNames } from './names.js';

/** The API server as pods reach it: the Service port and the usual endpoint port. */
const API_SERVER_PORTS = [443, 6443];

function urlPort(url: string): number {
  const u = new URL(url);
  return u.port ? Number(u.port) : u.protocol === 'https:' ? 443 : 80;
}

/**
 * TCP ports the runner connects to, or undefined when they cannot be known (a command hook may
 * talk to anything): then every TCP port is allowed.
 */
export function egressTcpPorts(v: Values): number[] | undefined {
  const hooks = allHooks(v);
  if (hooks.some((h) => h.type === 'command')) return undefined;
  const ports = new Set<number>();
  for (const c of v.components) if ('port' in c) ports.add(c.port);
  for (const t of Object.values(v.drill?.targets ?? {})) if (t.port && !t.sidecar) ports.add(t.port);
  if (v.repository.s3) ports.add(urlPort(v.repository.s3.endpoint));
  for (const c of v.copies ?? []) if (c.repository.s3) ports.add(urlPort(c.repository.s3.endpoint));
  if (v.monitoring.enabled && v.monitoring.pushgateway) ports.add(urlPort(v.monitoring.pushgateway));
  for (const h of hooks) if (h.type === 'http') ports.add(urlPort(h.url));
  if (rbacRules(v).size > 0 || requestRbacRules(v).length > 0) API_SERVER_PORTS.forEach((p) => ports.add(p));
  return [...ports].sort((a, b) => a - b);
}

export interface RunnerNetworkPolicyProps {
  readonly values: Values;
  readonly names: BackupSetNames;
}

export class RunnerNetworkPolicy extends Construct {
  constructor(scope: Construct, id: string, props: RunnerNetworkPolicyProps) {
    super(scope, id);
    const { names } = props;
    const tcp = egressTcpPorts(props.values);
    const dns: k8s.NetworkPolicyPort[] = ['UDP', 'TCP'].map((protocol) => ({ protocol, port: k8s.IntOrString.fromNumber(53) }));
    new k8s.KubeNetworkPolicy(this, 'Resource', {
      metadata: { name: names.runner, namespace: names.namespace, labels: standardLabels(names, 'network-policy') },
      spec: {
        podSelector: { matchLabels: selectorLabels(names) },
        // Both types listed with no ingress rule: no connection into the runner (or a drill's scratch server).
        policyTypes: ['Ingress', 'Egress'],
        egress: [
          { ports: dns },
          { ports: tcp ? tcp.map((port) => ({ protocol: 'TCP', port: k8s.IntOrString.fromNumber(port) })) : [{ protocol: 'TCP' }] },
        ],
      },
    });
  }
}
