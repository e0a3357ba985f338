// The runner's Kubernetes API client: @kubernetes/client-node with raw JSON in and out, and errors that name the object.
import { ApiException, KubeConfig, KubernetesObjectApi, PatchStrategy, type KubernetesObject } from '@kubernetes/client-node';
import { SafeholdError } from '../../errors.js';

/** A Kubernetes object as the API serves it: kept as plain JSON, never through the client's typed models. */
export interface KubeObject {
  apiVersion?: string;
  kind?: string;
  metadata?: {
    name?: string;
    namespace?: string;
    labels?: Record<string, string>;
    annotations?: Record<string, string>;
    resourceVersion?: string;
    [k: string]: unknown;
  };
  [k: string]: unknown;
}
const asK8s = (o: KubeObject) => o as unknown as KubernetesObject;

export interface ObjectRef {
  readonly apiVersion: string;
  readonly kind: string;
  readonly namespace?: string;
  readonly name: string;
}

export const refOf = (o: KubeObject): ObjectRef => ({
  apiVersion: o.apiVersion!,
  kind: o.kind!,
  namespace: o.metadata?.namespace,
  name: o.metadata?.name ?? '',
});
/** `Secret astarte/astarte-devices-ca`: how objects are named in logs, plans and errors. */
export const describeRef = (r: ObjectRef): string => `${r.kind} ${r.namespace ? `${r.namespace}/` : ''}${r.name}`;

/** An API call failed: carries the HTTP code and the Status reason (NotFound, AlreadyExists, Conflict …). */
export class KubeError extends SafeholdError {
  constructor(
    readonly code: number,
    readonly reason: string,
    message: string,
  ) {
    super(message);
  }
}

/**
 * KubernetesObjectApi keeps the URL mapping and the discovery of plural names, but its typed models
 * drop fields they do not know and turn timestamps into Dates. A backup must store exactly what the
 * server said, so bodies go out and come back as plain JSON.
 */
class RawObjectApi extends KubernetesObjectApi {
  protected override async getSerializationType(): Promise<string> {
    return 'KubernetesObject';
  }

  /** Discovery: whether the server serves this kind (CRD installed), without reading any object. */
  async serves(apiVersion: string, kind: string): Promise<boolean> {
    return !!(await this.resource(apiVersion, kind));
  }

  protected override async processResponse<T extends KubernetesObject>(response: {
    httpStatusCode: number;
    body: { text(): Promise<string> };
    headers: Record<string, string>;
  }): Promise<T> {
    const text = await response.body.text();
    if (response.httpStatusCode >= 200 && response.httpStatusCode <= 299) return JSON.parse(text) as T;
    throw new ApiException(response.httpStatusCode, 'Unsuccessful HTTP Request', text, response.headers);
  }
}

/** Loads the API access: KUBECONFIG when set (local runs, tests), else the pod's service account. */
export function loadKubeConfig(env: NodeJS.ProcessEnv = process.env): KubeConfig {
  const kc = new KubeConfig();
  if (env.KUBECONFIG) kc.loadFromDefault();
  else if (env.KUBERNETES_SERVICE_HOST) kc.loadFromCluster();
  else {
    kc.loadFromDefault();
    if (kc.getCurrentCluster()?.server === 'http://localhost:8080') {
      throw new SafeholdError('no Kubernetes API configured: run in a cluster, or set KUBECONFIG');
    }
  }
  return kc;
}

function statusOf(e: ApiException<unknown>): { reason: string; message: string } {
  try {
    const s = JSON.parse(String(e.body)) as { reason?: string; message?: string };
    return { reason: s.reason ?? 'Unknown', message: s.message ?? `HTTP ${e.code}` };
  } catch {
    return { reason: 'Unknown', message: `HTTP ${e.code}` };
  }
}

/** Turns client errors into messages that name what was being done; never includes an object's body. */
export function kubeError(e: unknown, what: string): Error {
  if (e instanceof ApiException) {
    const s = statusOf(e);
    return new KubeError(e.code, s.reason, `${what}: ${s.message} (HTTP ${e.code} ${s.reason})`);
  }
  const msg = (e as Error)?.message ?? String(e);
  if (/Unrecognized API version and kind/.test(msg))
    return new KubeError(404, 'NotFound', `${what}: the API server does not serve this kind (is its CustomResourceDefinition installed?)`);
  return new SafeholdError(`${what}: ${msg.split('\n')[0]}`);
}

export class KubeClient {
  readonly api: RawObjectApi;

  constructor(readonly config: KubeConfig) {
    this.api = config.makeApiClient(RawObjectApi);
  }

  private header(r: ObjectRef): KubeObject {
    return { apiVersion: r.apiVersion, kind: r.kind, metadata: { name: r.name, ...(r.namespace ? { namespace: r.namespace } : {}) } };
  }

  /** The object, or undefined when the server says NotFound. */
  async get(r: ObjectRef): Promise<KubeObject | undefined> {
    try {
      return (await this.api.read(asK8s(this.header(r)) as KubernetesObject & { metadata: { name: string } })) as unknown as KubeObject;
    } catch (e) {
      if (e instanceof ApiException && e.code === 404) return undefined;
      throw kubeError(e, `get ${describeRef(r)}`);
    }
  }

  /** Lists a kind in a namespace; items get apiVersion and kind (the server omits them for built-in kinds). */
  async list(apiVersion: string, kind: string, namespace: string | undefined, labelSelector?: string): Promise<KubeObject[]> {
    try {
      const items: KubeObject[] = [];
      let cont: string | undefined;
      do {
        const page = (await this.api.list(apiVersion, kind, namespace, undefined, undefined, undefined, undefined, labelSelector, 500, cont)) as unknown as {
          items: KubeObject[];
          metadata?: { continue?: string };
        };
        items.push(...page.items.map((o) => ({ ...o, apiVersion, kind })));
        cont = page.metadata?.continue || undefined;
      } while (cont);
      return items;
    } catch (e) {
      throw kubeError(e, `list ${kind} in ${namespace ?? 'all namespaces'}${labelSelector ? ` with ${labelSelector}` : ''}`);
    }
  }

  /** Whether the API server serves this kind; discovery needs no RBAC on the objects. */
  async serves(apiVersion: string, kind: string): Promise<boolean> {
    try {
      return await this.api.serves(apiVersion, kind);
    } catch (e) {
      if (e instanceof ApiException && e.code === 404) return false;
      throw kubeError(e, `discover ${apiVersion} ${kind}`);
    }
  }

  async create(o: KubeObject, opts: { dryRun?: boolean } = {}): Promise<KubeObject> {
    try {
      return (await this.api.create(asK8s(o), undefined, opts.dryRun ? 'All' : undefined, 'safehold')) as unknown as KubeObject;
    } catch (e) {
      throw kubeError(e, `create ${describeRef(refOf(o))}${opts.dryRun ? ' (server-side dry run)' : ''}`);
    }
  }

  /** PUT: replaces the object; with metadata.resourceVersion set, only the version read (409 Conflict otherwise). */
  async replace(o: KubeObject): Promise<KubeObject> {
    try {
      return (await this.api.replace(asK8s(o), undefined, undefined, 'safehold')) as unknown as KubeObject;
    } catch (e) {
      throw kubeError(e, `update ${describeRef(refOf(o))}`);
    }
  }

  /** PATCH with a merge or strategic-merge body; the body carries apiVersion/kind/metadata.name for the URL. */
  async patch(r: ObjectRef, body: Record<string, unknown>, strategy: 'merge' | 'strategic' = 'merge'): Promise<KubeObject> {
    const h = this.header(r);
    const meta = { ...((body.metadata as object) ?? {}), ...h.metadata };
    try {
      return (await this.api.patch(
        asK8s({ ...body, apiVersion: r.apiVersion, kind: r.kind, metadata: meta }),
        undefined,
        undefined,
        'safehold',
        undefined,
        strategy === 'merge' ? PatchStrategy.MergePatch : PatchStrategy.StrategicMergePatch,
      )) as unknown as KubeObject;
    } catch (e) {
      throw kubeError(e, `patch ${describeRef(r)}`);
    }
  }
}

/** DELETE, optionally only if the object is still the version read (409 Conflict otherwise). */
export async function deleteObject(client: KubeClient, r: ObjectRef, preconditions: { resourceVersion?: string } = {}): Promise<void> {
  try {
    await client.api.delete(
      asK8s({ apiVersion: r.apiVersion, kind: r.kind, metadata: { name: r.name, ...(r.namespace ? { namespace: r.namespace } : {}) } }),
      undefined,
      undefined,
      undefined,
      undefined,
      undefined,
      { preconditions },
    );
  } catch (e) {
    if (e instanceof ApiException && e.code === 404) return;
    throw kubeError(e, `delete ${describeRef(r)}`);
  }
}

let cached: { key: string; client: KubeClient } | undefined;

/** One client per process and KUBECONFIG (discovery results are cached inside it). */
export function kubeClient(env: NodeJS.ProcessEnv = process.env): KubeClient {
  const key = `${env.KUBECONFIG ?? ''}|${env.KUBERNETES_SERVICE_HOST ?? ''}`;
  if (!cached || cached.key !== key) cached = { key, client: new KubeClient(loadKubeConfig(env)) };
  return cached.client;
}
