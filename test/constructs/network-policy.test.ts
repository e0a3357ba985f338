import { describe, expect, it } from 'vitest';
import { egressTcpPorts } from '../../src/constructs/network-policy.js';
import { makeValues, objectsOf, one, synth } from './_fixtures.js';

describe('RunnerNetworkPolicy', () => {
  it('is emitted only when asked for', () => {
    expect(objectsOf(synth(makeValues()), 'NetworkPolicy')).toEqual([]);
    expect(objectsOf(synth(makeValues({ networkPolicy: true })), 'NetworkPolicy')).toHaveLength(1);
  });

  it('allows nothing in, and out only DNS and the ports of the databases and the repository', () => {
    const np = one(synth(makeValues({ networkPolicy: true })), 'NetworkPolicy');
    expect(np.spec.podSelector).toEqual({ matchLabels: { 'app.kubernetes.io/instance': 'shop', 'app.kubernetes.io/name': 'safehold' } });
    expect(np.spec.policyTypes).toEqual(['Ingress', 'Egress']);
    expect(np.spec.ingress).toBeUndefined();
    expect(np.spec.egress).toEqual([
      {
        ports: [
          { protocol: 'UDP', port: 53 },
          { protocol: 'TCP', port: 53 },
        ],
      },
      {
        ports: [
          { protocol: 'TCP', port: 443 },
          { protocol: 'TCP', port: 5432 },
        ],
      },
    ]);
  });

  it('adds the Pushgateway, HTTP hooks and the API server when used', () => {
    const v = makeValues({
      networkPolicy: true,
      monitoring: { pushgateway: 'http://pgw.monitoring:9091' },
      hooks: { postBackup: [{ name: 'ping', type: 'http', url: 'http://hc.example.com:8080/ping' }] },
      restore: {},
    });
    expect(egressTcpPorts(v)).toEqual([443, 5432, 6443, 8080, 9091]);
  });

  it('allows every TCP port when a command hook may connect anywhere', () => {
    const v = makeValues({ networkPolicy: true, hooks: { preBackup: [{ name: 'x', type: 'command', command: ['true'] }] } });
    expect(egressTcpPorts(v)).toBeUndefined();
    expect(one(synth(v), 'NetworkPolicy').spec.egress[1]).toEqual({ ports: [{ protocol: 'TCP' }] });
  });

  it('gives destinations written with to: peers their own rule, with the pod port in place of the Service port', () => {
    const v = makeValues({
      networkPolicy: {
        dnsPort: 5353,
        dnsTo: [{ namespaceSelector: { matchLabels: { 'kubernetes.io/metadata.name': 'kube-system' } } }],
        destinations: {
          repository: { to: [{ ipBlock: { cidr: '10.20.0.0/16' } }], ports: [9000] },
          db: { to: [{ namespaceSelector: { matchLabels: { 'kubernetes.io/metadata.name': 'db' } }, podSelector: { matchLabels: { app: 'postgres' } } }] },
        },
      },
      monitoring: { pushgateway: 'http://pgw.monitoring:9091' },
    });
    expect(one(synth(v), 'NetworkPolicy').spec.egress).toEqual([
      {
        to: [{ namespaceSelector: { matchLabels: { 'kubernetes.io/metadata.name': 'kube-system' } } }],
        ports: [
          { protocol: 'UDP', port: 5353 },
          { protocol: 'TCP', port: 5353 },
        ],
      },
      { ports: [{ protocol: 'TCP', port: 9091 }] },
      {
        to: [{ namespaceSelector: { matchLabels: { 'kubernetes.io/metadata.name': 'db' } }, podSelector: { matchLabels: { app: 'postgres' } } }],
        ports: [{ protocol: 'TCP', port: 5432 }],
      },
      { to: [{ ipBlock: { cidr: '10.20.0.0/16' } }], ports: [{ protocol: 'TCP', port: 9000 }] },
    ]);
  });

  it('replaces a Service port by the target port written without peers, and allows STS when S3 has no static keys', () => {
    const v = makeValues({
      networkPolicy: { destinations: { repository: { ports: [9000] } } },
      repository: { s3: { endpoint: 'https://minio.storage:443', bucket: 'backups' }, password: { secretName: 'shop-restic' } },
    });
    expect(one(synth(v), 'NetworkPolicy').spec.egress[1]).toEqual({ ports: [443, 5432, 9000].map((port) => ({ protocol: 'TCP', port })) });
    expect(objectsOf(synth(makeValues({ networkPolicy: { enabled: false } })), 'NetworkPolicy')).toEqual([]);
  });
});
