// What the fake API server refuses before it stores an object, the way a real one does: unknown fields
// (fieldValidation=Strict → 400; Warn, the default, and Ignore drop them), the Kubernetes 1.27 schema
// (kubernetes-models 4.x: types, enums, required fields → 422), unknown fields against the newer schema in
// @kubernetes/client-node 1.3 (generated from Kubernetes 1.33: it stands in for 1.31, a superset), immutable Job
// fields (422), and Pod Security admission of the namespace's enforce level (Pods → 403; workloads → a warning).
import * as models from '@kubernetes/client-node';
import { status, type Obj } from './fake-kube-util.js';

type Attr = { name: string; baseName: string; type: string };
type Model = { getAttributeTypeMap(): Attr[] };
const modelOf = (type: string): Model | undefined => (models as unknown as Record<string, Model | undefined>)[type];
/** client-node's model name of a built-in kind: V1Job, V1ConfigMap. */
const modelName = (apiVersion: string, kind: string) => `${apiVersion.split('/').pop()!.replace(/^v/, 'V')}${kind}`;

/** Paths (`spec.template.spec.foo`) of fields the newer schema does not know; metadata/status are walked as well. */
export function unknownFields(o: Obj): string[] {
  const root = modelOf(modelName(o.apiVersion, o.kind));
  if (!root) return [];
  const out: string[] = [];
  const walk = (x: unknown, type: string, path: string) => {
    if (x === null || x === undefined) return;
    const arr = /^Array<(.+)>$/.exec(type);
    if (arr) {
      if (Array.isArray(x)) x.forEach((v, i) => walk(v, arr[1], `${path}[${i}]`));
      return;
    }
    const map = /^\{ \[key: string\]: (.+); \}$/.exec(type);
    if (map) {
      if (x && typeof x === 'object') for (const [k, v] of Object.entries(x)) walk(v, map[1], `${path}[${k}]`);
      return;
    }
    const m = modelOf(type);
    if (!m || typeof x !== 'object' || Array.isArray(x)) return;
    const attrs = m.getAttributeTypeMap();
    for (const [k, v] of Object.entries(x as Obj)) {
      const a = attrs.find((y) => y.baseName === k);
      const p = path ? `${path}.${k}` : k;
      if (!a) out.push(p);
      else walk(v, a.type, p);
    }
  };
  walk(o, modelName(o.apiVersion, o.kind), '');
  return out.filter((p) => p !== 'apiVersion' && p !== 'kind');
}

/** Removes the fields at the given paths (what a real server does with unknown fields under Warn/Ignore). */
export function dropFields(o: Obj, paths: readonly string[]): void {
  for (const p of paths) {
    const keys = p.split(/\.|\[|\]/).filter(Boolean);
    let cur: Obj | undefined = o;
    for (const k of keys.slice(0, -1)) cur = cur?.[k];
    if (cur && typeof cur === 'object') delete cur[keys[keys.length - 1]];
  }
}

const v127 = new Map<string, new (d: Obj) => { validate(): void }>();
/** Loads the 1.27 model classes (kubernetes-models 4.x) for the kinds the fake serves; once, before serving. */
export async function loadSchemas(kinds: ReadonlyArray<{ apiVersion: string; kind: string }>): Promise<void> {
  for (const { apiVersion, kind } of kinds) {
    const mod = (await import(`kubernetes-models/${apiVersion}`).catch(() => undefined)) as Record<string, new (d: Obj) => { validate(): void }> | undefined;
    if (mod?.[kind]) v127.set(`${apiVersion} ${kind}`, mod[kind]);
  }
}

/** What the 1.27 schema refuses (types, enums, required fields), as `path: problem`. */
export function schemaProblems(o: Obj): string[] {
  const Model = v127.get(`${o.apiVersion} ${o.kind}`);
  if (!Model) return [];
  try {
    new Model(o).validate();
    return [];
  } catch (e) {
    const errs = (e as { errors?: Array<{ instancePath: string; message?: string }> }).errors;
    return errs?.length ? errs.map((x) => `${x.instancePath.replace(/^\//, '').replace(/\//g, '.') || '<root>'}: ${x.message}`) : [(e as Error).message];
  }
}

/** Job fields a real server refuses to change (apis/batch/validation: ValidateJobSpecUpdate). */
const JOB_IMMUTABLE = ['selector', 'template', 'completions', 'completionMode', 'podFailurePolicy', 'backoffLimitPerIndex', 'manualSelector'];

export function immutableChanges(kind: string, current: Obj, next: Obj): string[] {
  if (kind !== 'Job') return [];
  const same = (a: unknown, b: unknown) => JSON.stringify(a ?? null) === JSON.stringify(b ?? null);
  // The server defaults these; an update that leaves them out changes nothing.
  return JOB_IMMUTABLE.filter((f) => next.spec?.[f] !== undefined && !same(current.spec?.[f], next.spec?.[f])).map((f) => `spec.${f}`);
}

/** A 422 Invalid Status as the real server writes it: one cause per field. */
export function invalid(group: string, plural: string, kind: string, name: string, causes: Array<{ field: string; message: string; reason?: string }>): Obj {
  const qualified = group ? `${kind}.${group}` : kind;
  const message = `${qualified} "${name}" is invalid: ${causes.map((c) => `${c.field}: ${c.message}`).join(', ')}`;
  return status(422, 'Invalid', message, {
    name,
    group: group || undefined,
    kind: plural,
    causes: causes.map((c) => ({ reason: c.reason ?? 'FieldValueInvalid', message: c.message, field: c.field })),
  });
}

/** The pod spec a kind carries (Pod, a workload's template, a CronJob's job template). */
export function podSpecOf(o: Obj): Obj | undefined {
  if (o.kind === 'Pod') return o.spec;
  if (o.kind === 'CronJob') return o.spec?.jobTemplate?.spec?.template?.spec;
  return o.spec?.template?.spec;
}

/** Pod Security Standards (baseline and restricted, "latest"): the checks and messages of the admission plugin. */
export function podSecurityViolations(level: string, spec: Obj): string[] {
  if (level !== 'baseline' && level !== 'restricted') return [];
  const out: string[] = [];
  const containers: Obj[] = [...(spec.initContainers ?? []), ...(spec.containers ?? [])];
  const psc = spec.securityContext ?? {};
  const names = (f: (c: Obj) => boolean) => containers.filter(f).map((c) => `"${c.name}"`);
  const list = (n: string[]) => `${n.length === 1 ? 'container' : 'containers'} ${n.join(', ')}`;
  if (spec.hostNetwork || spec.hostPID || spec.hostIPC) out.push('host namespaces (hostNetwork=true, hostPID=true or hostIPC=true)');
  const priv = names((c) => c.securityContext?.privileged === true);
  if (priv.length) out.push(`privileged (${list(priv)} must not set securityContext.privileged=true)`);
  const hostPath = (spec.volumes ?? []).filter((v: Obj) => v.hostPath).map((v: Obj) => `"${v.name}"`);
  if (hostPath.length) out.push(`hostPath volumes (volumes ${hostPath.join(', ')})`);
  if (level === 'restricted') {
    const ape = names((c) => c.securityContext?.allowPrivilegeEscalation !== false);
    if (ape.length) out.push(`allowPrivilegeEscalation != false (${list(ape)} must set securityContext.allowPrivilegeEscalation=false)`);
    const caps = names((c) => !(c.securityContext?.capabilities?.drop ?? []).includes('ALL'));
    if (caps.length) out.push(`unrestricted capabilities (${list(caps)} must set securityContext.capabilities.drop=["ALL"])`);
    const nonRoot = names((c) => (c.securityContext?.runAsNonRoot ?? psc.runAsNonRoot) !== true);
    if (nonRoot.length) out.push(`runAsNonRoot != true (pod or ${list(nonRoot)} must set securityContext.runAsNonRoot=true)`);
    const seccomp = names((c) => !['RuntimeDefault', 'Localhost'].includes(c.securityContext?.seccompProfile?.type ?? psc.seccompProfile?.type));
    if (seccomp.length) out.push(`seccompProfile (pod or ${list(seccomp)} must set securityContext.seccompProfile.type to "RuntimeDefault" or "Localhost")`);
  }
  return out;
}
