// A values file → the typed props of each construct of its set: the values layer of the library (BackupSetChart uses it).
import { cloneRequestId, dropRequestId, restoreRequestId } from '../contract/requests.js';
import type { Values } from '../values/schema.js';
import { alertRuleGroups, type BackupAlertsProps } from './alerts.js';
import type { BackupCronJobProps } from './backup-cron-job.js';
import type { CloneJobProps } from './clone-job.js';
import type { CopyCronJobProps } from './copy-cron-job.js';
import { setDashboardText, type DashboardConfigMapProps } from './dashboard-config-map.js';
import type { DrillCronJobProps } from './drill-cron-job.js';
import { drillSidecars } from './drill-sidecars.js';
import type { DropDatabaseJobProps } from './drop-database-job.js';
import type { MaintenanceCronJobProps } from './maintenance-cron-job.js';
import { copyCronJobName, type BackupSetNames, type RunnerComponent } from './names.js';
import { egressRules, type RunnerNetworkPolicyProps } from './network-policy.js';
import { needsApiAccess, operations, rbacRulesFor, REQUEST_OPERATIONS, requestRulesOf } from './rbac-rules.js';
import { operationNamespace, type RunnerRbacProps } from './rbac.js';
import type { RepositoryPvcProps } from './repository-pvc.js';
import type { RequestRbacProps } from './request-rbac.js';
import type { RestoreJobProps } from './restore-job.js';
import type { RunnerConfigProps } from './runner-config.js';
import { runnerPodOptions } from './runner-pod-values.js';
import type { VerifyCronJobProps } from './verify-cron-job.js';

const api = (v: Values, op: RunnerComponent) => needsApiAccess(v, op);
const setOf = (names: BackupSetNames) => ({ prefix: names.prefix, namespace: names.namespace });

export function runnerRbacProps(v: Values, names: BackupSetNames): RunnerRbacProps {
  return {
    set: setOf(names),
    accounts: operations(v).map((op) => ({
      operation: op,
      name: names.accounts[op],
      namespace: operationNamespace(names, op),
      annotations: v.serviceAccount.annotations,
      rules: Object.fromEntries(rbacRulesFor(v, op)),
      // A request Job's account, Role and binding stay when the request leaves git while its Job still runs.
      outlivesRequest: REQUEST_OPERATIONS.includes(op),
    })),
  };
}

/** The request Role (restore: ledger, claim, drop step) and the drop-step Role (drop: the claim read, the drop step). */
export function requestRbacProps(v: Values, names: BackupSetNames): RequestRbacProps[] {
  return REQUEST_OPERATIONS.filter((op) => operations(v).includes(op)).map((op) => ({
    set: setOf(names),
    name: op === 'drop-database' ? names.dropStepRole : names.requestRole,
    rules: requestRulesOf(v, op),
    accounts: [names.accounts[op]],
  }));
}

export function runnerConfigProps(v: Values, names: BackupSetNames): RunnerConfigProps {
  return { set: setOf(names), name: names.config, config: v, alsoIn: v.repository.protection ? [names.maintenanceNamespace] : [] };
}

/** Only when the values ask for a claim of a size: otherwise the claim exists already. */
export function repositoryPvcProps(v: Values, names: BackupSetNames): RepositoryPvcProps | undefined {
  const pvc = v.repository.pvc;
  return pvc?.size ? { set: setOf(names), claimName: pvc.claimName, size: pvc.size, storageClass: pvc.storageClass } : undefined;
}

export function networkPolicyProps(v: Values, names: BackupSetNames): RunnerNetworkPolicyProps | undefined {
  const on = v.networkPolicy === true || (typeof v.networkPolicy === 'object' && v.networkPolicy.enabled);
  return on ? { set: setOf(names), name: names.runner, egress: egressRules(v) } : undefined;
}

export function backupCronJobProps(v: Values, names: BackupSetNames): BackupCronJobProps {
  return {
    set: setOf(names),
    name: names.backupCronJob,
    schedule: v.schedule,
    timeZone: v.timeZone,
    suspend: v.suspend,
    timeout: v.timeout,
    pod: runnerPodOptions(v, names, 'backup', { apiAccess: api(v, 'backup') }),
  };
}

export function drillCronJobProps(v: Values, names: BackupSetNames): DrillCronJobProps | undefined {
  if (!v.drill) return undefined;
  const side = drillSidecars(v);
  return {
    set: setOf(names),
    name: names.drillCronJob,
    schedule: v.drill.schedule,
    timeZone: v.drill.timeZone ?? v.timeZone,
    suspend: v.suspend,
    timeout: v.drill.timeout,
    pod: runnerPodOptions(v, names, 'drill', { apiAccess: api(v, 'drill'), dataVolumes: 'none', sidecars: side.containers, sidecarVolumes: side.volumes }),
  };
}

export function verifyCronJobProps(v: Values, names: BackupSetNames): VerifyCronJobProps {
  return {
    set: setOf(names),
    name: names.verifyCronJob,
    schedule: v.verify.schedule,
    timeZone: v.verify.timeZone ?? v.timeZone,
    suspend: v.suspend,
    timeout: v.verify.timeout,
    pod: runnerPodOptions(v, names, 'verify', { apiAccess: false, dataVolumes: 'none' }),
  };
}

/** Rules already refused an unconfirmed drop: the Job exists only for an explicit request. */
export function dropDatabaseJobProps(v: Values, names: BackupSetNames): DropDatabaseJobProps | undefined {
  const requestId = dropRequestId(v);
  if (!v.dropDatabase || !requestId || !names.dropJob) return undefined;
  return {
    set: setOf(names),
    name: names.dropJob,
    requestId,
    timeout: v.timeout,
    pod: runnerPodOptions(v, names, 'drop-database', { apiAccess: api(v, 'drop-database'), dataVolumes: 'none' }),
  };
}

export function restoreJobProps(v: Values, names: BackupSetNames): RestoreJobProps | undefined {
  const requestId = restoreRequestId(v);
  if (!v.restore || !requestId || !names.restoreJob) return undefined;
  return {
    set: setOf(names),
    name: names.restoreJob,
    requestId,
    timeout: v.restore.timeout,
    pod: runnerPodOptions(v, names, 'restore', { apiAccess: api(v, 'restore'), dataVolumes: 'writable' }),
  };
}

export function cloneJobProps(v: Values, names: BackupSetNames): CloneJobProps | undefined {
  const requestId = cloneRequestId(v);
  if (!v.clone || !requestId || !names.cloneJob) return undefined;
  return {
    set: setOf(names),
    name: names.cloneJob,
    requestId,
    timeout: v.clone.timeout,
    // PostgreSQL only: no files volumes are written.
    pod: runnerPodOptions(v, names, 'restore', { apiAccess: api(v, 'restore'), dataVolumes: 'none' }),
  };
}

export function maintenanceCronJobProps(v: Values, names: BackupSetNames): MaintenanceCronJobProps | undefined {
  const m = v.repository.protection?.maintenance;
  if (!m) return undefined;
  return {
    set: setOf(names),
    name: names.maintenanceCronJob,
    namespace: names.maintenanceNamespace,
    schedule: m.schedule,
    timeZone: m.timeZone ?? v.timeZone,
    suspend: v.suspend,
    timeout: m.timeout,
    pod: runnerPodOptions(v, names, 'maintenance', { apiAccess: false, dataVolumes: 'none' }),
  };
}

/** One per copy; a claim repository of the source is mounted by the template, copies are never claims (rules). */
export function copyCronJobProps(v: Values, names: BackupSetNames): CopyCronJobProps[] {
  return (v.copies ?? []).map((c) => ({
    set: setOf(names),
    name: copyCronJobName(names, c.name),
    copy: c.name,
    schedule: c.schedule,
    timeZone: c.timeZone ?? v.timeZone,
    suspend: v.suspend,
    timeout: c.timeout,
    pod: runnerPodOptions(v, names, 'copy', { apiAccess: false, dataVolumes: 'none' }),
  }));
}

export function dashboardProps(v: Values, names: BackupSetNames): DashboardConfigMapProps | undefined {
  if (!v.monitoring.enabled || !v.monitoring.dashboard) return undefined;
  return { set: setOf(names), name: `${names.runner}-dashboard`, fileName: `${names.prefix}.json`, dashboard: setDashboardText(v, names) };
}

/** `verify`: this set runs its repository's verify CronJob (verifyOwners), so it alerts on it. */
export function alertsProps(v: Values, names: BackupSetNames, verify: boolean): BackupAlertsProps | undefined {
  if (!v.monitoring.enabled) return undefined;
  return { set: setOf(names), name: names.runner, ruleLabels: v.monitoring.ruleLabels, groups: alertRuleGroups(v, names, { verify }) };
}
