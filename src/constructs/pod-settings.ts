// The pod settings one operation's pods get: the set's, merged with operations.<op> (docs/running-in-your-cluster.md).
import { k8s } from 'cdk8s-plus-27';
import { podSettingsShape, type ContainerSecurityContextValues, type PodSecurityContextValues, type PodSettings } from '../values/pod-settings.js';
import type { Values } from '../values/schema.js';
import type { RunnerComponent } from './names.js';
import { restrictedContainerSecurityContext, restrictedPodSecurityContext } from './pod-security.js';

/** The `operations:` key of a runner operation. */
export function operationKey(op: RunnerComponent): keyof Values['operations'] {
  return op === 'drop-database' ? 'drop' : op;
}

/** How a pod mounts the `files` components' volumes. */
export type DataMounts = 'none' | 'read-only' | 'writable';

/** The set-level fields that are pod settings (the block of `operations.<op>`; resources are resolved apart). */
const POD_SETTING_KEYS = (Object.keys(podSettingsShape) as Array<keyof PodSettings>).filter((k) => k !== 'resources');

const MERGED = ['nodeSelector', 'podAnnotations', 'podLabels', 'podSecurityContext', 'securityContext'] as const;

/** The files components' own podSecurityContext (the application's user), when they name one. */
function filesUser(v: Values): PodSecurityContextValues | undefined {
  const own = v.components.flatMap((c) => (c.type === 'files' && c.podSecurityContext ? [c.podSecurityContext] : []));
  return own.length ? Object.assign({}, ...own) : undefined;
}

/**
 * The effective settings of one operation: maps and security contexts merge key by key (operation wins), every other
 * setting is replaced. The files components' podSecurityContext sits between the set's and the operation's for the
 * pods that mount their volumes. `resources` always resolves (the set's has a default).
 */
export function podSettingsFor(v: Values, op: RunnerComponent, data: DataMounts = 'none'): PodSettings & { resources: NonNullable<PodSettings['resources']> } {
  const o: PodSettings = v.operations[operationKey(op)] ?? {};
  const set: PodSettings = { ...pickSettings(v), resources: v.resources };
  const out: Record<string, unknown> = { ...set };
  for (const [k, val] of Object.entries(o)) if (val !== undefined) out[k] = val;
  for (const k of MERGED) {
    const layers = [set[k], k === 'podSecurityContext' && data !== 'none' ? filesUser(v) : undefined, o[k]].filter((x) => x !== undefined);
    out[k] = layers.length ? Object.assign({}, ...layers) : undefined;
  }
  return out as PodSettings & { resources: NonNullable<PodSettings['resources']> };
}

function pickSettings(v: Values): PodSettings {
  return Object.fromEntries(POD_SETTING_KEYS.map((k) => [k, v[k]])) as PodSettings;
}

/**
 * The pod securityContext: restricted defaults, then what the user wrote. OpenShift leaves UID/GID/fsGroup to the SCC;
 * pods that mount files volumes get no fsGroup (the kubelet would re-own the production volume) unless one is written.
 */
export function podSecurityContextFor(platform: Values['platform'], written: PodSecurityContextValues | undefined, data: DataMounts): k8s.PodSecurityContext {
  const base: { -readonly [K in keyof k8s.PodSecurityContext]: k8s.PodSecurityContext[K] } = { ...restrictedPodSecurityContext() };
  const drop = (...keys: Array<keyof k8s.PodSecurityContext>) => keys.forEach((k) => delete base[k]);
  if (platform === 'openshift') drop('runAsUser', 'runAsGroup', 'fsGroup', 'fsGroupChangePolicy');
  if (data !== 'none') drop('fsGroup', 'fsGroupChangePolicy');
  const out: typeof base = { ...base, ...(written as k8s.PodSecurityContext | undefined) };
  if (out.fsGroup === undefined) delete out.fsGroupChangePolicy;
  else out.fsGroupChangePolicy ??= 'OnRootMismatch';
  return out;
}

/** A container securityContext: restricted defaults, then what the user wrote (capabilities replace as a whole). */
export function containerSecurityContextFor(written: ContainerSecurityContextValues | undefined): k8s.SecurityContext {
  return { ...restrictedContainerSecurityContext(), ...(written as k8s.SecurityContext | undefined) };
}

/** `a=b,c!=d` as a Kubernetes label selector. */
export function labelSelectorOf(selector: string): k8s.LabelSelector {
  const matchLabels: Record<string, string> = {};
  const matchExpressions: k8s.LabelSelectorRequirement[] = [];
  for (const part of selector
    .split(',')
    .map((p) => p.trim())
    .filter(Boolean)) {
    const m = /^([^=!\s]+)\s*(==|=|!=)\s*(.*)$/.exec(part)!;
    if (m[2] === '!=') matchExpressions.push({ key: m[1], operator: 'NotIn', values: [m[3].trim()] });
    else matchLabels[m[1]] = m[3].trim();
  }
  return { matchLabels: Object.keys(matchLabels).length ? matchLabels : undefined, matchExpressions: matchExpressions.length ? matchExpressions : undefined };
}

/** The written affinity plus, with colocateWith, a required podAffinity to the application's pods on the same node. */
export function affinityFor(s: PodSettings, colocate: boolean): k8s.Affinity | undefined {
  const written = s.affinity as k8s.Affinity | undefined;
  if (!colocate || !s.colocateWith) return written;
  const podAffinity = { ...(written?.podAffinity ?? {}) };
  podAffinity.requiredDuringSchedulingIgnoredDuringExecution = [
    ...(podAffinity.requiredDuringSchedulingIgnoredDuringExecution ?? []),
    { labelSelector: labelSelectorOf(s.colocateWith), topologyKey: 'kubernetes.io/hostname' },
  ];
  return { ...written, podAffinity };
}

/** extraEnv as container env entries (plain values and key references, as validated). */
export function extraEnvFor(list: PodSettings['extraEnv']): k8s.EnvVar[] {
  return (list ?? []).map((e) => ({ ...e }) as k8s.EnvVar);
}

/** The scratch emptyDir: a sizeLimit makes the kubelet evict this pod, not its neighbours, when it spools too much. */
export function scratchEmptyDir(scratch: PodSettings['scratch']): k8s.EmptyDirVolumeSource {
  return { sizeLimit: scratch?.sizeLimit ? k8s.Quantity.fromString(scratch.sizeLimit) : undefined, medium: scratch?.medium };
}
