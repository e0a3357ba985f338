// One values file → one chart: every object of a backup set, in the order a reviewer reads them.
import { Chart } from 'cdk8s';
import type { Construct } from 'constructs';
import type { RuleIssue } from '../values/rules.js';
import type { Values } from '../values/schema.js';
import { BackupAlerts } from './alerts.js';
import { BackupCronJob } from './backup-cron-job.js';
import { CopyCronJob } from './copy-cron-job.js';
import { DashboardConfigMap } from './dashboard-config-map.js';
import { DrillCronJob } from './drill-cron-job.js';
import { drillProblems } from './drill-sidecars.js';
import { DropDatabaseJob } from './drop-database-job.js';
import { MaintenanceCronJob } from './maintenance-cron-job.js';
import { emittedSecretProblems, EmittedSecrets } from './emitted-secrets.js';
import { backupSetNames, nameProblems } from './names.js';
import { RunnerNetworkPolicy } from './network-policy.js';
import { RunnerRbac } from './rbac.js';
import { RepositoryPvc } from './repository-pvc.js';
import { RequestRbac } from './request-rbac.js';
import { CloneJob } from './clone-job.js';
import { RestoreJob } from './restore-job.js';
import { RunnerConfig } from './runner-config.js';
import * as fromValues from './set-props.js';
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
    const set = { prefix: names.prefix, namespace: names.namespace };
    const verify = props.verify ?? v.verify.enabled;
    const pvc = fromValues.repositoryPvcProps(v, names);
    const networkPolicy = fromValues.networkPolicyProps(v, names);
    const drill = fromValues.drillCronJobProps(v, names);
    const drop = fromValues.dropDatabaseJobProps(v, names);
    const restore = fromValues.restoreJobProps(v, names);
    const clone = fromValues.cloneJobProps(v, names);
    const maintenance = fromValues.maintenanceCronJobProps(v, names);
    const dashboard = fromValues.dashboardProps(v, names);
    const alerts = fromValues.alertsProps(v, names, verify);

    new EmittedSecrets(this, 'Secrets', { set, secrets: v.secrets });
    new RunnerRbac(this, 'Rbac', fromValues.runnerRbacProps(v, names));
    for (const r of fromValues.requestRbacProps(v, names)) new RequestRbac(this, r.name === names.requestRole ? 'RequestRbac' : 'DropStepRbac', r);
    new RunnerConfig(this, 'Config', fromValues.runnerConfigProps(v, names));
    if (pvc) new RepositoryPvc(this, 'RepositoryPvc', pvc);
    if (networkPolicy) new RunnerNetworkPolicy(this, 'NetworkPolicy', networkPolicy);
    new BackupCronJob(this, 'Backup', fromValues.backupCronJobProps(v, names));
    if (drill) new DrillCronJob(this, 'Drill', drill);
    if (verify) new VerifyCronJob(this, 'Verify', fromValues.verifyCronJobProps(v, names));
    if (drop) new DropDatabaseJob(this, 'DropDatabase', drop);
    if (restore) new RestoreJob(this, 'Restore', restore);
    if (clone) new CloneJob(this, 'Clone', clone);
    if (maintenance) new MaintenanceCronJob(this, 'Maintenance', maintenance);
    for (const c of fromValues.copyCronJobProps(v, names)) new CopyCronJob(this, `Copy-${c.copy}`, c);
    if (dashboard) new DashboardConfigMap(this, 'Dashboard', dashboard);
    if (alerts) new BackupAlerts(this, 'Alerts', alerts);
  }
}
