// The constructs below BackupSet with typed props of their own: used alone with only their required props they are
// still restricted, secret-free and bounded, and what they leave out takes the values schema's default.
import { App, Chart } from 'cdk8s';
import { describe, expect, it } from 'vitest';
import { DEFAULTS } from '../../src/constructs/defaults.js';
import { durationSeconds } from '../../src/values/formats.js';
import {
  BackupCronJob,
  DrillCronJob,
  DropDatabaseJob,
  MaintenanceCronJob,
  RestoreJob,
  RunnerRbac,
  VerifyCronJob,
  type RunnerPodOptions,
  type SetIdentity,
} from '../../src/library.js';
import { makeValues, podTemplates, synth, type Obj } from './_fixtures.js';
import { restrictedViolations } from './_restricted.js';

const set: SetIdentity = { prefix: 'shop', namespace: 'team' };
const pod: RunnerPodOptions = { serviceAccountName: 'shop-runner', configMap: 'shop-config', secrets: [{ secretName: 'shop-restic', keys: ['password'] }] };

function objects(build: (chart: Chart) => void): Obj[] {
  const app = new App();
  const chart = new Chart(app, 'c', { namespace: set.namespace, disableResourceNameHashes: true });
  build(chart);
  return chart.toJson() as Obj[];
}

describe('lower constructs with only their required props', () => {
  const all = objects((c) => {
    new BackupCronJob(c, 'backup', { set, name: 'shop-backup', schedule: '0 1 * * *', pod });
    new DrillCronJob(c, 'drill', { set, name: 'shop-drill', schedule: '0 5 * * 0', pod });
    new VerifyCronJob(c, 'verify', { set, name: 'shop-verify', pod });
    new MaintenanceCronJob(c, 'maintenance', { set, name: 'shop-maintenance', schedule: '0 3 * * *', pod });
    new RestoreJob(c, 'restore', { set, name: 'shop-restore-1', requestId: 'restore-1', pod });
    new DropDatabaseJob(c, 'drop', { set, name: 'shop-drop-1', requestId: 'drop-1', pod });
    new RunnerRbac(c, 'rbac', { set, accounts: [{ operation: 'backup', name: 'shop-runner' }] });
  });

  it('every pod is restricted, gets no token, reads its Secrets as files only', () => {
    const pods = podTemplates(all);
    expect(pods).toHaveLength(6);
    for (const { where, template } of pods) {
      expect(restrictedViolations(template), where).toEqual([]);
      expect(template.spec.automountServiceAccountToken, where).toBe(false);
      expect(template.spec.serviceAccountName, where).toBe('shop-runner');
      const runner = template.spec.containers[0];
      expect(runner.image, where).toBe(DEFAULTS.image);
      expect(JSON.stringify(runner.env), where).not.toMatch(/secretKeyRef|password/i);
      expect(template.spec.volumes.find((v: Obj) => v.secret)?.secret, where).toMatchObject({
        secretName: 'shop-restic',
        items: [{ key: 'password', path: 'password' }],
      });
    }
  });

  it("what is left out takes the values schema's default, the same a values file without it gets", () => {
    const v = makeValues({});
    const fromValues = synth(v).find((o) => o.kind === 'CronJob' && o.metadata.name === 'shop-backup')!;
    const backup = all.find((o) => o.metadata.name === 'shop-backup')!;
    expect(backup.spec.timeZone).toBe(v.timeZone);
    expect(backup.spec.suspend).toBe(v.suspend);
    expect(backup.spec.jobTemplate.spec.activeDeadlineSeconds).toBe(durationSeconds(v.timeout));
    const resources = (o: Obj) => o.spec.jobTemplate.spec.template.spec.containers[0].resources;
    expect(resources(backup)).toEqual(resources(fromValues));
    const deadline = (name: string) => {
      const o = all.find((x) => x.metadata.name === name)!;
      return (o.kind === 'CronJob' ? o.spec.jobTemplate.spec : o.spec).activeDeadlineSeconds;
    };
    expect(deadline('shop-verify')).toBe(durationSeconds(v.verify.timeout));
    expect(all.find((o) => o.metadata.name === 'shop-verify')!.spec.schedule).toBe(v.verify.schedule);
    const full = makeValues({ drill: { schedule: '0 5 * * 0' }, restore: {} });
    expect(deadline('shop-drill')).toBe(durationSeconds(full.drill!.timeout));
    expect(deadline('shop-restore-1')).toBe(durationSeconds(full.restore!.timeout));
    expect(deadline('shop-drop-1')).toBe(durationSeconds(v.timeout));
    expect(deadline('shop-maintenance')).toBe(durationSeconds(DEFAULTS.maintenanceTimeout));
  });

  it('an account without rules gets no Role and no RoleBinding', () => {
    expect(all.filter((o) => o.kind === 'Role' || o.kind === 'RoleBinding')).toEqual([]);
    expect(all.filter((o) => o.kind === 'ServiceAccount').map((o) => [o.metadata.name, o.automountServiceAccountToken])).toEqual([['shop-runner', false]]);
  });
});
