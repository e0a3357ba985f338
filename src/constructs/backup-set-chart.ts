// One values file → one chart: every object of a backup set, in the order a reviewer reads them.
import { Chart } from 'cdk8s';
import type { Construct } from 'constructs';
import type { RuleIssue } from '../values/rules.js';
import type { Values } from '../values/schema.js';
import { BackupAlerts } from './alerts.js';
import { BackupCronJob } from './backup-cron-job.js';
import { CopyCronJob } from './copy-cron-job.js';
import { DashboardConfigMap } from './dashboard-config-map.js';
import { drillProblems, DrillCronJob } from './drill-cron-job.js';
import { DropDatabaseJob } from './drop-database-job.js';
import { MaintenanceCronJob } from './maintenance-cron-job.js';
import { emittedSecretProblems, EmittedSecrets } from './emitted-secrets.js';
import { backupSetNames, nameProblems, type RunnerComponent } from './names.js';
import { RunnerNetworkPolicy } from './network-policy.js';
import { needsApiAccess } from './rbac-rules.js';
import { RunnerRbac } from './rbac.js';
import { RepositoryPvc } from './repository-pvc.js';
import { RequestRbac } from './request-rbac.js';
import { CloneJob } from './clone-job.js';
import { RestoreJob } from './restore-job.js';
import { RunnerConfig } from './runner-config.js';
import { VerifyCronJob } from './verify-cron-job.js';

/** Kubernetes-level problems of valid values (the third validation layer, after zod and the rules). */
export function manifestProblems(v: Values): RuleIssue[] {
  return [...nameProblems(v), ...drillProblems(v), ...emittedSecretProblems(v)];
}

export interface BackupSetChartProps {
  /** Validated values (schema and cross-field rules already applied). */
  readonly values: Values;
  /**
   * Emit the verify CronJob. Several values files may share one repository and only one should
   * check it: `synth` passes false to all but one (verifyOwners).
   * @default values.verify.enabled
   */
  readonly verify?: boolean;
}

export class BackupSetChart extends Chart {
  constructor(scope: Construct, id: string, props: BackupSetChartProps) {
    const v = props.values;
    super(scope, id, { namespace: v.namespace, disableResourceNameHashes: true });
    const problems = manifestProblems(v);
    if (problems.length) throw new Error(problems.map((p) => `${p.path.join('.')}: ${p.message}`).join('\n'));

    const names = backupSetNames(v);
    new EmittedSecrets(this, 'Secrets', { values: v, names });
    new RunnerRbac(this, 'Rbac', { values: v, names });
    new RequestRbac(this, 'RequestRbac', { values: v, names });
    new RunnerConfig(this, 'Config', { values: v, names });
    if (v.repository.pvc?.size) new RepositoryPvc(this, 'RepositoryPvc', { values: v, names });
    if (v.networkPolicy === true || (v.networkPolicy && v.networkPolicy.enabled)) new RunnerNetworkPolicy(this, 'NetworkPolicy', { values: v, names });
    const api = (component: RunnerComponent) => needsApiAccess(v, component);
    new BackupCronJob(this, 'Backup', { values: v, names, apiAccess: api('backup') });
    if (v.drill) new DrillCronJob(this, 'Drill', { values: v, names, apiAccess: api('drill') });
    if (props.verify ?? v.verify.enabled) new VerifyCronJob(this, 'Verify', { values: v, names });
    // Rules already refused an unconfirmed drop; the Job exists only for an explicit request.
    if (v.dropDatabase) new DropDatabaseJob(this, 'DropDatabase', { values: v, names, apiAccess: api('drop-database') });
    if (v.restore) new RestoreJob(this, 'Restore', { values: v, names, apiAccess: api('restore') });
    if (v.clone) new CloneJob(this, 'Clone', { values: v, names, apiAccess: api('restore') });
    if (v.repository.protection) new MaintenanceCronJob(this, 'Maintenance', { values: v, names });
    for (const c of v.copies ?? []) new CopyCronJob(this, `Copy-${c.name}`, { values: v, names, copy: c.name });
    if (v.monitoring.enabled && v.monitoring.dashboard) new DashboardConfigMap(this, 'Dashboard', { values: v, names });
    if (v.monitoring.enabled) new BackupAlerts(this, 'Alerts', { values: v, names, verify: props.verify ?? v.verify.enabled });
  }
}
