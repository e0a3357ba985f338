// Clones: restore ANOTHER application's set (production) into this application's targets (staging), masked before anyone reads it.
import { z } from 'zod';
import { dnsLabel, duration, INSTANCE_ID } from './formats.js';
import { hook } from './hooks.js';
import type { RuleIssue } from './rules.js';
import type { Values } from './schema.js';

/** One masking step on one component's side database: SQL statements, or a hook told where the side database is. */
const maskStep = z.union([
  z.strictObject({
    component: dnsLabel,
    /** Run on the side database as the restore login, in order, in one transaction (e.g. UPDATE users SET email = …). */
    sql: z.union([z.string().min(1), z.array(z.string().min(1)).min(1)]),
  }),
  z.strictObject({
    component: dnsLabel,
    /** An existing hook type; a command hook gets PGHOST, PGPORT, PGDATABASE (the side database) and SAFEHOLD_CLONE_* in its environment. */
    hook,
  }),
]);
export type MaskStep = z.output<typeof maskStep>;

/** Built from the set's own repository shape (schema.ts), so a source repository is written exactly like it. */
export function cloneSchema<R extends z.ZodType>(repository: R) {
  return z
    .strictObject({
      /** The application whose set is cloned: its namespace and name (as in its values file). */
      from: z.strictObject({
        namespace: dnsLabel,
        name: dnsLabel,
        instance: z.string().regex(INSTANCE_ID, 'must match ^[a-z]?[a-z0-9]{0,47}$').optional(),
        /** Where its sets are, with read-only keys. @default this set's own repository (a shared repository) */
        repository: repository.optional(),
      }),
      snapshot: z
        .string()
        .regex(/^(latest|[a-z0-9][a-z0-9-]{5,63})$/, 'must be "latest" or a backup set id')
        .default('latest'),
      /** Clone only these components of this application (matched by name in the source set). @default every component */
      components: z.array(dnsLabel).optional(),
      /** Run on each side database after the data is loaded and before it is swapped in or opened to anyone. */
      mask: z.array(maskStep).default([]),
      timeout: duration.default('2h'),
      /** Changes the request (and the Job name) without changing anything else, to clone the same set again. */
      requestId: z
        .string()
        .regex(/^[a-z0-9-]{1,32}$/)
        .optional(),
    })
    .optional();
}

/** The components a clone writes, in this application's order. */
export function clonedComponents(v: Values) {
  const wanted = v.clone?.components;
  return v.components.filter((c) => !wanted || wanted.includes(c.name));
}

/** One request at a time, never the application itself, PostgreSQL only, masking steps on cloned components. */
export function cloneIssues(v: Values): RuleIssue[] {
  const c = v.clone;
  if (!c) return [];
  const issues: RuleIssue[] = [];
  const names = v.components.map((x) => x.name);
  if (v.restore)
    issues.push({ path: ['clone'], message: 'a values file holds one request at a time: remove restore: or clone: (the other can follow in a later change)' });
  if (c.from.namespace === v.namespace && c.from.name === v.name && (c.from.instance ?? '') === (v.instance ?? ''))
    issues.push({
      path: ['clone', 'from'],
      message: `names this application itself (${v.namespace}/${v.name}): a clone writes into another application's targets; use restore: to restore a set into its own application`,
    });
  c.components?.forEach((n, i) => {
    if (!names.includes(n)) issues.push({ path: ['clone', 'components', i], message: `must name a component (${names.join(', ')}), got "${n}"` });
  });
  const cloned = clonedComponents(v);
  cloned.forEach((x) => {
    if (x.type !== 'postgres')
      issues.push({
        path: ['clone', ...(c.components ? ['components', c.components.indexOf(x.name)] : [])],
        message: `component ${x.name} is ${x.type}: clones are built for PostgreSQL only (a side database masked before the swap); list the PostgreSQL components under clone.components`,
      });
    else if (!('database' in x) || x.database === undefined)
      issues.push({
        path: ['clone', ...(c.components ? ['components', c.components.indexOf(x.name)] : [])],
        message: `component ${x.name} is a whole server (databases:): clones are built for one database; clone into a component with database: <name>`,
      });
  });
  c.mask.forEach((m, i) => {
    if (!cloned.some((x) => x.name === m.component))
      issues.push({
        path: ['clone', 'mask', i, 'component'],
        message: `must name a cloned component (${cloned.map((x) => x.name).join(', ') || 'none'}), got "${m.component}"`,
      });
    if ('sql' in m)
      (typeof m.sql === 'string' ? [m.sql] : m.sql).forEach((q, j) => {
        if (q.trim().startsWith('\\'))
          issues.push({
            path: ['clone', 'mask', i, 'sql', ...(typeof m.sql === 'string' ? [] : [j])],
            message: `must be SQL for the server, got a psql command "${q.trim().split(/\s/)[0]}"; write the statement itself (or a command hook)`,
          });
      });
    if ('hook' in m && m.hook.type === 'exec')
      issues.push({
        path: ['clone', 'mask', i, 'hook', 'type'],
        message: 'a masking hook is a command or http hook (an exec hook would need exec rights into pods for the clone Job); or write the step as sql:',
      });
    if ('hook' in m && m.hook.onError === 'continue')
      issues.push({
        path: ['clone', 'mask', i, 'hook', 'onError'],
        message: 'a masking step never continues after a failure (unmasked data would be swapped in): remove onError',
      });
    if ('hook' in m && m.hook.artifact)
      issues.push({ path: ['clone', 'mask', i, 'hook', 'artifact'], message: 'masking hooks produce no artifacts: remove artifact' });
  });
  return issues;
}
