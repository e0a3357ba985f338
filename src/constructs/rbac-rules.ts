// The least privilege a backup set needs, as RBAC rules per namespace (pure: values in, rules out).
import type { Hook } from '../values/hooks.js';
import type { Values } from '../values/schema.js';
import { drillHooks } from '../values/rules.js';
import { backupSetNames, byCodeUnit, type RunnerComponent } from './names.js';

export interface RbacRule {
  readonly apiGroups: string[];
  readonly resources: string[];
  readonly verbs: string[];
  /**
   * Only these objects.
   * @default - every object of the resources
   */
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
      (a, b) =>
        byCodeUnit(a.ns, b.ns) ||
        byCodeUnit(a.group, b.group) ||
        byCodeUnit(a.resource, b.resource) ||
        (a.names ? 1 : 0) - (b.names ? 1 : 0) ||
        byCodeUnit(String(a.names), String(b.names)),
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

/** The operations that exist for these values, each with its own ServiceAccount and Role. */
export function operations(v: Values): RunnerComponent[] {
  const ops: RunnerComponent[] = ['backup'];
  if (v.drill) ops.push('drill');
  // A clone runs as a restore into this set's targets: the restore account, its Secrets and the request Role.
  if (v.restore || v.clone) ops.push('restore');
  if (v.dropDatabase) ops.push('drop-database');
  if (v.repository.protection) ops.push('maintenance');
  if (v.verify.enabled) ops.push('verify');
  if (v.copies?.length) ops.push('copy');
  return ops;
}

/** The hooks an operation runs. */
function hooksOf(v: Values, op: RunnerComponent): readonly Hook[] {
  if (op === 'backup') return [...v.hooks.preBackup, ...v.hooks.postBackup];
  if (op === 'restore') return [...v.hooks.preRestore, ...v.hooks.postRestore];
  if (op === 'drill') return drillHooks(v);
  return [];
}

/**
 * What one operation's service account may do, by namespace; empty when it never calls the API
 * (a database-only backup gets no Role and no token).
 *
 * Contract with the runner: objects listed by `names` (without a labelSelector) are read with GET
 * by name, never listed; restore creates missing objects with POST and, only with
 * `existing: replace`, changes existing ones with PATCH; a drill validates with a server-side
 * dry-run create (nothing is stored); exec hooks naming a `pod` get that pod only.
 */
export function rbacRulesFor(v: Values, op: RunnerComponent): Map<string, RbacRule[]> {
  const grants = new Grants();
  addGrants(grants, v, op);
  return grants.rules();
}

/** The union of every operation's rules (what a runner test's fake API server enforces for one context). */
export function rbacRules(v: Values): Map<string, RbacRule[]> {
  const grants = new Grants();
  for (const op of operations(v)) addGrants(grants, v, op);
  return grants.rules();
}

function addGrants(grants: Grants, v: Values, op: RunnerComponent): void {
  const restore = op === 'restore' ? v.restore : undefined;
  const readsObjects = op === 'backup' || op === 'drill' || op === 'restore';

  for (const c of readsObjects ? v.components : []) {
    if (c.type !== 'kubernetes') continue;
    const ns = c.namespace ?? v.namespace;
    const restoring = !!restore && (!restore.components || restore.components.includes(c.name));
    if (op === 'restore' && !restoring) continue;
    for (const r of c.resources) {
      const group = apiGroupOf(r.apiVersion);
      const resource = r.plural ?? pluralize(r.kind);
      const byName = r.names?.length && !r.labelSelector ? r.names : undefined;
      if (byName) grants.add(ns, group, resource, ['get'], byName);
      else grants.add(ns, group, resource, ['get', 'list']);
      // create cannot be limited by resourceNames: the object does not exist yet.
      if (op === 'drill' || restoring) grants.add(ns, group, resource, ['create']);
      if (restoring && c.existing === 'replace') grants.add(ns, group, resource, ['patch'], byName);
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
  // scaleDown: list the matches, patch spec.replicas to 0 and back, get to wait for their pods to go.
  if (restore?.scaleDown) {
    const ns = restore.scaleDown.namespace ?? v.namespace;
    for (const resource of ['deployments', 'statefulsets']) grants.add(ns, 'apps', resource, ['get', 'list', 'patch']);
  }

  for (const h of hooksOf(v, op)) {
    if (h.type !== 'exec') continue;
    const ns = h.namespace ?? v.namespace;
    const pod = h.pod ? [h.pod] : undefined;
    grants.add(ns, '', 'pods', pod ? ['get'] : ['get', 'list'], pod);
    // WebSocket exec is a GET before Kubernetes 1.30 and is authorized as create from 1.31 on.
    grants.add(ns, '', 'pods/exec', ['create', 'get'], pod);
  }

  // The ledger, the claim and the drop step of one-shot requests are in requestRbacRules and dropStepRbacRules:
  // Roles of their own that outlive the request.
}

/**
 * What the restore (and clone) Job of a one-shot request needs: create the ledger, the claim and the drop step
 * (create cannot be limited by name), read, patch, update and delete them by name. The names are fixed per set, so
 * the same rules serve every later request; they live in their own Role (request-rbac.ts), bound to the restore
 * account, that controllers never prune.
 */
export function requestRbacRules(v: Values): RbacRule[] {
  if (!v.restore && !v.dropDatabase && !v.clone) return [];
  const n = backupSetNames(v);
  const grants = new Grants();
  grants.add(v.namespace, '', 'configmaps', ['create']);
  grants.add(v.namespace, '', 'configmaps', ['get', 'patch', 'update', 'delete'], [n.claim, n.dropStep, n.ledger]);
  return grants.rules().get(v.namespace) ?? [];
}

/**
 * What the drop Job calls, and nothing else: it reads the claim for the restore's go-ahead, creates the drop step
 * (create cannot be limited by name: any ConfigMap name), and reports its outcome in it. It never reads the ledger,
 * never touches the claim, never deletes. Its own Role (`<prefix>-safehold-drop-step`), kept like the request Role.
 */
export function dropStepRbacRules(v: Values): RbacRule[] {
  if (!v.dropDatabase) return [];
  const n = backupSetNames(v);
  const grants = new Grants();
  grants.add(v.namespace, '', 'configmaps', ['create']);
  grants.add(v.namespace, '', 'configmaps', ['get'], [n.claim, n.dropStep]);
  grants.add(v.namespace, '', 'configmaps', ['update'], [n.dropStep]);
  return grants.rules().get(v.namespace) ?? [];
}

/** The operations whose rights outlive the request: the restore (request Role) and the drop (drop-step Role). */
export const REQUEST_OPERATIONS: readonly RunnerComponent[] = ['restore', 'drop-database'];

/** The rules of the Role that outlives the request, for one of the REQUEST_OPERATIONS. */
export const requestRulesOf = (v: Values, op: RunnerComponent): RbacRule[] =>
  op === 'drop-database' ? dropStepRbacRules(v) : op === 'restore' ? requestRbacRules(v) : [];

/** Whether an operation's pods mount a service account token: only when a Role grants it something. */
export function needsApiAccess(v: Values, op: RunnerComponent): boolean {
  return rbacRulesFor(v, op).size > 0 || requestRulesOf(v, op).length > 0;
}
