// restore.only: partial restores per component — PostgreSQL schemas/tables, MariaDB tables, Redis key patterns, files paths.
import { z } from 'zod';
import type { Component } from './components.js';
import { dnsLabel } from './formats.js';
import type { RuleIssue } from './rules.js';
import type { Values } from './schema.js';

const name = z
  .string()
  .min(1)
  .max(127)
  // eslint-disable-next-line no-control-regex
  .regex(/^[^\u0000-\u001f\u007f]+$/, 'must be a name without control characters');

/**
 * What one component restores when restore.only names it (docs/partial-restores.md). `into: live` replaces exactly
 * these in the target (the replaced ones are kept as the way back); `into: side` restores them beside it for a manual pick.
 */
export const onlySpec = z.strictObject({
  /** postgres: `table` (schema public) or `schema.table`; mysql: table names. */
  tables: z.array(name).min(1).optional(),
  /** postgres: every table of these schemas in the set. */
  schemas: z.array(name).min(1).optional(),
  /** redis: key patterns (Redis glob syntax: `*`, `?`, `[…]`, `\` escapes). */
  keys: z.array(z.string().min(1)).min(1).optional(),
  /** files: absolute paths (restic include patterns) inside the component's backed-up paths. */
  paths: z
    .array(z.string().regex(/^\/[^\0]*[^/\0]$/, 'must be an absolute path such as /data/uploads (no trailing "/")'))
    .min(1)
    .optional(),
  /** live: replace them in the target; side: restore them beside it (side schema, database, key prefix or directory). */
  into: z.enum(['live', 'side']).default('live'),
});
export type OnlySpec = z.output<typeof onlySpec>;

export const only = z.record(dnsLabel, onlySpec).optional();

type Selector = 'tables' | 'schemas' | 'keys' | 'paths';
const SELECTORS: Readonly<Record<string, readonly Selector[]>> = {
  postgres: ['tables', 'schemas'],
  mysql: ['tables'],
  redis: ['keys'],
  files: ['paths'],
};

/** An example of what to write for a component type, for messages. */
const EXAMPLE: Readonly<Record<string, string>> = {
  postgres: 'tables: [public.orders] or schemas: [billing]',
  mysql: 'tables: [orders]',
  redis: 'keys: ["session:*"]',
  files: 'paths: [/data/uploads]',
};

/** A PostgreSQL table name as written: `schema.table`, or `table` in schema public. */
export function pgTableName(written: string): { schema: string; table: string } {
  const dot = written.indexOf('.');
  return dot < 0 ? { schema: 'public', table: written } : { schema: written.slice(0, dot), table: written.slice(dot + 1) };
}

/** The partial restore asked for this component, or undefined (the whole component). */
export function onlyFor(v: Pick<Values, 'restore'>, c: Pick<Component, 'name'>): OnlySpec | undefined {
  return v.restore?.only?.[c.name];
}

/** The request's part of `only`, every fallback written out (request ids must not move with a schema default). */
export function onlyOutcome(o: Record<string, Partial<OnlySpec>>): Record<string, unknown> {
  const sorted = (xs?: readonly string[]) => [...new Set(xs ?? [])].sort();
  return Object.fromEntries(
    Object.keys(o)
      .sort()
      .map((k) => {
        const s = o[k];
        return [k, { tables: sorted(s.tables), schemas: sorted(s.schemas), keys: sorted(s.keys), paths: sorted(s.paths), into: s.into ?? 'live' }];
      }),
  );
}

/** Each named component exists, is restored, has the selectors of its type (and only those), and is never dropped. */
export function onlyIssues(v: Values): RuleIssue[] {
  const r = v.restore;
  if (!r?.only) return [];
  const issues: RuleIssue[] = [];
  const names = v.components.map((c) => c.name);
  for (const [n, spec] of Object.entries(r.only)) {
    const path = ['restore', 'only', n];
    const c = v.components.find((x) => x.name === n);
    if (!c) {
      issues.push({ path, message: `must name a component (${names.join(', ')}), got "${n}"` });
      continue;
    }
    const allowed = SELECTORS[c.type];
    if (!allowed) {
      issues.push({
        path,
        message: `partial restores cover postgres, mysql, redis and files components; ${n} is ${c.type}: restore it whole (remove it from restore.only)`,
      });
      continue;
    }
    const written = (Object.keys(SELECTORS).flatMap((t) => SELECTORS[t]) as Selector[]).filter((k, i, a) => a.indexOf(k) === i && spec[k] !== undefined);
    for (const k of written.filter((k) => !allowed.includes(k)))
      issues.push({ path: [...path, k], message: `is not a selector of a ${c.type} component; write ${EXAMPLE[c.type]}` });
    if (!written.some((k) => allowed.includes(k))) issues.push({ path, message: `says nothing to restore; write ${EXAMPLE[c.type]}` });
    if (r.components && !r.components.includes(n))
      issues.push({ path, message: `must be restored by the same request: add "${n}" to restore.components (or remove restore.components)` });
    if (v.dropDatabase?.component === n)
      issues.push({ path, message: `a partial restore never drops the database: remove dropDatabase, or remove ${n} from restore.only` });
    if (c.type === 'files' && spec.paths) {
      spec.paths.forEach((p, i) => {
        if (!c.paths.some((root) => root === '/' || p === root || p.startsWith(`${root}/`)))
          issues.push({ path: [...path, 'paths', i], message: `must lie inside one of the component's paths (${c.paths.join(', ')}), got "${p}"` });
      });
    }
  }
  if (r.dropExisting)
    issues.push({ path: ['restore', 'dropExisting'], message: 'a partial restore (restore.only) never drops a database: remove dropExisting and confirm' });
  return issues;
}
