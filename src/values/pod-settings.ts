// Pod settings in the Helm chart conventions (issue 13): set level, overridden per operation under `operations:`.
import { z } from 'zod';
import { dnsSubdomain, labelSelector, quantity } from './formats.js';

const int = z.number().int();
const id = int.min(0).max(2147483647);
const labelKey = z
  .string()
  .regex(/^([a-z0-9]([-a-z0-9.]*[a-z0-9])?\/)?[A-Za-z0-9]([-A-Za-z0-9_.]*[A-Za-z0-9])?$/, 'must be a label or annotation key such as app.kubernetes.io/name')
  .max(316);
const labelValue = z
  .string()
  .regex(/^([A-Za-z0-9]([-A-Za-z0-9_.]*[A-Za-z0-9])?)?$/, 'must be a label value (63 characters at most)')
  .max(63);

const seccompProfile = z.strictObject({ type: z.enum(['RuntimeDefault', 'Localhost', 'Unconfined']), localhostProfile: z.string().min(1).optional() });
const seLinuxOptions = z.strictObject({ level: z.string().optional(), role: z.string().optional(), type: z.string().optional(), user: z.string().optional() });

/**
 * The pod's securityContext. Unset fields keep safehold's restricted defaults (UID/GID/fsGroup 65532, RuntimeDefault
 * seccomp). `files` components are backed up and restored as runAsUser/runAsGroup (see docs/running-in-your-cluster.md).
 */
export const podSecurityContext = z.strictObject({
  runAsUser: id.optional(),
  runAsGroup: id.optional(),
  runAsNonRoot: z.boolean().optional(),
  fsGroup: id.optional(),
  fsGroupChangePolicy: z.enum(['OnRootMismatch', 'Always']).optional(),
  supplementalGroups: z.array(id).optional(),
  seccompProfile: seccompProfile.optional(),
  seLinuxOptions: seLinuxOptions.optional(),
});
export type PodSecurityContextValues = z.output<typeof podSecurityContext>;

/** The containers' securityContext; unset fields keep the restricted defaults. */
export const containerSecurityContext = z.strictObject({
  runAsUser: id.optional(),
  runAsGroup: id.optional(),
  runAsNonRoot: z.boolean().optional(),
  allowPrivilegeEscalation: z.boolean().optional(),
  privileged: z.boolean().optional(),
  readOnlyRootFilesystem: z.boolean().optional(),
  capabilities: z.strictObject({ add: z.array(z.string().regex(/^[A-Z_]+$/)).optional(), drop: z.array(z.string().regex(/^[A-Z_]+$/)).optional() }).optional(),
  seccompProfile: seccompProfile.optional(),
  seLinuxOptions: seLinuxOptions.optional(),
});
export type ContainerSecurityContextValues = z.output<typeof containerSecurityContext>;

const resourceList = z.strictObject({ cpu: quantity.optional(), memory: quantity.optional(), 'ephemeral-storage': quantity.optional() });
/** Requests and limits (no default here: the set-level `resources` has one). */
export const resourcesOverride = z.strictObject({ requests: resourceList.optional(), limits: resourceList.optional() });

export const toleration = z.strictObject({
  key: z.string().optional(),
  operator: z.enum(['Exists', 'Equal']).optional(),
  value: z.string().optional(),
  effect: z.enum(['NoSchedule', 'PreferNoSchedule', 'NoExecute']).optional(),
  tolerationSeconds: int.optional(),
});

// Affinity is passed through as written (it is Kubernetes' own shape); the manifests are checked against the API schema.
const affinityTerm = z.record(z.string(), z.unknown());
export const affinity = z.strictObject({
  nodeAffinity: affinityTerm.optional(),
  podAffinity: affinityTerm.optional(),
  podAntiAffinity: affinityTerm.optional(),
});

/**
 * An extra environment variable: a plain value or a Secret/ConfigMap key reference. A literal credential (a name
 * like *_PASSWORD with a value, or a value that looks like one) is refused as everywhere else.
 */
export const extraEnvVar = z.union([
  z.strictObject({ name: z.string().regex(/^[A-Za-z_][A-Za-z0-9_.-]*$/, 'must be an environment variable name'), value: z.string() }),
  z.strictObject({
    name: z.string().regex(/^[A-Za-z_][A-Za-z0-9_.-]*$/, 'must be an environment variable name'),
    valueFrom: z.union([
      z.strictObject({ secretKeyRef: z.strictObject({ name: dnsSubdomain, key: z.string().regex(/^[-._a-zA-Z0-9]+$/), optional: z.boolean().optional() }) }),
      z.strictObject({ configMapKeyRef: z.strictObject({ name: dnsSubdomain, key: z.string().regex(/^[-._a-zA-Z0-9]+$/), optional: z.boolean().optional() }) }),
    ]),
  }),
]);
export type ExtraEnvVar = z.output<typeof extraEnvVar>;

/** Container-level settings: what a drill sidecar may override. */
export const containerSettings = {
  securityContext: containerSecurityContext.optional(),
  resources: resourcesOverride.optional(),
  extraEnv: z.array(extraEnvVar).optional(),
};

/** Every pod-level knob, all optional; the same block at set level and under `operations.<op>`. */
export const podSettingsShape = {
  nodeSelector: z.record(labelKey, labelValue).optional(),
  tolerations: z.array(toleration).optional(),
  affinity: affinity.optional(),
  /** Shortcut for ReadWriteOnce volumes: a required podAffinity to the pods this label selector matches (same node). */
  colocateWith: labelSelector.optional(),
  priorityClassName: dnsSubdomain.optional(),
  imagePullSecrets: z.array(z.strictObject({ name: dnsSubdomain })).optional(),
  podAnnotations: z.record(labelKey, z.string()).optional(),
  podLabels: z.record(labelKey, labelValue).optional(),
  podSecurityContext: podSecurityContext.optional(),
  ...containerSettings,
  /** The scratch emptyDir (dump spooling, restic cache): a sizeLimit keeps a spooling restore from filling the node. */
  scratch: z.strictObject({ sizeLimit: quantity.optional(), medium: z.enum(['Memory']).optional() }).optional(),
  /** The runner's cleanup allowance after SIGTERM (default: 20 % of the timeout, 10–60 s); the runner is told the same figure. */
  terminationGracePeriodSeconds: int.min(1).max(3600).optional(),
};
export const podSettings = z.strictObject(podSettingsShape);
export type PodSettings = z.output<typeof podSettings>;

/** Per-operation overrides; maps (nodeSelector, podAnnotations, podLabels) and securityContexts merge key by key, the rest replaces. */
export const operations = z
  .strictObject({
    backup: podSettings.optional(),
    restore: podSettings.optional(),
    drop: podSettings.optional(),
    drill: podSettings.optional(),
    verify: podSettings.optional(),
    maintenance: podSettings.optional(),
    copy: podSettings.optional(),
  })
  .default({});

/**
 * Where the pods run. `openshift`: UID, GID and fsGroup are left to the namespace's SCC (restricted-v2 assigns them
 * from the namespace's range), and the NetworkPolicy's DNS port defaults to 5353.
 */
export const platform = z.enum(['kubernetes', 'openshift']).default('kubernetes');

/** The ServiceAccounts' metadata: workload identity (eks.amazonaws.com/role-arn, iam.gke.io/gcp-service-account, azure.workload.identity/client-id). */
export const serviceAccount = z.strictObject({ annotations: z.record(labelKey, z.string()).default({}) }).default({ annotations: {} });

/** The set-level block: every pod knob except `resources`, which the set already has (with its default). */
const { resources: _setResources, ...setLevel } = podSettingsShape;
export const setPodSettingsShape = setLevel;
