// Seed 000, Astarte: the CA secret, the Astarte CR and the AstarteDefaultIngress CR, backed up through the
// API and restored in order — the ingress only once the Astarte CR reports Ready.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startFakeKube, type FakeKube } from '../support/fake-kube.js';
import { tmpDir } from '../support/env.js';
import { expectExit, runner, s3Here, setSection, synth, valuesFile } from './harness.js';

const ASTARTE_V = 'api.astarte-platform.org/v1alpha2';
const ADI_V = 'ingress.astarte-platform.org/v1alpha1';

let fake: FakeKube;
let kubeconfig: string;
beforeAll(async () => {
  fake = await startFakeKube({
    dir: await tmpDir('kube'),
    namespaces: ['astarte'],
    types: [
      { group: 'api.astarte-platform.org', version: 'v1alpha2', kind: 'Astarte', plural: 'astartes', namespaced: true },
      { group: 'ingress.astarte-platform.org', version: 'v1alpha1', kind: 'AstarteDefaultIngress', plural: 'astartedefaultingresses', namespaced: true },
    ],
  });
  kubeconfig = process.env.KUBECONFIG!;
  // The operator: a (re)created Astarte is Ready 1.5 s later.
  fake.readyAfter(ASTARTE_V, 'Astarte', 1500);
});
afterAll(() => fake.stop());

const ca = {
  apiVersion: 'v1',
  kind: 'Secret',
  metadata: { name: 'astarte-devices-ca', namespace: 'astarte' },
  type: 'kubernetes.io/tls',
  data: {
    'tls.crt': Buffer.from('-----BEGIN CERTIFICATE-----').toString('base64'),
    'tls.key': Buffer.from('-----BEGIN EC PRIVATE KEY-----').toString('base64'),
  },
};
const astarte = {
  apiVersion: ASTARTE_V,
  kind: 'Astarte',
  metadata: {
    name: 'astarte',
    namespace: 'astarte',
    annotations: { 'argocd.argoproj.io/tracking-id': 'astarte:api.astarte-platform.org/Astarte:astarte/astarte' },
  },
  spec: {
    version: '1.2.0',
    astarteInstanceID: 'prod1',
    api: { host: 'api.astarte.example.com' },
    cassandra: { deploy: false, nodes: 'scylla.db:9042' },
    vernemq: { host: 'broker.astarte.example.com' },
  },
  status: { health: 'green', conditions: [{ type: 'Ready', status: 'True' }] },
};
const adi = {
  apiVersion: ADI_V,
  kind: 'AstarteDefaultIngress',
  metadata: { name: 'adi', namespace: 'astarte' },
  spec: { astarte: 'astarte', api: { exposeHousekeeping: true }, dashboard: { deploy: true } },
};

describe('Astarte workflow (seed 000)', () => {
  it('backs up the three objects and restores them in order after the instance was deleted', async () => {
    for (const o of [ca, astarte, adi]) fake.seed(o);

    const day1 = await synth(valuesFile('astarte.yaml'));
    const prefix = `astarte-${process.pid}`;
    s3Here(day1.config, prefix);
    const cron = await runner(day1.config, kubeconfig);
    fake.enforceRbac(day1.rbac);
    expectExit(await cron.job(day1.args('backup')), 0);

    // Disaster: the Astarte instance is deleted with its CA secret.
    fake.enforceRbac(undefined);
    fake.remove('v1', 'Secret', 'astarte', 'astarte-devices-ca');
    fake.remove(ASTARTE_V, 'Astarte', 'astarte', 'astarte');
    fake.remove(ADI_V, 'AstarteDefaultIngress', 'astarte', 'adi');

    // The restore pull request: `restore: {snapshot: latest}` in the values, synthesized and synced.
    const pr = await synth(valuesFile('astarte.yaml'), setSection('restore', { snapshot: 'latest' }));
    s3Here(pr.config, prefix);
    const job = await runner(pr.config, kubeconfig);
    fake.enforceRbac(pr.rbac);
    const first = fake.events.length;
    const r = await job.job(pr.args('restore'));
    expectExit(r, 0);
    expect(r.stdout).toMatch(/wait until each Astarte reports Ready=True \(timeout 30m\)/);

    const ev = fake.events.slice(first);
    const seq = (verb: string, kind: string, detail?: string) => ev.find((e) => e.verb === verb && e.kind === kind && (!detail || e.detail === detail))!;
    expect(seq('create', 'Secret').seq).toBeLessThan(seq('create', 'Astarte').seq);
    const ready = seq('status', 'Astarte', 'Ready=True');
    const ingress = seq('create', 'AstarteDefaultIngress');
    expect(ingress.seq).toBeGreaterThan(ready.seq);
    expect(ingress.at - seq('create', 'Astarte').at).toBeGreaterThanOrEqual(1400);

    // Objects compared: what the user wrote, not what the server or Argo CD added.
    expect(fake.object('v1', 'Secret', 'astarte', 'astarte-devices-ca')).toMatchObject({ type: ca.type, data: ca.data });
    const back = fake.object(ASTARTE_V, 'Astarte', 'astarte', 'astarte')!;
    expect(back.spec).toEqual(astarte.spec);
    expect(back.metadata.annotations).toBeUndefined();
    expect(fake.object(ADI_V, 'AstarteDefaultIngress', 'astarte', 'adi')!.spec).toEqual(adi.spec);

    // Recorded in the namespace: syncing the same request again does nothing.
    expect(Object.keys(fake.object('v1', 'ConfigMap', 'astarte', 'astarte-prod1-safehold-ledger')!.data)).toHaveLength(1);
    const again = await job.job(pr.args('restore'));
    expectExit(again, 3);
    expect(again.stderr).toMatch(/already ran/);
  });
});
