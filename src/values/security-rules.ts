// Least-privilege rules: protected repositories, namespace-wide Secret reads; and the warnings validate prints (pure).
import { cronMaxGapSeconds } from './cron-interval.js';
import type { RuleIssue } from './rules.js';
import type { Values } from './schema.js';

const DAY = 86400;

/** How long retention keeps a set at most: each keep* count times its bucket (never shorter than the backup interval). */
export function retentionHorizonSeconds(v: Values): number {
  const gap = cronMaxGapSeconds(v.schedule);
  const r = v.retention;
  const spans: Array<[number | undefined, number]> = [
    [r.keepLast, gap],
    [r.keepHourly, 3600],
    [r.keepDaily, DAY],
    [r.keepWeekly, 7 * DAY],
    [r.keepMonthly, 31 * DAY],
    [r.keepYearly, 366 * DAY],
  ];
  return Math.max(0, ...spans.map(([n, bucket]) => (n ?? 0) * Math.max(bucket, gap)));
}

/** The Object Lock period a protected repository needs: every set retention keeps stays recoverable until maintenance forgets it. */
export function requiredLockDays(v: Values): number | undefined {
  const m = v.repository.protection?.maintenance;
  if (!m) return undefined;
  return Math.ceil((retentionHorizonSeconds(v) + cronMaxGapSeconds(m.schedule)) / DAY);
}

/** Secrets selected by label (or all of them) are listed namespace-wide: only when the values say so. */
export function secretListingIssues(v: Values): RuleIssue[] {
  const issues: RuleIssue[] = [];
  v.components.forEach((c, i) => {
    if (c.type !== 'kubernetes') return;
    c.resources.forEach((r, j) => {
      const secrets = r.apiVersion === 'v1' && r.kind === 'Secret';
      const listed = !r.names?.length || !!r.labelSelector;
      if (secrets && listed && !r.allowListSecrets) {
        issues.push({
          path: ['components', i, 'resources', j],
          message:
            'Secrets selected by label (or all Secrets) need `list secrets` on the whole namespace; name them (names: [...]) or set allowListSecrets: true',
        });
      }
    });
  });
  return issues;
}

export function protectionIssues(v: Values): RuleIssue[] {
  const p = v.repository.protection;
  if (!p) return [];
  const issues: RuleIssue[] = [];
  if (!v.repository.s3) {
    issues.push({
      path: ['repository', 'protection'],
      message: 'needs repository.s3: a filesystem repository cannot refuse deletes to the pod that writes it',
    });
    return issues;
  }
  if (p.maintenance.credentials.secretName === v.repository.s3.credentials?.secretName) {
    issues.push({
      path: ['repository', 'protection', 'maintenance', 'credentials', 'secretName'],
      message: `must name another Secret than repository.s3.credentials ("${v.repository.s3.credentials?.secretName}"): the backup pods' keys must not be able to delete`,
    });
  }
  const needed = requiredLockDays(v)!;
  if (p.objectLock && p.objectLock.days < needed) {
    issues.push({
      path: ['repository', 'protection', 'objectLock', 'days'],
      message: `must cover the retention horizon plus the maintenance interval: at least ${needed} days, got ${p.objectLock.days}`,
    });
  }
  return issues;
}

/** Valid but weaker than it looks: validate prints these and still exits 0. */
export function securityWarnings(v: Values): RuleIssue[] {
  const warnings: RuleIssue[] = [];
  v.components.forEach((c, i) => {
    if (c.type !== 'kubernetes') return;
    c.resources.forEach((r, j) => {
      if (r.allowListSecrets) {
        warnings.push({
          path: ['components', i, 'resources', j, 'allowListSecrets'],
          message: `the pods of this set may read every Secret in namespace ${c.namespace ?? v.namespace}`,
        });
      }
    });
  });
  const p = v.repository.protection;
  if (p && !p.objectLock && v.repository.s3) {
    warnings.push({
      path: ['repository', 'protection'],
      message: `no objectLock declared: whoever holds the maintenance credentials can still delete every set; enable S3 Object Lock for at least ${requiredLockDays(v)} days (docs/security.md)`,
    });
  }
  return warnings;
}
