// Cross-field rules the shape alone cannot express; every rule reports a path and what was expected.
import type { Component, DatabaseComponent } from './components.js';
import type { Hook } from './hooks.js';
import type { Values } from './schema.js';
import { podSettingsIssues } from './pod-rules.js';
import { cloneIssues } from './clone.js';
import { copyIssues } from './copies.js';
import { onlyIssues } from './only.js';
import { protectionIssues, secretListingIssues } from './security-rules.js';
import { tlsIssues } from './tls.js';
import { isServerComponent, serverDropToken, serverIssues } from './server-rules.js';

export interface RuleIssue {
  readonly path: (string | number)[];
  readonly message: string;
}

/** The hooks of drill checks. */
export function drillHooks(v: Values): Hook[] {
  return (v.drill?.checks ?? []).flatMap((c) => ('hook' in c ? [c.hook] : []));
}

/** Every hook a values file declares, in every phase and in drill checks: what RBAC, mounts and egress must cover. */
export function allHooks(v: Values): Hook[] {
  return [...v.hooks.preBackup, ...v.hooks.postBackup, ...v.hooks.preRestore, ...v.hooks.postRestore, ...drillHooks(v), ...maskHooks(v)];
}

/** The hooks of a clone's masking steps. */
export function maskHooks(v: Values): Hook[] {
  return (v.clone?.mask ?? []).flatMap((m) => ('hook' in m ? [m.hook] : []));
}

/** Every hook with its values path, for messages. */
export function allHooksWithPaths(v: Values): Array<[Hook, (string | number)[]]> {
  const phases = ['preBackup', 'postBackup', 'preRestore', 'postRestore'] as const;
  return [
    ...phases.flatMap((ph) => v.hooks[ph].map((h, i): [Hook, (string | number)[]] => [h, ['hooks', ph, i]])),
    ...(v.drill?.checks ?? []).flatMap((c, i): Array<[Hook, (string | number)[]]> => ('hook' in c ? [[c.hook, ['drill', 'checks', i, 'hook']]] : [])),
  ];
}

export function isDatabase(c: Component): c is DatabaseComponent {
  return c.type === 'postgres' || c.type === 'mysql' || c.type === 'cockroachdb';
}

/** The databases a restore would drop, in order: what `confirm` must spell out. */
export function dropTargets(v: Values): string[] {
  if (!v.restore?.dropExisting) return [];
  const wanted = restoredComponents(v);
  return v.components
    .filter((c) => isDatabase(c) && (!wanted || wanted.includes(c.name)))
    .map((c) => (isServerComponent(c) ? serverDropToken(c) : (c as DatabaseComponent).database!));
}

/** The component names a restore request restores: restore.components, else those restore.only names, else all. */
export function restoredComponents(v: Values): string[] | undefined {
  return v.restore?.components ?? (v.restore?.only ? Object.keys(v.restore.only) : undefined);
}

function duplicates(names: string[]): string[] {
  return names.filter((n, i) => names.indexOf(n) !== i);
}

export function checkRules(v: Values): RuleIssue[] {
  const issues: RuleIssue[] = [];
  const names = v.components.map((c) => c.name);
  for (const d of new Set(duplicates(names))) {
    issues.push({ path: ['components', names.lastIndexOf(d), 'name'], message: `component names must be unique, "${d}" appears twice` });
  }
  const { prune: _prune, ...policy } = v.retention;
  const keeps = Object.values(policy).filter((n) => (n ?? 0) > 0);
  if (keeps.length === 0) issues.push({ path: ['retention'], message: 'must keep something: set at least one keep* above 0' });

  for (const phase of ['preBackup', 'postBackup', 'preRestore', 'postRestore'] as const) {
    const artifacts = v.hooks[phase].map((h) => h.artifact).filter((a): a is string => !!a);
    for (const d of new Set(duplicates(artifacts))) issues.push({ path: ['hooks', phase], message: `artifact "${d}" is produced twice` });
    if (phase.endsWith('Restore')) {
      v.hooks[phase].forEach((h, i) => {
        if (h.artifact)
          issues.push({ path: ['hooks', phase, i, 'artifact'], message: 'only backup hooks produce artifacts; restore hooks read them from {{artifacts}}' });
      });
    }
  }

  if (v.restore) {
    const r = v.restore;
    r.components?.forEach((n, i) => {
      if (!names.includes(n)) issues.push({ path: ['restore', 'components', i], message: `must name a component (${names.join(', ')}), got "${n}"` });
    });
    if (r.dropExisting) {
      const expected = dropTargets(v).join(',');
      if (!expected) issues.push({ path: ['restore', 'dropExisting'], message: 'no database component to drop among the restored components' });
      else if (r.confirm !== expected) {
        issues.push({
          path: ['restore', r.confirm === undefined ? 'dropExisting' : 'confirm'],
          message: `dropExisting needs confirm: "${expected}" (the database names typed out), got ${r.confirm === undefined ? 'nothing' : `"${r.confirm}"`}`,
        });
      }
    } else if (r.confirm !== undefined) {
      issues.push({ path: ['restore', 'confirm'], message: 'confirm is only meaningful with dropExisting: true' });
    }
  }

  if (v.dropDatabase) {
    const c = v.components.find((x) => x.name === v.dropDatabase!.component);
    if (!c || !isDatabase(c)) {
      issues.push({ path: ['dropDatabase', 'component'], message: `must name a database component, got "${v.dropDatabase.component}"` });
    } else if (isServerComponent(c)) {
      // serverIssues says why a whole server has no drop Job.
    } else if (v.dropDatabase.confirm !== c.database) {
      issues.push({ path: ['dropDatabase', 'confirm'], message: `must equal the database name "${c.database}", got "${v.dropDatabase.confirm}"` });
    }
    // The drop is the first step of its restore request: a drop with no restore after it is refused here already.
    if (!v.restore)
      issues.push({ path: ['dropDatabase'], message: 'needs a restore: section; the drop is the first step of a restore request and never runs alone' });
    else if (v.restore.components && !v.restore.components.includes(v.dropDatabase.component)) {
      issues.push({
        path: ['dropDatabase', 'component'],
        message: `must be restored by the same request: add "${v.dropDatabase.component}" to restore.components`,
      });
    }
  }

  allHooksWithPaths(v).forEach(([h, path]) => {
    if (h.type === 'exec' && !h.selector === !h.pod)
      issues.push({ path, message: `an exec hook needs exactly one of selector or pod, got ${h.pod ? 'both' : 'neither'}` });
  });
  issues.push(
    ...secretListingIssues(v),
    ...protectionIssues(v),
    ...podSettingsIssues(v),
    ...copyIssues(v),
    ...cloneIssues(v),
    ...onlyIssues(v),
    ...tlsIssues(v.components as Parameters<typeof tlsIssues>[0]),
    ...serverIssues(v),
  );

  if (v.drill) {
    for (const [name, t] of Object.entries(v.drill.targets)) {
      const c = v.components.find((x) => x.name === name);
      if (!c) {
        issues.push({ path: ['drill', 'targets', name], message: `must name a component (${names.join(', ')}), got "${name}"` });
        continue;
      }
      const problem = drillTargetProblem(c, t);
      if (problem) issues.push({ path: ['drill', 'targets', name], message: problem });
    }
    v.drill.checks.forEach((chk, i) => {
      if ('component' in chk && !names.includes(chk.component)) {
        issues.push({ path: ['drill', 'checks', i, 'component'], message: `must name a component (${names.join(', ')}), got "${chk.component}"` });
      }
    });
  }
  return issues;
}

/** Why a drill target would touch production, or undefined when it is a scratch place. */
export function drillTargetProblem(c: Component, t: { host?: string; port?: number; database?: string; sidecar?: unknown }): string | undefined {
  if (t.sidecar) return undefined;
  if (!('host' in c)) return undefined;
  const sameServer = (t.host ?? c.host) === c.host && (t.port ?? c.port) === c.port;
  if (!sameServer) return undefined;
  if (c.type === 'redis') return 'a Redis drill needs a sidecar or another server: restoring into the production server would overwrite it';
  if (t.database !== undefined && t.database === (c as DatabaseComponent).database) {
    return `must not be the production database "${t.database}" on ${c.host}:${c.port}`;
  }
  return undefined;
}
