import { Yaml } from 'cdk8s';
import { describe, expect, it } from 'vitest';
import { PERMANENT_EXIT_CODES } from '../../src/constructs/backup-cron-job.js';
import { ExitCode } from '../../src/errors.js';
import { makeValues, one, synth } from './_fixtures.js';

describe('BackupCronJob', () => {
  const values = makeValues({
    timeZone: 'Europe/Berlin',
    timeout: '1h30m',
    resources: { requests: { cpu: '250m', memory: '512Mi' }, limits: { memory: '2Gi' } },
  });
  const cron = one(synth(values), 'CronJob', 'shop-backup');

  it('matches the golden manifest', async () => {
    await expect(Yaml.stringify(cron)).toMatchFileSnapshot('./__snapshots__/backup-cron-job.k8s.yaml');
  });

  it('never runs twice at once and keeps a bounded history', () => {
    expect(cron.spec).toMatchObject({
      schedule: '0 1 * * *',
      timeZone: 'Europe/Berlin',
      suspend: false,
      concurrencyPolicy: 'Forbid',
      startingDeadlineSeconds: 3600,
      successfulJobsHistoryLimit: 3,
      failedJobsHistoryLimit: 3,
    });
  });

  it('retries once, within the timeout, but not for failures a retry cannot fix', () => {
    const job = cron.spec.jobTemplate.spec;
    expect(job.backoffLimit).toBe(1);
    expect(job.activeDeadlineSeconds).toBe(5400);
    expect(PERMANENT_EXIT_CODES).toEqual([ExitCode.usage, ExitCode.refused, ExitCode.repository, ExitCode.suspicious]);
    expect(job.podFailurePolicy.rules[0]).toMatchObject({
      action: 'FailJob',
      onExitCodes: { containerName: 'safehold', operator: 'In', values: [2, 3, 4, 5] },
    });
    expect(job.podFailurePolicy.rules[1]).toMatchObject({ action: 'Ignore', onPodConditions: [{ type: 'DisruptionTarget' }] });
  });

  it('runs `backup --config` with the values resources, labelled as the backup of this set', () => {
    const t = cron.spec.jobTemplate.spec.template;
    expect(t.spec.containers[0].args).toEqual(['backup', '--config', '/etc/safehold/config.json']);
    expect(t.spec.containers[0].command).toBeUndefined(); // the image's entrypoint (tini -- safehold) stays PID 1
    expect(t.spec.containers[0].resources).toEqual({ requests: { cpu: '250m', memory: '512Mi' }, limits: { memory: '2Gi' } });
    const labels = {
      'app.kubernetes.io/name': 'safehold',
      'app.kubernetes.io/instance': 'shop',
      'app.kubernetes.io/component': 'backup',
      'app.kubernetes.io/part-of': 'safehold',
      'app.kubernetes.io/managed-by': 'safehold',
    };
    expect(cron.metadata.labels).toEqual(labels);
    expect(t.metadata.labels).toEqual(labels);
    expect(JSON.stringify(cron)).not.toContain('cdk8s.io/metadata.addr');
  });

  it('is suspended from the values and carries the instance in its name', () => {
    const v = makeValues({ suspend: true, instance: 'eu1' });
    const c = one(synth(v), 'CronJob', 'shop-eu1-backup');
    expect(c.spec.suspend).toBe(true);
    expect(c.metadata.labels['app.kubernetes.io/instance']).toBe('shop-eu1');
  });
});
