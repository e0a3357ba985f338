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
      { ports: [{ protocol: 'UDP', port: 53 }, { protocol: 'TCP', port: 53 }] },
      { ports: [{ protocol: 'TCP', port: 443 }, { protocol: 'TCP', port: 5432 }] },
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
});
