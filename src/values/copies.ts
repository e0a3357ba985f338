// Copies of a set's repository in further places (3-2-1): each with its own repository, password, schedule and retention.
import { z } from 'zod';
import { cron, dnsLabel, duration, timeZone } from './formats.js';
import type { RuleIssue } from './rules.js';
import { protectionIssues } from './security-rules.js';
import type { Values } from './schema.js';

/** Built from the set's own repository and retention shapes (schema.ts), so a copy is written exactly like them. */
export function copiesSchema<R extends z.ZodType, T extends z.ZodType>(repository: R, retention: T) {
  return z
    .array(
      z.strictObject({
        name: dnsLabel,
        repository,
        schedule: cron,
        timeZone: timeZone.optional(),
        timeout: duration.default('2h'),
        /** What the copy keeps (by whole good sets, like the source). @default the set's retention */
        retention: retention.optional(),
        /** Alert when the newest set in the copy is older than this. */
        maxLag: duration.default('50h'),
      }),
    )
    .optional();
}

/** The copy `name` of these values, or undefined. */
export function copyNamed(v: Values, name: string | undefined) {
  return name === undefined ? undefined : v.copies?.find((c) => c.name === name);
}

const keyOf = (r: Values['repository']) =>
  JSON.stringify(r.s3 ? ['s3', r.s3.endpoint, r.s3.bucket, r.s3.prefix ?? ''] : r.pvc ? ['pvc', r.pvc.claimName, r.pvc.path ?? ''] : ['local', r.local?.path]);

/** Copy names unique, never the source itself, reachable by one restic process; restore.from / drill.from name a copy. */
export function copyIssues(v: Values): RuleIssue[] {
  const issues: RuleIssue[] = [];
  const names = (v.copies ?? []).map((c) => c.name);
  (v.copies ?? []).forEach((c, i) => {
    const path = ['copies', i];
    if (names.indexOf(c.name) !== i) issues.push({ path: [...path, 'name'], message: `copy names must be unique, "${c.name}" appears twice` });
    if (keyOf(c.repository) === keyOf(v.repository))
      issues.push({ path: [...path, 'repository'], message: "must be another repository than the set's own repository (a copy in the same place is no copy)" });
    if (c.repository.pvc)
      issues.push({ path: [...path, 'repository', 'pvc'], message: 'a copy cannot be a PersistentVolumeClaim yet; write s3 (or local) for the copy' });
    // A protected copy follows the same rules as a protected source (its retention when it has one).
    for (const p of protectionIssues({ ...v, repository: c.repository, retention: c.retention ?? v.retention }))
      issues.push({ path: [...path, ...p.path], message: p.message });
    // restic copy reads AWS keys from one environment for both repositories.
    const a = v.repository.s3?.credentials;
    const b = c.repository.s3?.credentials;
    if (a && b && JSON.stringify(a) !== JSON.stringify(b)) {
      issues.push({
        path: [...path, 'repository', 's3', 'credentials'],
        message: `restic copies between two S3 repositories with one key pair; got Secret "${b.secretName}" here and "${a.secretName}" for the source: use one key pair that reads the source bucket and writes the copy's (docs/copies.md)`,
      });
    }
  });
  const from = (at: (string | number)[], name: string | undefined) => {
    if (name !== undefined && !names.includes(name))
      issues.push({ path: at, message: `must name a copy (${names.join(', ') || 'copies: is empty'}), got "${name}"` });
  };
  from(['restore', 'from'], v.restore?.from);
  from(['drill', 'from'], v.drill?.from);
  return issues;
}
