// Optional NetworkPolicy for the runner's pods: nothing may connect in; out only DNS and the TCP ports the set uses.
import { allHooks } from '../values/rules.js';
import { k8s } from 'cdk8s-plus-27';
import { Construct } from 'constructs';
import type { Values } from '../values/schema.js';
import { rbacRules, requestRbacRules } from './rbac-rules.js';
import { selectorLabels, standardLabels, type SetIdentity } from './names.js';

/** The API server as pods reach it: the Service port and the usual endpoint port. */
const API_SERVER_PORTS = [443, 6443];

function urlPort(url: string): number {
  const u = new URL(url);
  return u.port ? Number(u.port) : u.protocol === 'https:' ? 443 : 80;
}

/** Where the runner connects, by destination name (a component, repository, pushgateway, kubernetes-api, or an unnamed kind). */
export function egressDestinations(v: Values): Array<{ name: string; ports: number[] }> {
  const out = new Map<string, Set<number>>();
  const add = (name: string, ...ports: number[]) => ports.forEach((p) => out.set(name, (out.get(name) ?? new Set()).add(p)));
  for (const c of v.components) if ('port' in c) add(c.name, c.port);
  for (const [name, t] of Object.entries(v.drill?.targets ?? {})) if (t.port && !t.sidecar) add(name, t.port);
  if (v.repository.s3) add('repository', urlPort(v.repository.s3.endpoint));
  // A clone reads the source application's repository (read-only keys).
  if (v.clone?.from.repository?.s3) add('repository', urlPort(v.clone.from.repository.s3.endpoint));
  for (const c of v.copies ?? []) if (c.repository.s3) add('copies', urlPort(c.repository.s3.endpoint));
  // No static keys: the identity provider's STS endpoint (HTTPS).
  if (v.repository.s3 && !v.repository.s3.credentials) add('identity', 443);
  if (v.monitoring.enabled && v.monitoring.pushgateway) add('pushgateway', urlPort(v.monitoring.pushgateway));
  for (const h of allHooks(v)) if (h.type === 'http') add('http-hooks', urlPort(h.url));
  if (rbacRules(v).size > 0 || requestRbacRules(v).length > 0) add('kubernetes-api', ...API_SERVER_PORTS);
  return [...out].map(([name, ports]) => ({ name, ports: [...ports].sort((a, b) => a - b) }));
}

/**
 * TCP ports the runner connects to, or undefined when they cannot be known (a command hook may
 * talk to anything): then every TCP port is allowed.
 */
export function egressTcpPorts(v: Values): number[] | undefined {
  if (allHooks(v).some((h) => h.type === 'command')) return undefined;
  return [...new Set(egressDestinations(v).flatMap((d) => d.ports))].sort((a, b) => a - b);
}

const tcp = (ports: readonly number[]): k8s.NetworkPolicyPort[] => ports.map((port) => ({ protocol: 'TCP', port: k8s.IntOrString.fromNumber(port) }));

/**
 * The egress rules: DNS; one rule per destination written with `to:` peers (its ports, or the pod ports written);
 * one rule for all others, with any target ports written in place of the Service ports.
 */
export function egressRules(v: Values): k8s.NetworkPolicyEgressRule[] {
  const np = typeof v.networkPolicy === 'object' ? v.networkPolicy : undefined;
  const written = np?.destinations ?? {};
  const dnsPort = np?.dnsPort ?? (v.platform === 'openshift' ? 5353 : 53);
  const dns = {
    to: np?.dnsTo as k8s.NetworkPolicyPeer[] | undefined,
    ports: ['UDP', 'TCP'].map((protocol) => ({ protocol, port: k8s.IntOrString.fromNumber(dnsPort) })),
  };
  const own: k8s.NetworkPolicyEgressRule[] = [];
  const rest = new Set<number>();
  for (const d of egressDestinations(v)) {
    const w = written[d.name];
    const ports = w?.ports ?? d.ports;
    if (w?.to) own.push({ to: w.to as k8s.NetworkPolicyPeer[], ports: tcp([...ports].sort((a, b) => a - b)) });
    else ports.forEach((p) => rest.add(p));
  }
  const anyTcp = allHooks(v).some((h) => h.type === 'command');
  const others = anyTcp ? [{ ports: [{ protocol: 'TCP' }] }] : rest.size ? [{ ports: tcp([...rest].sort((a, b) => a - b)) }] : [];
  return [dns, ...others, ...own];
}

export interface RunnerNetworkPolicyProps {
  /** The set's prefix (labels, and the pods the policy selects) and namespace. */
  readonly set: SetIdentity;
  /** The policy's name (backupSetNames: `<prefix>-safehold`). */
  readonly name: string;
  /** Where the runner may connect (egressRules); nothing may connect in. */
  readonly egress: readonly k8s.NetworkPolicyEgressRule[];
}

export class RunnerNetworkPolicy extends Construct {
  constructor(scope: Construct, id: string, props: RunnerNetworkPolicyProps) {
    super(scope, id);
    new k8s.KubeNetworkPolicy(this, 'Resource', {
      metadata: { name: props.name, namespace: props.set.namespace, labels: standardLabels(props.set, 'network-policy') },
      spec: {
        podSelector: { matchLabels: selectorLabels(props.set) },
        // Both types listed with no ingress rule: no connection into the runner (or a drill's scratch server).
        policyTypes: ['Ingress', 'Egress'],
        egress: [...props.egress],
      },
    });
  }
}
