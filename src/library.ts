// The typed library (package entry "safehold"): safehold's constructs for a user's own cdk8s app. The runner is not in this graph.
export { BackupSet, type BackupSetProps, type BackupSetSettings } from './constructs/backup-set.js';
export { BackupSetChart, manifestProblems, type BackupSetChartProps } from './constructs/backup-set-chart.js';
export { BackupAlerts, type BackupAlertsProps } from './constructs/alerts.js';
export { BackupCronJob, type BackupCronJobProps } from './constructs/backup-cron-job.js';
export { DrillCronJob, type DrillCronJobProps } from './constructs/drill-cron-job.js';
export { DropDatabaseJob, type DropDatabaseJobProps } from './constructs/drop-database-job.js';
export { RestoreJob, type RestoreJobProps } from './constructs/restore-job.js';
export { CloneJob, type CloneJobProps } from './constructs/clone-job.js';
export { VerifyCronJob, type VerifyCronJobProps } from './constructs/verify-cron-job.js';
export { backupSetNames, type BackupSetNames } from './constructs/names.js';
export { DEFAULT_IMAGE, values as valuesSchema, type Values, type ValuesInput } from './values/schema.js';
export { parseValues } from './values/load.js';
