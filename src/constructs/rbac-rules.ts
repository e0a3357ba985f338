// The least privilege a backup set needs, as RBAC rules per namespace (pure: values in, rules out).
import type { Hook } from '../values/hooks.js';
import type { Values } from '../values/schema.js';
import { allHooks, drillHooks } from '../values/rules.js';
import { backupSetNames, byCodeUnit, type RunnerComponent } from './names.js';

export interface RbacRule {
  readonly apiGroups: string[];
  readonly resources: string[];
  readonly verbs: string[];
  readonly resourceNames?: string[];
}

const VERB_ORDER = ['get', 'list', 'watch', 'create', 'update', 'patch', 'delete'];
const IRREGULAR_PLURALS: Record<string, string> = { endpoints: 'endpoints' };

/** The resource name of a kind the way Kubernetes and CRD generators spell it (Ingress → ingresses). */
export function pluralize(kind: string): string {
  const lower = kind.toLowerCase();
  if (IRREGULAR_PLURALS[lower]) return IRREGULAR_PLURALS[lower];
  if (/(s|x|z|ch|sh)$/.test(lower)) return `${lower}es`;
  if (/[^aeiou]y$/.test(lower)) return `${lower.slice(0, -1)}ies`;
  return `${lower}s`;
}

/** `apps/v1` → `apps`; `v1` → the core group `""`. */
export function apiGroupOf(apiVersion: string): string {
  return apiVersion.includes('/') ? apiVersion.split('/')[0] : '';
}

class Grants {
  private readonly byKey = new Map<string, { ns: string; group: string; resource: string; names?: string[]; verbs: Set<string> }>();

  add(ns: string, group: string, resource: string, verbs: string[], names?: readonly string[]): void {
    const sortedNames = names?.length ? [...new Set(names)].sort() : undefined;
    const key = JSON.stringify([ns, group, resource, sortedNames ?? null]);
    const g = this.byKey.get(key) ?? { ns, group, resource, names: sortedNames, verbs: new Set<string>() };
    verbs.forEach((verb) => g.verbs.add(verb));
    this.byKey.set(key, g);
  }

  /** Rules by namespace; a verb granted on every object of a resource is dropped from its by-name rules. */
  rules(): Map<string, RbacRule[]> {
    const unrestricted = new Map<string, Set<string>>();
    for (const g of this.byKey.values()) {
      if (!g.names) unrestricted.set(JSON.stringify([g.ns, g.group, g.resource]), g.verbs);
    }
    const out = new Map<string, RbacRule[]>();
    const grants = [...this.byKey.values()].sort(
      (a, b) => byCodeUnit(a.ns, b.ns) || byCodeUnit(a.group, b.group) || byCodeUnit(a.resource, b.resource) || (a.names ? 1 : 0) - (b.names ? 1 : 0) || byCodeUnit(String(a.names), String(b.names)),
    );
    for (const g of grants) {
      const wide = g.names ? unrestricted.get(JSON.stringify([g.ns, g.group, g.resource])) : undefined;
      const verbs = VERB_ORDER.filter((verb) => g.verbs.has(verb) && !wide?.has(verb));
      if (!verbs.length) continue;
      const rules = out.get(g.ns) ?? [];
      rules.push({ apiGroups: [g.group], resources: [g.resource], verbs, ...(g.names ? { resourceNames: g.names } : {}) });
      out.set(g.ns, rules);
    }
    return new Map([...out.entries()].sort(([a], [b]) => byCodeUnit(a, b)));
  }
}

/**
 * What the runner's service account may do, by namespace; empty when no component needs the API
 * (a values file with only databases gets no Role and no token).
 *
 * Contract with the runner: objects listed by `names` (without a labelSelector) are read with GET
 * by name, never listed; restore creates missing objects with POST and, only with
 * `existing: replace`, changes existing ones with PATCH.
 */
export function rbacRules(v: Values): Map<string, RbacRule[]> {
  const grants = new Grants();
  const restore = v.restore;

  for (const c of v.components) {
    if (c.type !== 'kubernetes') continue;
    const ns = c.namespace ?? v.namespace;
    const restoring = !!restore && (!restore.components || restore.components.includes(c.name));
    for (const r of c.resources) {
      const group = apiGroupOf(r.apiVersion);
      const resource = r.plural ?? pluralize(r.kind);
      const byName = r.names?.length && !r.labelSelector ? r.names : undefined;
      if (byName) grants.add(ns, group, resource, ['get'], byName);
      else grants.add(ns, group, resource, ['get', 'list']);
      // A drill validates the objects with a server-side dry-run create (nothing is stored), which needs create.
      if (restoring || v.drill) {
        // create cannot be limited by resourceNames: the object does not exist yet.
        grants.add(ns, group, resource, ['create']);
      }
      if (restoring) {
        if (c.existing === 'replace') grants.add(ns, group, resource, ['patch'], byName);
      }
    }
    if (restoring) {
      for (const a of c.requireAbsent) {
        const resource = a.plural ?? pluralize(a.kind);
        if (a.name) grants.add(ns, apiGroupOf(a.apiVersion), resource, ['get'], [a.name]);
        else grants.add(ns, apiGroupOf(a.apiVersion), resource, ['get', 'list']);
      }
    }
  }

  if (restore?.rolloutRestart) {
    const ns = restore.rolloutRestart.namespace ?? v.namespace;
    for (const resource of ['deployments', 'statefulsets']) grants.add(ns, 'apps', resource, ['get', 'list', 'patch']);
  }

  const hooks = allHooks(v);
  for (const h of hooks) {
    if (h.type !== 'exec') continue;
    const ns = h.namespace ?? v.namespace;
    grants.add(ns, '', 'pods', ['get', 'list']);
    // WebSocket exec is a GET before Kubernetes 1.30 and is authorized as create from 1.31 on.
    grants.add(ns, '', 'pods/exec', ['create', 'get']);
  }

  if (restore || v.dropDatabase) {
    // The ledger of finished one-shot requests: the same restore or drop never runs twice.
    const ledger = backupSetNames(v).ledger;
    grants.add(v.namespace, '', 'configmaps', ['create']);
    grants.add(v.namespace, '', 'configmaps', ['get', 'patch', 'update'], [ledger]);
  }
  return grants.rules();
}

/**
 * Whether a runner pod needs a service account token. All pods share one account (its Role is
 * the union), but only pods that call the API mount a token: a database-only backup never does,
 * even while a restore request gives the account write access.
 */
export function needsApiAccess(v: Values, component: RunnerComponent): boolean {
  const exec = (hooks: readonly Hook[]) => hooks.some((h) => h.type === 'exec');
  switch (component) {
    case 'backup':
      return v.components.some((c) => c.type === 'kubernetes') || exec(v.hooks.preBackup) || exec(v.hooks.postBackup);
    case 'drill':
      // kubernetes components are checked by a server-side dry-run create.
      return v.components.some((c) => c.type === 'kubernetes') || exec(drillHooks(v));
    case 'verify':
      // restic and the repository only.
      return false;
    case 'restore':
    case 'drop-database':
      // The ledger of finished requests lives in a ConfigMap.
      return true;
  }
}
