// A FAKE of the Kubernetes API — no API server can run on this machine kind (kube-apiserver and etcd
// are in none of the package registries it reaches, and there are no containers), so integration
// tests run the real @kubernetes/client-node against this node:http server. It implements exactly
// the REST endpoints safehold uses, the way the real server answers them:
//   discovery  GET /api, /api/v1, /apis, /apis/<g>, /apis/<g>/<v> (plural names, namespaced flag)
//   objects    GET list (labelSelector, fieldSelector metadata.name/namespace), GET, POST (201;
//              409 AlreadyExists; 404 when the namespace is missing; dryRun=All validates and stores
//              nothing), PUT (409 Conflict on a stale resourceVersion), PATCH merge-patch and
//              strategic-merge (415 for custom resources, like the real server), DELETE (finalizers
//              hold the object with a deletionTimestamp; DeleteOptions preconditions uid/resourceVersion
//              → 409 Conflict); a Job's spec.template is immutable (422 Invalid on PUT/PATCH);
//              404 NotFound Status bodies; server-set
//              uid, resourceVersion, creationTimestamp, generation, managedFields, status;
//              built-in list items without apiVersion/kind, custom resource items with them
//   exec       GET .../pods/<pod>/exec upgraded to a WebSocket (v4.channel.k8s.io): a registered
//              fake command runs and answers on channels 1/2/3
//   auth       a bearer token; optional Role rules (403 Forbidden like the RBAC authorizer); more tokens, each a
//              ServiceAccount with its own rules (account(): a kubeconfig for one pod's identity)
//   controller a kind's status.conditions[Ready] goes False at once, True N ms after create
//   admission  (fake-kube-admission.ts) for built-in kinds, on POST/PUT/PATCH: unknown fields → 400
//              "strict decoding error" under fieldValidation=Strict, dropped with a Warning header under
//              Warn (the default) and silently under Ignore — checked against @kubernetes/client-node 1.3's
//              models (generated from Kubernetes 1.33, standing in for 1.31: a field added in 1.32/1.33
//              passes); types, enums and required fields against the Kubernetes 1.27 schemas of
//              kubernetes-models 4.x → 422 Invalid with causes; immutable Job fields (template, selector,
//              completions, completionMode, podFailurePolicy, backoffLimitPerIndex, manualSelector) → 422
//              "field is immutable"; Pod Security admission of the namespace's
//              pod-security.kubernetes.io/enforce level (baseline, restricted: Pods → 403, workloads → a
//              warning, as the real plugin); a deleted Namespace stays Terminating (creates in it → 403
//              NamespaceTerminating) until the test calls finishNamespaceDeletion()
// Not implemented (safehold does not use them): watch, JSON patch, server-side apply, protobuf,
// pagination (lists return everything), admission webhooks, cluster-scoped RBAC, subresources other
// than exec. Admission does not model: CEL/OpenAPI validation of custom resources (CRD schemas are not
// available offline), the exact 1.31 schema, Pod Security's audit/warn labels and version pinning
// (always "latest"), the restricted profile's volume-type and sysctl checks, defaulting (no
// field is filled in), immutable fields of other kinds, and objects stored with seed() (the test's
// side) pass no admission at all.
import { randomBytes, randomUUID } from 'node:crypto';
import { writeFileSync } from 'node:fs';
import http from 'node:http';
import { createRequire } from 'node:module';
import type { Duplex } from 'node:stream';
import { join } from 'node:path';
import { dropFields, immutableChanges, invalid, loadSchemas, podSecurityViolations, podSpecOf, schemaProblems, unknownFields } from './fake-kube-admission.js';
import { allowed, fieldsMatch, labelsMatch, mergePatch, parseLabelSelector, status, strategicMergePatch, type Obj, type RbacRule } from './fake-kube-util.js';

export interface ResourceType {
  readonly group: string;
  readonly version: string;
  readonly kind: string;
  readonly plural: string;
  readonly namespaced: boolean;
}

export const BUILTIN_TYPES: readonly ResourceType[] = [
  { group: '', version: 'v1', kind: 'Namespace', plural: 'namespaces', namespaced: false },
  { group: '', version: 'v1', kind: 'Secret', plural: 'secrets', namespaced: true },
  { group: '', version: 'v1', kind: 'ConfigMap', plural: 'configmaps', namespaced: true },
  { group: '', version: 'v1', kind: 'Pod', plural: 'pods', namespaced: true },
  { group: '', version: 'v1', kind: 'Service', plural: 'services', namespaced: true },
  { group: '', version: 'v1', kind: 'ServiceAccount', plural: 'serviceaccounts', namespaced: true },
  { group: '', version: 'v1', kind: 'PersistentVolumeClaim', plural: 'persistentvolumeclaims', namespaced: true },
  { group: 'apps', version: 'v1', kind: 'Deployment', plural: 'deployments', namespaced: true },
  { group: 'apps', version: 'v1', kind: 'StatefulSet', plural: 'statefulsets', namespaced: true },
  { group: 'batch', version: 'v1', kind: 'Job', plural: 'jobs', namespaced: true },
  { group: 'batch', version: 'v1', kind: 'CronJob', plural: 'cronjobs', namespaced: true },
];

export interface ExecRequest {
  readonly namespace: string;
  readonly pod: string;
  readonly container: string;
  readonly command: string[];
}
export interface ExecResult {
  readonly stdout?: string;
  readonly stderr?: string;
  readonly exitCode?: number;
}
export type ExecHandler = (r: ExecRequest) => ExecResult | Promise<ExecResult>;

/** What happened, in order: creations, updates, deletions, controller status changes, execs. */
export interface ApiEvent {
  readonly seq: number;
  readonly at: number;
  readonly verb: string;
  readonly apiVersion: string;
  readonly kind: string;
  readonly namespace?: string;
  readonly name: string;
  readonly detail?: string;
}

interface Ctl {
  apiVersion: string;
  kind: string;
  condition: string;
  afterMs: number;
}

type WsLike = { send(d: Buffer): void; close(): void; on(ev: string, f: (...a: unknown[]) => void): void; readyState: number };
type WsServer = { handleUpgrade(req: http.IncomingMessage, s: Duplex, head: Buffer, cb: (ws: WsLike) => void): void; clients: Set<WsLike>; close(): void };
const { WebSocketServer } = createRequire(import.meta.url)('ws') as {
  WebSocketServer: new (o: { noServer: true; handleProtocols: (p: Set<string>) => string | false }) => WsServer;
};

const EXEC_PROTOCOLS = ['v4.channel.k8s.io', 'v3.channel.k8s.io', 'v2.channel.k8s.io', 'channel.k8s.io'];
const DNS1123_SUBDOMAIN = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$/;
const gvOf = (t: ResourceType) => (t.group ? `${t.group}/${t.version}` : t.version);
const isBuiltin = (t: ResourceType) => BUILTIN_TYPES.includes(t);
const now = () => new Date().toISOString().replace(/\.\d+Z$/, 'Z');
const clone = <T>(x: T): T => structuredClone(x);
/** Kinds whose objects get metadata.generation (the real server: apps and custom resources). */
const hasGeneration = (t: ResourceType) => t.group !== '';

class HttpError extends Error {
  constructor(readonly body: Obj) {
    super(body.message);
  }
}

export interface FakeKubeOptions {
  /** Custom resources served besides the built-in kinds (CRDs "installed"). */
  readonly types?: readonly ResourceType[];
  /** Namespaces that exist from the start (default: default). */
  readonly namespaces?: readonly string[];
}

export class FakeKube {
  readonly token = randomBytes(16).toString('hex');
  readonly events: ApiEvent[] = [];
  /** Every request: method, path and query, for checking which calls a run made. */
  readonly requests: Array<{ method: string; path: string; query: string }> = [];
  private readonly types: ResourceType[];
  private readonly store = new Map<string, Obj>();
  private readonly controllers: Ctl[] = [];
  private readonly execs = new Map<string, ExecHandler>();
  private readonly timers = new Set<NodeJS.Timeout>();
  private rbac: Map<string, RbacRule[]> | undefined;
  /** Tokens of ServiceAccounts with rules of their own (account()). */
  private readonly accounts = new Map<string, { name: string; rules: Map<string, RbacRule[]> }>();
  /** Who sends the request being answered: the default token (rules of enforceRbac) or an account. */
  private caller: { name: string; rules: Map<string, RbacRule[]> | undefined } = { name: 'safehold', rules: undefined };
  private rv = 100;
  /** Warning headers of the request being answered (unknown fields under Warn, Pod Security of workloads). */
  private warnings: string[] = [];
  private seq = 0;
  private server!: http.Server;
  private wss!: WsServer;
  port = 0;

  private constructor(o: FakeKubeOptions) {
    this.types = [...BUILTIN_TYPES, ...(o.types ?? [])];
  }

  static async start(o: FakeKubeOptions = {}): Promise<FakeKube> {
    const f = new FakeKube(o);
    await loadSchemas(BUILTIN_TYPES.map((t) => ({ apiVersion: gvOf(t), kind: t.kind })));
    for (const ns of o.namespaces ?? ['default']) f.seed({ apiVersion: 'v1', kind: 'Namespace', metadata: { name: ns } });
    f.wss = new WebSocketServer({ noServer: true, handleProtocols: (p) => EXEC_PROTOCOLS.find((x) => p.has(x)) ?? false });
    f.server = http.createServer((req, res) => void f.handle(req, res));
    f.server.on('upgrade', (req, socket, head) => void f.upgrade(req, socket, head));
    await new Promise<void>((r) => f.server.listen(0, '127.0.0.1', r));
    f.port = (f.server.address() as { port: number }).port;
    return f;
  }

  get url(): string {
    return `http://127.0.0.1:${this.port}`;
  }

  /** A kubeconfig for this server (token auth; plain HTTP needs insecure-skip-tls-verify in client-node). */
  writeKubeconfig(dir: string, namespace = 'default', token = this.token, file = join(dir, `kubeconfig-${this.port}`)): string {
    writeFileSync(
      file,
      JSON.stringify({
        apiVersion: 'v1',
        kind: 'Config',
        clusters: [{ name: 'fake', cluster: { server: this.url, 'insecure-skip-tls-verify': true } }],
        users: [{ name: 'fake', user: { token } }],
        contexts: [{ name: 'fake', context: { cluster: 'fake', user: 'fake', namespace } }],
        'current-context': 'fake',
      }),
      { mode: 0o600 },
    );
    return file;
  }

  async stop(): Promise<void> {
    this.timers.forEach((t) => clearTimeout(t));
    for (const c of this.wss.clients) c.close();
    this.wss.close();
    this.server.closeAllConnections();
    await new Promise<void>((r) => this.server.close(() => r()));
  }

  // ---------- the test's side: what a controller or kubectl would do ----------

  /** Stores an object as if created through the API (server-set fields added), keeping its status. */
  seed(o: Obj): Obj {
    const t = this.typeOf(o.apiVersion, o.kind);
    const obj = this.serverFields(t, clone(o), 'kubectl');
    if (o.status) obj.status = clone(o.status);
    this.store.set(this.key(t, obj.metadata.namespace, obj.metadata.name), obj);
    this.event('seed', t, obj);
    return clone(obj);
  }

  object(apiVersion: string, kind: string, namespace: string | undefined, name: string): Obj | undefined {
    const o = this.store.get(this.key(this.typeOf(apiVersion, kind), namespace, name));
    return o && clone(o);
  }

  objects(apiVersion: string, kind: string, namespace?: string): Obj[] {
    const t = this.typeOf(apiVersion, kind);
    return [...this.store.entries()]
      .filter(([k, o]) => k.startsWith(`${t.group}/${t.plural}/`) && (!namespace || o.metadata.namespace === namespace))
      .map(([, o]) => clone(o));
  }

  remove(apiVersion: string, kind: string, namespace: string | undefined, name: string): void {
    const t = this.typeOf(apiVersion, kind);
    const o = this.store.get(this.key(t, namespace, name));
    if (o) this.event('delete', t, o, 'by test');
    this.store.delete(this.key(t, namespace, name));
  }

  /** An operator: objects of this kind report `condition`=False at once and True `afterMs` after creation. */
  readyAfter(apiVersion: string, kind: string, afterMs: number, condition = 'Ready'): void {
    this.controllers.push({ apiVersion, kind, condition, afterMs });
  }

  /** Registers what a command run through exec does, by its program name (command[0]). */
  onExec(program: string, h: ExecHandler): void {
    this.execs.set(program, h);
  }

  /**
   * A ServiceAccount `name` bound to exactly these rules (by namespace), whatever enforceRbac says: a kubeconfig with
   * its own token, for running one pod with its own rights beside others (the RBAC authorizer sees the token's user).
   */
  account(dir: string, name: string, rules: Map<string, RbacRule[]>): string {
    const token = randomBytes(16).toString('hex');
    this.accounts.set(token, { name, rules });
    return this.writeKubeconfig(dir, 'default', token, join(dir, `kubeconfig-${this.port}-${name}`));
  }

  /** Enforces Role rules by namespace (as synthesized for the runner's ServiceAccount); undefined = allow all. */
  enforceRbac(rules: Map<string, RbacRule[]> | undefined): void {
    this.rbac = rules;
  }

  eventsOf(verb: string, kind?: string): ApiEvent[] {
    return this.events.filter((e) => e.verb === verb && (!kind || e.kind === kind));
  }

  // ---------- the server ----------

  private typeOf(apiVersion: string, kind: string): ResourceType {
    const t = this.types.find((x) => gvOf(x) === apiVersion && x.kind === kind);
    if (!t) throw new Error(`fake kube: no type ${apiVersion} ${kind}`);
    return t;
  }

  private key(t: ResourceType, ns: string | undefined, name: string): string {
    return `${t.group}/${t.plural}/${t.namespaced ? ns : ''}/${name}`;
  }

  private event(verb: string, t: ResourceType, o: Obj, detail?: string): void {
    this.events.push({
      seq: ++this.seq,
      at: Date.now(),
      verb,
      apiVersion: gvOf(t),
      kind: t.kind,
      namespace: o.metadata?.namespace,
      name: o.metadata?.name,
      ...(detail ? { detail } : {}),
    });
  }

  private serverFields(t: ResourceType, o: Obj, manager: string): Obj {
    const meta = (o.metadata ??= {});
    meta.uid = randomUUID();
    meta.resourceVersion = String(++this.rv);
    meta.creationTimestamp = now();
    if (hasGeneration(t)) meta.generation = 1;
    meta.managedFields = [{ manager, operation: 'Update', apiVersion: gvOf(t), time: now(), fieldsType: 'FieldsV1', fieldsV1: { 'f:metadata': {} } }];
    delete o.status;
    if (t.kind === 'Namespace') o.status = { phase: 'Active' };
    if (t.kind === 'Pod') o.status = { phase: 'Pending' };
    if (t.kind === 'Deployment' || t.kind === 'StatefulSet') o.status = { observedGeneration: 1, replicas: 0 };
    if (t.kind === 'Secret') {
      o.type ??= 'Opaque';
      if (o.stringData) {
        o.data = {
          ...(o.data ?? {}),
          ...Object.fromEntries(Object.entries(o.stringData as Record<string, string>).map(([k, v]) => [k, Buffer.from(v).toString('base64')])),
        };
        delete o.stringData;
      }
    }
    return o;
  }

  private async handle(req: http.IncomingMessage, res: http.ServerResponse): Promise<void> {
    const url = new URL(req.url ?? '/', this.url);
    this.requests.push({ method: req.method ?? 'GET', path: url.pathname, query: url.search });
    const send = (code: number, body: unknown) => {
      res.writeHead(code, { 'Content-Type': 'application/json' });
      res.end(JSON.stringify(body));
    };
    try {
      const caller = this.authenticate(req);
      const chunks: Buffer[] = [];
      for await (const c of req) chunks.push(c as Buffer);
      const raw = Buffer.concat(chunks).toString('utf8');
      // Set with nothing awaited before route() answers: requests in flight never see each other's caller.
      this.caller = caller;
      this.warnings = [];
      const [code, body] = this.route(req.method ?? 'GET', url, String(req.headers['content-type'] ?? ''), raw);
      if (this.warnings.length)
        res.setHeader(
          'Warning',
          this.warnings.map((w) => `299 - ${JSON.stringify(w)}`),
        );
      send(code, body);
    } catch (e) {
      if (e instanceof HttpError) send(e.body.code, e.body);
      else send(500, status(500, 'InternalError', `fake kube: ${(e as Error).message}`));
    }
  }

  private discovery(parts: string[]): Obj | undefined {
    const groups = [...new Set(this.types.filter((t) => t.group).map((t) => t.group))];
    const versionsOf = (g: string) => [...new Set(this.types.filter((t) => t.group === g).map((t) => t.version))];
    const resourceList = (g: string, v: string) => {
      const ts = this.types.filter((t) => t.group === g && t.version === v);
      if (!ts.length) return undefined;
      const res = ts.map((t) => ({
        name: t.plural,
        singularName: t.kind.toLowerCase(),
        namespaced: t.namespaced,
        kind: t.kind,
        verbs: ['create', 'delete', 'get', 'list', 'patch', 'update'],
      }));
      if (!g && v === 'v1') res.push({ name: 'pods/exec', singularName: '', namespaced: true, kind: 'PodExecOptions', verbs: ['create', 'get'] });
      return { kind: 'APIResourceList', apiVersion: 'v1', groupVersion: g ? `${g}/${v}` : v, resources: res };
    };
    const group = (g: string) => ({
      name: g,
      versions: versionsOf(g).map((v) => ({ groupVersion: `${g}/${v}`, version: v })),
      preferredVersion: { groupVersion: `${g}/${versionsOf(g)[0]}`, version: versionsOf(g)[0] },
    });
    if (parts.length === 1 && parts[0] === 'api')
      return { kind: 'APIVersions', versions: ['v1'], serverAddressByClientCIDRs: [{ clientCIDR: '0.0.0.0/0', serverAddress: `127.0.0.1:${this.port}` }] };
    if (parts.length === 2 && parts[0] === 'api') return resourceList('', parts[1]);
    if (parts.length === 1 && parts[0] === 'apis') return { kind: 'APIGroupList', apiVersion: 'v1', groups: groups.map(group) };
    if (parts.length === 2 && parts[0] === 'apis') return groups.includes(parts[1]) ? { kind: 'APIGroup', apiVersion: 'v1', ...group(parts[1]) } : undefined;
    if (parts.length === 3 && parts[0] === 'apis') return resourceList(parts[1], parts[2]);
    return undefined;
  }

  /** `/api/v1/...` or `/apis/g/v/...` → type, namespace, name, subresource. */
  private parse(parts: string[]): { t: ResourceType; ns?: string; name?: string; sub?: string } {
    const [g, v, rest] = parts[0] === 'api' ? ['', parts[1], parts.slice(2)] : [parts[1], parts[2], parts.slice(3)];
    let ns: string | undefined;
    let r = rest;
    if (r[0] === 'namespaces' && r.length >= 3) {
      ns = r[1];
      r = r.slice(2);
    }
    const t = this.types.find((x) => x.group === g && x.version === v && x.plural === r[0]);
    if (!t || r.length > 3) throw new HttpError(status(404, 'NotFound', 'the server could not find the requested resource'));
    if (t.namespaced !== !!ns && r.length > 1) throw new HttpError(status(404, 'NotFound', 'the server could not find the requested resource'));
    return { t, ns, name: r[1], sub: r[2] };
  }

  /** The bearer token names the caller: the default user (enforceRbac's rules) or an account(); else 401. */
  private authenticate(req: http.IncomingMessage): { name: string; rules: Map<string, RbacRule[]> | undefined } {
    const token = /^Bearer (.+)$/.exec(req.headers.authorization ?? '')?.[1];
    const account = token === undefined ? undefined : this.accounts.get(token);
    if (token !== this.token && !account) throw new HttpError(status(401, 'Unauthorized', 'Unauthorized'));
    return account ?? { name: 'safehold', rules: this.rbac };
  }

  private authorize(t: ResourceType, ns: string | undefined, verb: string, name?: string, resource = t.plural): void {
    const rbac = this.caller.rules;
    if (!rbac) return;
    const rules = (ns && rbac.get(ns)) || [];
    if (!allowed(rules, { group: t.group, resource, verb, name })) {
      const what = name ? `${resource}${t.group ? `.${t.group}` : ''} "${name}"` : `${resource}${t.group ? `.${t.group}` : ''}`;
      throw new HttpError(
        status(
          403,
          'Forbidden',
          `${what} is forbidden: User "system:serviceaccount:${ns}:${this.caller.name}" cannot ${verb} resource "${resource}" in API group "${t.group}" in the namespace "${ns}"`,
          { name, group: t.group, kind: resource },
        ),
      );
    }
  }

  private notFound(t: ResourceType, name: string): HttpError {
    return new HttpError(
      status(404, 'NotFound', `${t.plural}${t.group ? `.${t.group}` : ''} "${name}" not found`, { name, group: t.group || undefined, kind: t.plural }),
    );
  }

  private route(method: string, url: URL, contentType: string, raw: string): [number, unknown] {
    const parts = url.pathname.split('/').filter(Boolean).map(decodeURIComponent);
    const disc = method === 'GET' ? this.discovery(parts) : undefined;
    if (disc) return [200, disc];
    if (!['api', 'apis'].includes(parts[0])) throw new HttpError(status(404, 'NotFound', 'the server could not find the requested resource'));
    const { t, ns, name, sub } = this.parse(parts);
    const q = url.searchParams;
    const dryRun = q.get('dryRun');
    if (dryRun !== null && dryRun !== 'All') throw new HttpError(status(400, 'BadRequest', `Invalid dry run value: ${dryRun}`));
    if (sub === 'exec') throw new HttpError(status(400, 'BadRequest', 'Upgrade request required'));
    if (sub) throw new HttpError(status(404, 'NotFound', 'the server could not find the requested resource'));
    const body = (): Obj => {
      if (!/json/.test(contentType))
        throw new HttpError(
          status(415, 'UnsupportedMediaType', `the body of the request was in an unknown format - accepted media types include: application/json`),
        );
      try {
        return JSON.parse(raw) as Obj;
      } catch (e) {
        throw new HttpError(status(400, 'BadRequest', `error decoding request body: ${(e as Error).message}`));
      }
    };
    if (!name) {
      if (method === 'GET') {
        this.authorize(t, ns, 'list');
        return [200, this.list(t, ns, q.get('labelSelector') ?? '', q.get('fieldSelector') ?? '')];
      }
      if (method === 'POST') {
        this.authorize(t, ns, 'create');
        return [201, this.create(t, ns, this.admit(t, body(), q.get('fieldValidation')), dryRun === 'All', q.get('fieldManager') ?? 'unknown')];
      }
      throw new HttpError(status(405, 'MethodNotAllowed', `the server does not allow this method on the requested resource`));
    }
    const k = this.key(t, ns, name);
    const current = this.store.get(k);
    switch (method) {
      case 'GET':
        this.authorize(t, ns, 'get', name);
        if (!current) throw this.notFound(t, name);
        return [200, current];
      case 'PUT': {
        this.authorize(t, ns, 'update', name);
        if (!current) throw this.notFound(t, name);
        const next = body();
        if (next.metadata?.name !== name)
          throw new HttpError(status(400, 'BadRequest', `the name of the object (${next.metadata?.name}) does not match the name on the URL (${name})`));
        if (!isBuiltin(t) && !next.metadata?.resourceVersion)
          throw new HttpError(
            status(422, 'Invalid', `${t.kind} "${name}" is invalid: metadata.resourceVersion: Invalid value: 0x0: must be specified for an update`),
          );
        return [200, this.update(t, k, current, this.admit(t, next, q.get('fieldValidation'), current), dryRun === 'All', 'update')];
      }
      case 'PATCH': {
        this.authorize(t, ns, 'patch', name);
        if (!current) throw this.notFound(t, name);
        const p = body();
        let next: Obj;
        if (contentType.startsWith('application/merge-patch+json')) next = mergePatch(current, p) as Obj;
        else if (contentType.startsWith('application/strategic-merge-patch+json')) {
          if (!isBuiltin(t))
            throw new HttpError(
              status(
                415,
                'UnsupportedMediaType',
                'the body of the request was in an unknown format - accepted media types include: application/json-patch+json, application/merge-patch+json, application/apply-patch+yaml',
              ),
            );
          try {
            next = strategicMergePatch(current, p) as Obj;
          } catch (e) {
            throw new HttpError(status(400, 'BadRequest', (e as Error).message));
          }
        } else throw new HttpError(status(415, 'UnsupportedMediaType', `fake kube: patch type ${contentType} is not implemented`));
        if (p.metadata?.resourceVersion === undefined) next.metadata.resourceVersion = current.metadata.resourceVersion;
        return [200, this.update(t, k, current, this.admit(t, next, q.get('fieldValidation'), current), dryRun === 'All', 'patch')];
      }
      case 'DELETE': {
        this.authorize(t, ns, 'delete', name);
        if (!current) throw this.notFound(t, name);
        const pre = (raw ? (body().preconditions as Obj | undefined) : undefined) ?? {};
        for (const f of ['uid', 'resourceVersion'] as const) {
          if (pre[f] !== undefined && pre[f] !== current.metadata[f]) {
            throw new HttpError(
              status(
                409,
                'Conflict',
                `Operation cannot be fulfilled on ${t.plural}${t.group ? `.${t.group}` : ''} "${name}": the ${f === 'uid' ? 'UID' : 'ResourceVersion'} in the precondition (${pre[f]}) does not match the ${f === 'uid' ? 'UID' : 'ResourceVersion'} in record (${current.metadata[f]}). The object might have been modified`,
                { name, kind: t.plural },
              ),
            );
          }
        }
        // A namespace is Terminating (the namespace controller's finalizer) until the test finishes it.
        if (t.kind === 'Namespace' || current.metadata.finalizers?.length) {
          if (t.kind === 'Namespace') current.status = { phase: 'Terminating' };
          current.metadata.deletionTimestamp ??= now();
          current.metadata.deletionGracePeriodSeconds = 0;
          current.metadata.resourceVersion = String(++this.rv);
          this.event('terminating', t, current);
          return [200, current];
        }
        this.store.delete(k);
        this.event('delete', t, current);
        return [200, current];
      }
      default:
        throw new HttpError(status(405, 'MethodNotAllowed', 'the server does not allow this method on the requested resource'));
    }
  }

  /**
   * Field validation and schema checks before anything is stored: unknown fields → 400 under
   * fieldValidation=Strict (dropped with a warning under Warn, the default, silently under Ignore);
   * 1.27 schema problems → 422; immutable Job fields changed → 422.
   */
  private admit(t: ResourceType, o: Obj, fieldValidation: string | null, current?: Obj): Obj {
    if (fieldValidation !== null && !['Strict', 'Warn', 'Ignore'].includes(fieldValidation)) {
      throw new HttpError(status(400, 'BadRequest', `fieldValidation must be one of "Ignore", "Warn", or "Strict", got "${fieldValidation}"`));
    }
    if (!isBuiltin(t)) return o;
    const full = { ...o, apiVersion: o.apiVersion ?? gvOf(t), kind: o.kind ?? t.kind };
    const unknown = unknownFields(full);
    if (unknown.length && fieldValidation === 'Strict') {
      throw new HttpError(status(400, 'BadRequest', `strict decoding error: ${unknown.map((f) => `unknown field "${f}"`).join(', ')}`));
    }
    if (unknown.length) {
      if (fieldValidation !== 'Ignore') this.warnings.push(...unknown.map((f) => `unknown field "${f}"`));
      dropFields(o, unknown);
    }
    const name = o.metadata?.name ?? current?.metadata?.name ?? '';
    const problems = schemaProblems({ ...o, apiVersion: gvOf(t), kind: t.kind, metadata: { ...o.metadata, name: name || 'x' } });
    if (problems.length)
      throw new HttpError(
        invalid(
          t.group,
          t.plural,
          t.kind,
          name,
          problems.map((p) => ({ field: p.split(': ')[0], message: p.split(': ').slice(1).join(': ') })),
        ),
      );
    if (current) {
      const changed = immutableChanges(t.kind, current, o);
      if (changed.length)
        throw new HttpError(
          invalid(
            t.group,
            t.plural,
            t.kind,
            name,
            changed.map((field) => ({ field, message: 'field is immutable' })),
          ),
        );
    }
    return o;
  }

  /** Pod Security admission of the namespace's enforce level: Pods are refused (403), workloads only warned. */
  private podSecurity(t: ResourceType, o: Obj, namespace: Obj): void {
    const level = namespace.metadata.labels?.['pod-security.kubernetes.io/enforce'];
    const spec = level ? podSpecOf(o) : undefined;
    if (!spec) return;
    const violations = podSecurityViolations(level, spec);
    if (!violations.length) return;
    const what = `violates PodSecurity "${level}:latest": ${violations.join(', ')}`;
    if (t.kind === 'Pod')
      throw new HttpError(status(403, 'Forbidden', `pods "${o.metadata?.name ?? ''}" is forbidden: ${what}`, { name: o.metadata?.name, kind: 'pods' }));
    this.warnings.push(`would violate PodSecurity "${level}:latest": ${violations.join(', ')}`);
  }

  /** The namespace controller's work: everything in a Terminating namespace is removed, then the namespace. */
  finishNamespaceDeletion(ns: string): void {
    for (const [k, o] of this.store) if (o.metadata.namespace === ns) this.store.delete(k);
    this.store.delete(this.key(this.typeOf('v1', 'Namespace'), undefined, ns));
  }

  private list(t: ResourceType, ns: string | undefined, labelSelector: string, fieldSelector: string): Obj {
    let reqs;
    try {
      reqs = parseLabelSelector(labelSelector);
    } catch (e) {
      throw new HttpError(status(400, 'BadRequest', `unable to parse requirement: ${(e as Error).message}`));
    }
    const items = [...this.store.entries()]
      .filter(([key, o]) => key.startsWith(`${t.group}/${t.plural}/`) && (!ns || o.metadata.namespace === ns))
      .map(([, o]) => o)
      .filter((o) => labelsMatch(o.metadata.labels, reqs) && fieldsMatch(o, fieldSelector))
      .sort((a, b) => `${a.metadata.namespace}/${a.metadata.name}`.localeCompare(`${b.metadata.namespace}/${b.metadata.name}`))
      .map((o) => {
        if (!isBuiltin(t)) return o;
        const { apiVersion: _a, kind: _k, ...rest } = o;
        return rest;
      });
    return { kind: `${t.kind}List`, apiVersion: gvOf(t), metadata: { resourceVersion: String(this.rv) }, items };
  }

  private create(t: ResourceType, ns: string | undefined, o: Obj, dryRun: boolean, manager: string): Obj {
    if (o.apiVersion !== gvOf(t))
      throw new HttpError(status(400, 'BadRequest', `the API version in the data (${o.apiVersion}) does not match the expected API version (${gvOf(t)})`));
    if (o.kind !== t.kind) throw new HttpError(status(400, 'BadRequest', `the kind in the data (${o.kind}) does not match the expected kind (${t.kind})`));
    const meta = (o.metadata ??= {});
    if (t.namespaced) {
      if (meta.namespace && meta.namespace !== ns)
        throw new HttpError(status(400, 'BadRequest', 'the namespace of the provided object does not match the namespace sent on the request'));
      meta.namespace = ns;
      const namespace = this.store.get(this.key(this.typeOf('v1', 'Namespace'), undefined, ns!));
      if (!namespace) throw new HttpError(status(404, 'NotFound', `namespaces "${ns}" not found`, { name: ns, kind: 'namespaces' }));
      if (namespace.metadata.deletionTimestamp) {
        const message = `unable to create new content in namespace ${ns} because it is being terminated`;
        throw new HttpError(
          status(403, 'Forbidden', `${t.plural}${t.group ? `.${t.group}` : ''} "${meta.name ?? ''}" is forbidden: ${message}`, {
            name: meta.name,
            group: t.group || undefined,
            kind: t.plural,
            causes: [{ reason: 'NamespaceTerminating', message, field: 'metadata.namespace' }],
          }),
        );
      }
      this.podSecurity(t, o, namespace);
    }
    if (!meta.name && meta.generateName) meta.name = `${meta.generateName}${randomBytes(3).toString('hex').slice(0, 5)}`;
    if (!meta.name) throw new HttpError(status(422, 'Invalid', `${t.kind} "" is invalid: metadata.name: Required value: name or generateName is required`));
    if (!DNS1123_SUBDOMAIN.test(meta.name) || meta.name.length > 253)
      throw new HttpError(
        status(
          422,
          'Invalid',
          `${t.kind} "${meta.name}" is invalid: metadata.name: Invalid value: "${meta.name}": a lowercase RFC 1123 subdomain must consist of lower case alphanumeric characters, '-' or '.'`,
        ),
      );
    if (meta.resourceVersion) throw new HttpError(status(500, 'InternalError', 'resourceVersion should not be set on objects to be created'));
    if (t.kind === 'Secret') {
      for (const [key, v] of Object.entries((o.data ?? {}) as Record<string, string>)) {
        if (typeof v !== 'string' || Buffer.from(v, 'base64').toString('base64') !== v)
          throw new HttpError(status(422, 'Invalid', `Secret "${meta.name}" is invalid: data[${key}]: Invalid value: illegal base64 data`));
      }
    }
    const k = this.key(t, ns, meta.name);
    if (this.store.has(k))
      throw new HttpError(
        status(409, 'AlreadyExists', `${t.plural}${t.group ? `.${t.group}` : ''} "${meta.name}" already exists`, {
          name: meta.name,
          group: t.group || undefined,
          kind: t.plural,
        }),
      );
    const obj = this.serverFields(t, clone(o), manager);
    if (dryRun) {
      delete obj.metadata.resourceVersion;
      return obj;
    }
    this.store.set(k, obj);
    this.event('create', t, obj);
    this.startController(t, k, obj);
    return obj;
  }

  private update(t: ResourceType, k: string, current: Obj, next: Obj, dryRun: boolean, verb: string): Obj {
    if (next.metadata?.resourceVersion && next.metadata.resourceVersion !== current.metadata.resourceVersion) {
      throw new HttpError(
        status(
          409,
          'Conflict',
          `Operation cannot be fulfilled on ${t.plural}${t.group ? `.${t.group}` : ''} "${current.metadata.name}": the object has been modified; please apply your changes to the latest version and try again`,
          { name: current.metadata.name, kind: t.plural },
        ),
      );
    }
    if (t.kind === 'Job' && t.group === 'batch' && JSON.stringify(current.spec?.template) !== JSON.stringify(next.spec?.template)) {
      throw new HttpError(
        status(422, 'Invalid', `Job.batch "${current.metadata.name}" is invalid: spec.template: Invalid value: field is immutable`, {
          name: current.metadata.name,
          group: 'batch',
          kind: 'Job',
        }),
      );
    }
    const obj = clone(next);
    obj.apiVersion = current.apiVersion;
    obj.kind = current.kind;
    for (const f of ['uid', 'creationTimestamp', 'name', 'namespace', 'generation', 'deletionTimestamp']) {
      if (current.metadata[f] === undefined) delete obj.metadata[f];
      else obj.metadata[f] = current.metadata[f];
    }
    // Status belongs to the status subresource: writes to the main resource leave it as it is.
    if (current.status === undefined) delete obj.status;
    else obj.status = clone(current.status);
    if (hasGeneration(t) && JSON.stringify(current.spec) !== JSON.stringify(obj.spec)) obj.metadata.generation = (current.metadata.generation ?? 0) + 1;
    obj.metadata.resourceVersion = String(++this.rv);
    obj.metadata.managedFields = [
      ...(current.metadata.managedFields ?? []),
      { manager: 'safehold', operation: 'Update', apiVersion: gvOf(t), time: now(), fieldsType: 'FieldsV1', fieldsV1: {} },
    ];
    if (dryRun) return obj;
    this.store.set(k, obj);
    this.event(verb, t, obj);
    return obj;
  }

  private startController(t: ResourceType, k: string, obj: Obj): void {
    for (const c of this.controllers.filter((x) => x.apiVersion === gvOf(t) && x.kind === t.kind)) {
      const uid = obj.metadata.uid;
      const set = (value: 'True' | 'False', reason: string) => {
        const o = this.store.get(k);
        if (!o || o.metadata.uid !== uid) return;
        const conditions = ((o.status ??= {}).conditions ?? []).filter((x: Obj) => x.type !== c.condition);
        o.status.conditions = [...conditions, { type: c.condition, status: value, reason, message: `fake controller: ${reason}`, lastTransitionTime: now() }];
        o.metadata.resourceVersion = String(++this.rv);
        this.event('status', t, o, `${c.condition}=${value}`);
      };
      const later = (ms: number, f: () => void) => {
        const timer = setTimeout(() => {
          this.timers.delete(timer);
          f();
        }, ms);
        this.timers.add(timer);
      };
      later(0, () => set('False', 'Reconciling'));
      later(c.afterMs, () => set('True', 'Ready'));
    }
  }

  // ---------- exec over WebSocket ----------

  private refuse(socket: Duplex, code: number, body: Obj): void {
    const text = JSON.stringify(body);
    socket.end(
      `HTTP/1.1 ${code} ${http.STATUS_CODES[code]}\r\nContent-Type: application/json\r\nContent-Length: ${Buffer.byteLength(text)}\r\nConnection: close\r\n\r\n${text}`,
    );
  }

  private async upgrade(req: http.IncomingMessage, socket: Duplex, head: Buffer): Promise<void> {
    const url = new URL(req.url ?? '/', this.url);
    this.requests.push({ method: 'GET', path: url.pathname, query: url.search });
    try {
      this.caller = this.authenticate(req);
      const parts = url.pathname.split('/').filter(Boolean).map(decodeURIComponent);
      const { t, ns, name, sub } = this.parse(parts);
      if (t.kind !== 'Pod' || sub !== 'exec' || !name) throw new HttpError(status(400, 'BadRequest', 'only pods/exec is upgraded by the fake'));
      this.authorize(t, ns, 'create', name, 'pods/exec');
      const pod = this.store.get(this.key(t, ns, name));
      if (!pod) throw this.notFound(t, name);
      const containers: string[] = (pod.spec?.containers ?? []).map((c: Obj) => c.name);
      const container = url.searchParams.get('container') ?? containers[0];
      if (!containers.includes(container)) throw new HttpError(status(400, 'BadRequest', `container ${container} is not valid for pod ${name}`));
      if (pod.status?.phase !== 'Running') throw new HttpError(status(400, 'BadRequest', `unable to upgrade connection: container not found ("${container}")`));
      const command = url.searchParams.getAll('command');
      this.wss.handleUpgrade(req, socket, head, (ws) => void this.runExec(ws, { namespace: ns!, pod: name, container, command }));
    } catch (e) {
      const body = e instanceof HttpError ? e.body : status(500, 'InternalError', (e as Error).message);
      this.refuse(socket, body.code, body);
    }
  }

  private async runExec(ws: WsLike, r: ExecRequest): Promise<void> {
    const t = this.typeOf('v1', 'Pod');
    let open = true;
    ws.on('close', () => {
      if (open) this.event('exec-aborted', t, { metadata: { namespace: r.namespace, name: r.pod } }, r.command.join(' '));
      open = false;
    });
    this.event('exec', t, { metadata: { namespace: r.namespace, name: r.pod } }, r.command.join(' '));
    const frame = (channel: number, data: string | Buffer) => Buffer.concat([Buffer.from([channel]), Buffer.from(data)]);
    const h = this.execs.get(r.command[0]);
    let result: ExecResult;
    try {
      result = h ? await h(r) : { stderr: `OCI runtime exec failed: exec: "${r.command[0]}": executable file not found in $PATH: unknown`, exitCode: 126 };
    } catch (e) {
      result = { stderr: String((e as Error).message), exitCode: 1 };
    }
    if (!open) return;
    if (result.stdout) ws.send(frame(1, result.stdout));
    if (result.stderr) ws.send(frame(2, result.stderr));
    const code = result.exitCode ?? 0;
    const st =
      code === 0
        ? { metadata: {}, status: 'Success' }
        : {
            metadata: {},
            status: 'Failure',
            message: `command terminated with non-zero exit code: error executing command [${r.command.join(' ')}], exit code ${code}`,
            reason: 'NonZeroExitCode',
            details: { causes: [{ reason: 'ExitCode', message: String(code) }] },
          };
    ws.send(frame(3, JSON.stringify(st)));
    open = false;
    ws.close();
  }
}

/** Starts a fake and points this process's KUBECONFIG at it (the runner's client reads KUBECONFIG). */
export async function startFakeKube(o: FakeKubeOptions & { dir: string }): Promise<FakeKube> {
  const f = await FakeKube.start(o);
  process.env.KUBECONFIG = f.writeKubeconfig(o.dir);
  return f;
}
