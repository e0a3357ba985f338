// Turns an object read from the API into one that can be created again: no server-set or GitOps tracking fields.
import type { KubeObject } from './client.js';

/** Set by the API server; a create with them fails (resourceVersion) or lies (uid, timestamps). */
const SERVER_METADATA = [
  'uid',
  'resourceVersion',
  'generation',
  'managedFields',
  'creationTimestamp',
  'deletionTimestamp',
  'deletionGracePeriodSeconds',
  'selfLink',
];

/**
 * Annotations that describe a past apply or a GitOps controller's bookkeeping, not the object.
 * Argo CD's annotation tracking (the default since Argo CD 3.0) marks what an Application owns:
 * a restored object carrying another Application's id is pruned or flagged (velero#7848).
 * Argo's *policy* annotations (sync-options such as Prune=false, sync-wave, hooks) are the user's
 * intent and are kept.
 */
export const STRIPPED_ANNOTATIONS = ['kubectl.kubernetes.io/last-applied-configuration', 'argocd.argoproj.io/tracking-id', 'deployment.kubernetes.io/revision'];

/**
 * Tracking labels of GitOps controllers: Argo CD's label tracking when its instanceLabelKey is set
 * to argocd.argoproj.io/instance, and every Flux kustomize-/helm-controller label (those prefixes
 * carry only ownership: name and namespace of the Kustomization or HelmRelease).
 *
 * `app.kubernetes.io/instance` is deliberately KEPT: it is the recommended Kubernetes label that Helm
 * and most charts set and that Services, NetworkPolicies and selectors match on; stripping it would
 * break restored objects. It is also Argo CD's legacy default tracking label: an Argo CD installation
 * that still tracks by that label should switch to annotation tracking (stripped above) or set
 * `application.instanceLabelKey: argocd.argoproj.io/instance` (stripped here).
 */
export const STRIPPED_LABELS = ['argocd.argoproj.io/instance'];
export const STRIPPED_LABEL_PREFIXES = ['kustomize.toolkit.fluxcd.io/', 'helm.toolkit.fluxcd.io/'];

function withoutKeys(m: Record<string, string> | undefined, drop: (k: string) => boolean): Record<string, string> | undefined {
  if (!m) return undefined;
  const kept = Object.fromEntries(Object.entries(m).filter(([k]) => !drop(k)));
  return Object.keys(kept).length ? kept : undefined;
}

/** A copy without status, server-set metadata, owner references and tracking labels/annotations. Pure. */
export function cleanObject(o: KubeObject): KubeObject {
  const { status: _status, metadata = {}, ...rest } = structuredClone(o) as KubeObject & { status?: unknown };
  const meta: Record<string, unknown> = { ...metadata };
  for (const k of SERVER_METADATA) delete meta[k];
  // An owner's uid never matches after a restore: the garbage collector would delete the object.
  delete meta.ownerReferences;
  const labels = withoutKeys(metadata.labels, (k) => STRIPPED_LABELS.includes(k) || STRIPPED_LABEL_PREFIXES.some((p) => k.startsWith(p)));
  const annotations = withoutKeys(metadata.annotations, (k) => STRIPPED_ANNOTATIONS.includes(k));
  if (labels) meta.labels = labels;
  else delete meta.labels;
  if (annotations) meta.annotations = annotations;
  else delete meta.annotations;
  const out = { ...rest, metadata: meta } as KubeObject;
  cleanSpec(out);
  return out;
}

/** Fields the server allocates inside spec, which a re-created object must not claim. */
function cleanSpec(o: KubeObject): void {
  const spec = o.spec as Record<string, unknown> | undefined;
  if (!spec) return;
  if (o.apiVersion === 'v1' && o.kind === 'Service' && spec.clusterIP !== 'None') {
    delete spec.clusterIP;
    delete spec.clusterIPs;
  }
  if (o.apiVersion === 'v1' && o.kind === 'PersistentVolumeClaim') delete spec.volumeName;
}
