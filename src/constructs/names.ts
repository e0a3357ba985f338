// Object names and labels of one backup set, decided in one place so every construct agrees.
import { createHash } from 'node:crypto';
import type { Operation } from '../contract/layout.js';
import { claimConfigMapName, cloneRequestId, dropRequestId, dropStepConfigMapName, ledgerConfigMapName, restoreRequestId } from '../contract/requests.js';
import type { RuleIssue } from '../values/rules.js';
import type { Values } from '../values/schema.js';

/** A CronJob name leaves room for the 11 characters the controller appends to its Jobs. */
export const MAX_CRON_JOB_NAME = 52;
/** A Job name becomes a label value on its pods: at most 63 characters. */
export const MAX_JOB_NAME = 63;

/** The runner's operations (contract/layout.ts): each with its own pods, account and Secrets. */
export type RunnerComponent = Operation;

export interface BackupSetNames {
  /** `name`, or `name-instance`: prefixes every object of the set. */
  readonly prefix: string;
  readonly namespace: string;
  /** NetworkPolicy and PrometheusRule share this name (different kinds). */
  readonly runner: string;
  /** One ServiceAccount (and Role, RoleBinding) per operation: `<runner>-backup`, `<runner>-drill`, … */
  readonly accounts: Readonly<Record<RunnerComponent, string>>;
  readonly maintenanceCronJob: string;
  /** Where the maintenance CronJob, its account and its config live. */
  readonly maintenanceNamespace: string;
  readonly config: string;
  readonly ledger: string;
  /** The create-only ConfigMap a running one-shot request holds. */
  readonly claim: string;
  /** The create-only ConfigMap the drop step of a request is taken with (beside the claim). */
  readonly dropStep: string;
  /** Role and RoleBinding of the ledger and the claim: kept after the request leaves git. */
  readonly requestRole: string;
  /** Role and RoleBinding of the drop Job (the claim read, the drop step): kept after the request leaves git. */
  readonly dropStepRole: string;
  readonly backupCronJob: string;
  readonly drillCronJob: string;
  readonly verifyCronJob: string;
  readonly restoreJob?: string;
  readonly dropJob?: string;
  /** The one-shot clone Job (clone: in the values), named after its request like the restore Job. */
  readonly cloneJob?: string;
}

function trimmedJobName(prefix: string, requestId: string): string {
  const room = MAX_JOB_NAME - requestId.length - 1;
  return `${prefix.slice(0, room).replace(/-+$/, '')}-${requestId}`;
}

export function backupSetNames(v: Values): BackupSetNames {
  const prefix = v.instance ? `${v.name}-${v.instance}` : v.name;
  const restore = restoreRequestId(v);
  const drop = dropRequestId(v);
  const clone = cloneRequestId(v);
  return {
    prefix,
    namespace: v.namespace,
    runner: `${prefix}-safehold`,
    accounts: {
      backup: `${prefix}-safehold-backup`,
      drill: `${prefix}-safehold-drill`,
      restore: `${prefix}-safehold-restore`,
      'drop-database': `${prefix}-safehold-drop`,
      maintenance: `${prefix}-safehold-maintenance`,
      verify: `${prefix}-safehold-verify`,
      copy: `${prefix}-safehold-copy`,
    },
    maintenanceCronJob: `${prefix}-maintenance`,
    maintenanceNamespace: v.repository.protection?.maintenance.namespace ?? v.namespace,
    config: `${prefix}-safehold-config`,
    ledger: ledgerConfigMapName(v),
    claim: claimConfigMapName(v),
    dropStep: dropStepConfigMapName(v),
    requestRole: `${prefix}-safehold-requests`,
    dropStepRole: `${prefix}-safehold-drop-step`,
    backupCronJob: `${prefix}-backup`,
    drillCronJob: `${prefix}-drill`,
    verifyCronJob: `${prefix}-verify`,
    // The hash of the request is never trimmed: it is what makes a new request a new Job.
    restoreJob: restore ? trimmedJobName(prefix, restore) : undefined,
    dropJob: drop ? trimmedJobName(prefix, drop) : undefined,
    cloneJob: clone ? trimmedJobName(prefix, clone) : undefined,
  };
}

/** Kubernetes naming limits the values schema cannot see (they depend on several fields together). */
export function nameProblems(v: Values): RuleIssue[] {
  const n = backupSetNames(v);
  const issues: RuleIssue[] = [];
  const tooLong = (name: string, what: string) =>
    issues.push({
      path: [v.instance ? 'instance' : 'name'],
      message: `the ${what} name "${name}" would be ${name.length} characters, Kubernetes allows ${MAX_CRON_JOB_NAME}; shorten name${v.instance ? ' or instance' : ''}`,
    });
  if (n.backupCronJob.length > MAX_CRON_JOB_NAME) tooLong(n.backupCronJob, 'backup CronJob');
  else if (v.drill && n.drillCronJob.length > MAX_CRON_JOB_NAME) tooLong(n.drillCronJob, 'drill CronJob');
  else if (v.repository.protection && n.maintenanceCronJob.length > MAX_CRON_JOB_NAME) tooLong(n.maintenanceCronJob, 'maintenance CronJob');
  else if (v.verify.enabled && n.verifyCronJob.length > MAX_CRON_JOB_NAME) tooLong(n.verifyCronJob, 'verify CronJob');
  (v.copies ?? []).forEach((c, i) => {
    const name = copyCronJobName(n, c.name);
    if (name.length > MAX_CRON_JOB_NAME)
      issues.push({
        path: ['copies', i, 'name'],
        message: `the copy CronJob name "${name}" would be ${name.length} characters, Kubernetes allows ${MAX_CRON_JOB_NAME}; shorten the copy's name (or the set's)`,
      });
  });
  return issues;
}

/** One CronJob per copy: `<prefix>-copy-<copy name>`. */
export function copyCronJobName(n: BackupSetNames, copy: string): string {
  return `${n.prefix}-copy-${copy}`;
}

/** What every object of a set is labelled by and where it lives: the typed constructs take only this of the names. */
export type SetIdentity = Pick<BackupSetNames, 'prefix' | 'namespace'>;

/** Labels that select the pods of this set (NetworkPolicy) and never change for its lifetime. */
export function selectorLabels(n: SetIdentity): Record<string, string> {
  return { 'app.kubernetes.io/instance': n.prefix, 'app.kubernetes.io/name': 'safehold' };
}

/**
 * The recommended app.kubernetes.io labels. No version label on purpose: it would change the pod
 * template of a pending restore Job on every release, and Job templates are immutable.
 */
export function standardLabels(n: SetIdentity, component: string): Record<string, string> {
  return {
    ...selectorLabels(n),
    'app.kubernetes.io/component': component,
    'app.kubernetes.io/managed-by': 'safehold',
    'app.kubernetes.io/part-of': 'safehold',
  };
}

export { byCodeUnit } from '../contract/config.js';

/** A DNS-1123 label for a volume or container derived from a free name; hashed when it would not fit. */
export function dnsLabelFrom(prefix: string, name: string, max = 63): string {
  const plain = `${prefix}${name.replace(/[^a-z0-9-]/g, '-')}`.replace(/-+$/, '');
  if (plain.length <= max && /^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/.test(plain)) return plain;
  const hash = createHash('sha256').update(name).digest('hex').slice(0, 8);
  return `${plain.slice(0, max - hash.length - 1).replace(/-+$/, '')}-${hash}`;
}
