import { describe, expect, it } from 'vitest';
import { GRACE_ENV, graceSeconds, startupSeconds, WORKLOAD_ENV, workSeconds } from '../../src/contract/deadline.js';
import { CONFIG_DIR, PVC_REPO_MOUNT, RUNNER_UID, SCRATCH_DIR, SECRETS_DIR } from '../../src/contract/layout.js';
import { exampleValues, makeValues, one, podTemplates, synth, type Obj } from './_fixtures.js';
import { restrictedViolations } from './_restricted.js';

const filesComponent = {
  name: 'uploads',
  type: 'files',
  paths: ['/data/uploads'],
  volumes: [{ claimName: 'shop-uploads', mountPath: '/data/uploads' }],
};

function runner(template: Obj): Obj {
  return template.spec.containers.find((c: Obj) => c.name === 'safehold');
}

describe('runner pod template', () => {
  it('is restricted in every pod of every example and fixture', () => {
    const fixtures = [
      makeValues(),
      makeValues({ restore: {}, drill: { schedule: '0 5 * * 0', targets: { db: { sidecar: { image: 'postgres:16' } } } } }),
      makeValues({ components: [BASE_DB, filesComponent], restore: {} }),
    ];
    const all = [...exampleValues().map((e) => e.values), ...fixtures];
    let pods = 0;
    for (const v of all) {
      for (const { where, template } of podTemplates(synth(v))) {
        pods++;
        expect(restrictedViolations(template), where).toEqual([]);
      }
    }
    expect(pods).toBeGreaterThan(10);
  });

  it('runs as the image user with a read-only root and scratch space only in /tmp', () => {
    const t = one(synth(makeValues()), 'CronJob', 'shop-backup').spec.jobTemplate.spec.template;
    expect(t.spec.securityContext).toMatchObject({
      runAsNonRoot: true,
      runAsUser: RUNNER_UID,
      runAsGroup: RUNNER_UID,
      fsGroup: RUNNER_UID,
      seccompProfile: { type: 'RuntimeDefault' },
    });
    const c = runner(t);
    expect(c.securityContext).toMatchObject({ allowPrivilegeEscalation: false, readOnlyRootFilesystem: true, capabilities: { drop: ['ALL'] } });
    expect(c.imagePullPolicy).toBe('IfNotPresent');
    expect(t.spec.restartPolicy).toBe('Never');
    const scratch = t.spec.volumes.find((v: Obj) => v.name === 'scratch');
    expect(scratch).toEqual({ name: 'scratch', emptyDir: {} });
    expect(c.volumeMounts).toContainEqual({ name: 'scratch', mountPath: SCRATCH_DIR });
    expect(c.volumeMounts).toContainEqual({ name: 'config', mountPath: CONFIG_DIR, readOnly: true });
  });

  it('mounts one read-only volume per referenced Secret with exactly the keys needed, mode 0400', () => {
    const t = one(synth(makeValues()), 'CronJob', 'shop-backup').spec.jobTemplate.spec.template;
    const secretVolumes = t.spec.volumes.filter((v: Obj) => v.secret);
    expect(secretVolumes.map((v: Obj) => [v.secret.secretName, v.secret.items.map((i: Obj) => i.key), v.secret.defaultMode])).toEqual([
      ['backup-s3', ['AWS_ACCESS_KEY_ID', 'AWS_SECRET_ACCESS_KEY'], 0o400],
      ['shop-db', ['password', 'username'], 0o400],
      ['shop-restic', ['password'], 0o400],
    ]);
    for (const v of secretVolumes) {
      expect(runner(t).volumeMounts).toContainEqual({ name: v.name, mountPath: `${SECRETS_DIR}/${v.secret.secretName}`, readOnly: true });
    }
  });

  it('passes no secret through env or argv: env holds plain settings, args only the config path and request id', () => {
    for (const { values } of exampleValues()) {
      for (const { where, template } of podTemplates(synth(values))) {
        for (const c of template.spec.containers) {
          for (const e of c.env ?? []) {
            expect(e.valueFrom, `${where} ${c.name} env ${e.name}`).toBeUndefined();
            expect(PLAIN_ENV, `${where} ${c.name}`).toContain(e.name);
          }
          expect(c.envFrom, where).toBeUndefined();
        }
        expect(runner(template).args.slice(1, 3), where).toEqual(['--config', `${CONFIG_DIR}/config.json`]);
        expect(runner(template).args.slice(3), where).toEqual(
          runner(template).args.length > 3 ? ['--request', expect.stringMatching(/^(restore|drop)-[0-9a-f]{10}$/)] : [],
        );
      }
    }
  });

  it('each pod has the grace period the runner is told, and the runner stops before the Job deadline with room for start-up', () => {
    for (const { values } of exampleValues()) {
      for (const o of synth(values).filter((x) => x.kind === 'CronJob' || x.kind === 'Job')) {
        const job = o.kind === 'CronJob' ? o.spec.jobTemplate.spec : o.spec;
        const where = `${o.kind} ${o.metadata.name}`;
        const deadline = job.activeDeadlineSeconds as number;
        const env = Object.fromEntries((runner(job.template).env as Obj[]).map((e) => [e.name, e.value]));
        expect(job.template.spec.terminationGracePeriodSeconds, where).toBe(graceSeconds(deadline));
        expect(env[GRACE_ENV], where).toBe(String(graceSeconds(deadline)));
        // Pods are named <workload>-…: the next run recognises a killed pod's restic lock by it.
        expect(env[WORKLOAD_ENV], where).toBe(o.metadata.name);
        expect(workSeconds(deadline) + startupSeconds(deadline) + graceSeconds(deadline), where).toBeLessThanOrEqual(deadline);
        expect(startupSeconds(deadline), where).toBeGreaterThan(0);
      }
    }
  });

  it('mounts a token only in pods that call the API', () => {
    const plain = synth(makeValues());
    expect(one(plain, 'CronJob', 'shop-backup').spec.jobTemplate.spec.template.spec.automountServiceAccountToken).toBe(false);
    const restoring = synth(makeValues({ restore: {} }));
    expect(one(restoring, 'CronJob', 'shop-backup').spec.jobTemplate.spec.template.spec.automountServiceAccountToken).toBe(false);
    expect(one(restoring, 'Job').spec.template.spec.automountServiceAccountToken).toBe(true);
  });

  it('mounts a PVC repository at the contract path', () => {
    const objects = synth(makeValues({ repository: { pvc: { claimName: 'shop-repo' }, password: { secretName: 'shop-restic' } } }));
    const t = one(objects, 'CronJob', 'shop-backup').spec.jobTemplate.spec.template;
    expect(t.spec.volumes).toContainEqual({ name: 'repository', persistentVolumeClaim: { claimName: 'shop-repo' } });
    expect(runner(t).volumeMounts).toContainEqual({ name: 'repository', mountPath: PVC_REPO_MOUNT });
  });

  it('mounts files volumes as declared for backup, writable for restore, not at all for drills', () => {
    const objects = synth(
      makeValues({ components: [BASE_DB, filesComponent], restore: {}, drill: { schedule: '0 5 * * 0', targets: { db: { database: 'shop_drill' } } } }),
    );
    const mountOf = (t: Obj) => runner(t).volumeMounts.find((m: Obj) => m.mountPath === '/data/uploads');
    expect(mountOf(one(objects, 'CronJob', 'shop-backup').spec.jobTemplate.spec.template)).toMatchObject({ readOnly: true });
    expect(mountOf(one(objects, 'Job').spec.template)).toMatchObject({ readOnly: false });
    expect(mountOf(one(objects, 'CronJob', 'shop-drill').spec.jobTemplate.spec.template)).toBeUndefined();
  });
});

/** The only environment variables safehold writes into pods: settings, never credentials. */
const PLAIN_ENV = [
  'HOME',
  'SAFEHOLD_SECRETS_DIR',
  GRACE_ENV,
  WORKLOAD_ENV,
  'POSTGRES_HOST_AUTH_METHOD',
  'MARIADB_ALLOW_EMPTY_ROOT_PASSWORD',
  'MYSQL_ALLOW_EMPTY_PASSWORD',
];

const BASE_DB = { name: 'db', type: 'postgres', host: 'pg.team.svc', database: 'shop', credentials: { secretName: 'shop-db' } };
