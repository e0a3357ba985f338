import { Yaml } from 'cdk8s';
import { describe, expect, it } from 'vitest';
import { manifestProblems } from '../../src/constructs/backup-set-chart.js';
import { makeValues, objectsOf, one, synth, type Obj } from './_fixtures.js';

const components = [
  { name: 'db', type: 'postgres', host: 'pg.team.svc', database: 'shop', credentials: { secretName: 'shop-db' } },
  { name: 'cache', type: 'redis', host: 'redis.team.svc' },
  { name: 'orders', type: 'mysql', host: 'mysql.team.svc', database: 'orders', credentials: { secretName: 'orders-db' } },
  { name: 'files', type: 'files', paths: ['/data'], volumes: [{ claimName: 'data', mountPath: '/data' }] },
];

describe('DrillCronJob', () => {
  const values = makeValues({
    components,
    timeZone: 'Europe/Berlin',
    drill: {
      schedule: '0 5 * * 0',
      timeout: '3h',
      targets: { db: { sidecar: { image: 'postgres:16' } }, cache: { sidecar: { image: 'redis:7' } }, orders: { sidecar: { image: 'mariadb:11' } } },
      checks: [{ component: 'db', table: 'orders', minRows: 1 }],
    },
  });
  const drill = one(synth(values), 'CronJob', 'shop-drill');
  const pod = drill.spec.jobTemplate.spec.template.spec;

  it('matches the golden manifest', async () => {
    await expect(Yaml.stringify(drill)).toMatchFileSnapshot('./__snapshots__/drill-cron-job.k8s.yaml');
  });

  it('exists only with a drill', () => {
    expect(objectsOf(synth(makeValues()), 'CronJob').map((c) => c.metadata.name)).toEqual(['shop-backup', 'shop-verify']);
  });

  it('runs `drill --config` on its own schedule and timeout, once, never overlapping', () => {
    expect(drill.spec).toMatchObject({ schedule: '0 5 * * 0', timeZone: 'Europe/Berlin', concurrencyPolicy: 'Forbid', startingDeadlineSeconds: 3600 });
    expect(drill.spec.jobTemplate.spec).toMatchObject({ backoffLimit: 0, activeDeadlineSeconds: 3 * 3600 });
    expect(pod.containers[0].args).toEqual(['drill', '--config', '/etc/safehold/config.json']);
  });

  it('runs each scratch server as a restricted sidecar listening on loopback only, with emptyDirs to write to', () => {
    expect(pod.containers.map((c: Obj) => c.name)).toEqual(['safehold', 'drill-cache', 'drill-db', 'drill-orders']);
    expect(pod.shareProcessNamespace).toBe(true);
    const byName = Object.fromEntries(pod.containers.map((c: Obj) => [c.name, c]));
    expect(byName['drill-db'].args).toEqual(['-c', 'listen_addresses=127.0.0.1']);
    expect(byName['drill-cache'].args).toEqual(['redis-server', '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no']);
    expect(byName['drill-orders'].args).toEqual(['--bind-address=127.0.0.1']);
    for (const c of pod.containers.slice(1)) {
      expect(c.securityContext).toMatchObject({ readOnlyRootFilesystem: true, allowPrivilegeEscalation: false, capabilities: { drop: ['ALL'] } });
      for (const m of c.volumeMounts) expect(pod.volumes).toContainEqual({ name: m.name, emptyDir: {} });
    }
    expect(byName['drill-db'].volumeMounts.map((m: Obj) => m.mountPath)).toEqual(['/var/lib/postgresql', '/var/run/postgresql', '/tmp']);
  });

  it('never mounts production volumes', () => {
    expect(pod.volumes.some((v: Obj) => v.persistentVolumeClaim)).toBe(false);
  });

  it('refuses a sidecar for a component that has no server', () => {
    const v = makeValues({ components, drill: { schedule: '0 5 * * 0', targets: { files: { sidecar: { image: 'busybox' } } } } });
    expect(manifestProblems(v)).toEqual([{ path: ['drill', 'targets', 'files', 'sidecar'], message: expect.stringContaining('not files') }]);
  });
});
