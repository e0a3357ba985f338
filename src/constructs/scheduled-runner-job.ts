// The CronJob shape every scheduled runner operation shares (drill, verify, maintenance): never two runs at once,
// bounded history, no retry — a failed run is the finding, and the next schedule runs anyway.
import { k8s } from 'cdk8s-plus-27';
import type { Construct } from 'constructs';
import { durationSeconds } from '../values/formats.js';

export interface ScheduledRunnerJobProps {
  readonly name: string;
  readonly namespace: string;
  readonly labels: Record<string, string>;
  readonly schedule: string;
  readonly timeZone: string;
  readonly suspend: boolean;
  /** The Job's activeDeadlineSeconds, as a duration. */
  readonly timeout: string;
  /** @default 3600 */
  readonly startingDeadlineSeconds?: number;
  readonly template: k8s.PodTemplateSpec;
}

export function scheduledRunnerJob(scope: Construct, p: ScheduledRunnerJobProps): k8s.KubeCronJob {
  return new k8s.KubeCronJob(scope, 'Resource', {
    metadata: { name: p.name, namespace: p.namespace, labels: p.labels },
    spec: {
      schedule: p.schedule,
      timeZone: p.timeZone,
      suspend: p.suspend,
      concurrencyPolicy: 'Forbid',
      startingDeadlineSeconds: p.startingDeadlineSeconds ?? 3600,
      successfulJobsHistoryLimit: 3,
      failedJobsHistoryLimit: 3,
      jobTemplate: {
        metadata: { labels: p.labels },
        spec: { backoffLimit: 0, activeDeadlineSeconds: durationSeconds(p.timeout), template: p.template },
      },
    },
  });
}
