// The typed library (package entry "safehold"): safehold's constructs for a user's own cdk8s app. The runner is not in this graph.
export { BackupSet, validateSettings, type BackupSetProps, type BackupSetSettings } from './constructs/backup-set.js';
export { BackupSetChart, manifestProblems, type BackupSetChartProps } from './constructs/backup-set-chart.js';

// The constructs BackupSet is made of, each with props of its own (docs/library.md, "The constructs one by one").
export { BackupAlerts, type AlertRule, type AlertRuleGroup, type BackupAlertsProps } from './constructs/alerts.js';
export { BackupCronJob, type BackupCronJobProps } from './constructs/backup-cron-job.js';
export { CopyCronJob, type CopyCronJobProps } from './constructs/copy-cron-job.js';
export { DashboardConfigMap, type DashboardConfigMapProps } from './constructs/dashboard-config-map.js';
export { DrillCronJob, type DrillCronJobProps } from './constructs/drill-cron-job.js';
export { DropDatabaseJob, type DropDatabaseJobProps } from './constructs/drop-database-job.js';
export { EmittedSecrets, type EmittedSecret, type EmittedSecretsProps } from './constructs/emitted-secrets.js';
export { MaintenanceCronJob, type MaintenanceCronJobProps } from './constructs/maintenance-cron-job.js';
export { RunnerNetworkPolicy, type RunnerNetworkPolicyProps } from './constructs/network-policy.js';
export { RunnerRbac, type RunnerAccount, type RunnerRbacProps } from './constructs/rbac.js';
export { RepositoryPvc, type RepositoryPvcProps } from './constructs/repository-pvc.js';
export { RequestRbac, type RequestRbacProps } from './constructs/request-rbac.js';
export { RestoreJob, type RestoreJobProps } from './constructs/restore-job.js';
export { CloneJob, type CloneJobProps } from './constructs/clone-job.js';
export { RunnerConfig, type RunnerConfigProps } from './constructs/runner-config.js';
export { VerifyCronJob, type VerifyCronJobProps } from './constructs/verify-cron-job.js';
export type { DataVolume, RunDeadline, RunnerPodOptions, SecretFiles } from './constructs/runner-pod.js';
export type { RunnerCronJobProps } from './constructs/runner-cron-job.js';
export type { RbacRule } from './constructs/rbac-rules.js';
export type { PodSettings } from './values/pod-settings.js';
export { DEFAULTS } from './constructs/defaults.js';

// From a values file to those props: what BackupSetChart does, one construct at a time.
export * as propsFromValues from './constructs/set-props.js';
export { runnerPodOptions } from './constructs/runner-pod-values.js';
export { backupSetNames, type BackupSetNames, type RunnerComponent, type SetIdentity } from './constructs/names.js';
export { DEFAULT_IMAGE, values as valuesSchema, type Values, type ValuesInput } from './values/schema.js';
export { parseValues } from './values/load.js';
