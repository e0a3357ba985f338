// The runner's pod template, shared by every CronJob and Job: restricted, secrets as files, config read-only.
import { k8s } from 'cdk8s-plus-27';
import { CONFIG_DIR, CONFIG_FILE, CONFIG_PATH, PVC_REPO_MOUNT, SCRATCH_DIR, SECRETS_DIR } from '../contract/layout.js';
import { GRACE_ENV, graceSeconds, WORKLOAD_ENV } from '../contract/deadline.js';
import { durationSeconds } from '../values/formats.js';
import type { PodSettings } from '../values/pod-settings.js';
import type { Values } from '../values/schema.js';
import { DEFAULTS } from './defaults.js';
import { dnsLabelFrom, standardLabels, type RunnerComponent, type SetIdentity } from './names.js';
import { affinityFor, containerSecurityContextFor, extraEnvFor, podSecurityContextFor, scratchEmptyDir, type DataMounts } from './pod-settings.js';

/** The runner container's name: kubectl logs -c safehold. */
export const RUNNER_CONTAINER = 'safehold';
/** Mounted Secret files: readable by their owner only (fsGroup adds the group read bit). */
export const SECRET_FILE_MODE = 0o400;
/** Without an fsGroup (pods mounting files volumes, OpenShift) root-owned 0400 files are unreadable: the pod holds only the runner. */
export const SECRET_FILE_MODE_NO_FSGROUP = 0o444;
const CONFIG_FILE_MODE = 0o444;

/** One Secret mounted as files under `SAFEHOLD_SECRETS_DIR/<secretName>/<key>`, holding only these keys. */
export interface SecretFiles {
  readonly secretName: string;
  readonly keys: readonly string[];
}

/** A PersistentVolumeClaim of the application's data (the `files` components), mounted where the runner reads it. */
export interface DataVolume {
  /** The pod's volume name (a DNS-1123 label). */
  readonly name: string;
  readonly claimName: string;
  readonly mountPath: string;
}

/** The run's deadline: the grace period after SIGTERM is derived from it, and the workload names the lock's host. */
export interface RunDeadline {
  /** The Job's activeDeadlineSeconds. */
  readonly timeoutSeconds: number;
  /**
   * The CronJob or Job whose pods run this (SAFEHOLD_WORKLOAD).
   * @default - none
   */
  readonly workload?: string;
}

/** The runner's pod, as a construct that runs it takes it: who it runs as, what it mounts, where it is scheduled. */
export interface RunnerPodOptions {
  /**
   * The runner image.
   * @default DEFAULTS.image, the values schema's `image` default (this release's runner)
   */
  readonly image?: string;
  /** The operation's ServiceAccount (RunnerRbac makes one per operation). */
  readonly serviceAccountName: string;
  /** The ConfigMap holding the runner config (RunnerConfig). */
  readonly configMap: string;
  /**
   * The pod calls the Kubernetes API: mount a service account token.
   * @default false
   */
  readonly apiAccess?: boolean;
  /**
   * The Secrets the runner reads, each as files.
   * @default - none
   */
  readonly secrets?: readonly SecretFiles[];
  /**
   * A PVC repository's claim, mounted at PVC_REPO_MOUNT.
   * @default - none (an S3 or local repository)
   */
  readonly repositoryClaim?: string;
  /**
   * The `files` components' volumes.
   * @default - none
   */
  readonly dataVolumes?: readonly DataVolume[];
  /**
   * Mount the data volumes writable (a restore) instead of read-only.
   * @default false
   */
  readonly writableData?: boolean;
  /**
   * Scheduling, metadata, resources and security settings (what `podSettingsFor` resolves from a values file).
   * @default - DEFAULTS.resources (the values schema's `resources` default) and nothing else
   */
  readonly settings?: PodSettings;
  /**
   * OpenShift leaves UID, GID and fsGroup to the SCC.
   * @default DEFAULTS.platform, the values schema's `platform` default
   */
  readonly platform?: Values['platform'];
  /**
   * Honour `settings.colocateWith` (pods that mount data volumes sit beside the application's).
   * @default true
   */
  readonly colocate?: boolean;
  /**
   * Containers started beside the runner (drill scratch servers); the pod then shares its
   * process namespace so the runner can stop them when it is done.
   * @default - none
   */
  readonly sidecars?: readonly k8s.Container[];
  /** @default - none */
  readonly sidecarVolumes?: readonly k8s.Volume[];
  /** @default - the timeout and name of the CronJob or Job that runs the pod */
  readonly deadline?: RunDeadline;
}

/** A runner pod of one operation of one set: what the constructs pass to runnerPodTemplate. */
export interface RunnerPodProps extends RunnerPodOptions {
  readonly set: SetIdentity;
  readonly component: RunnerComponent;
  /** Arguments to the image's entrypoint (`tini -g -- safehold`), e.g. `backup --config …`. */
  readonly args: readonly string[];
  readonly deadline: RunDeadline;
}

function quantities(list: NonNullable<Values['resources']>['requests']): Record<string, k8s.Quantity> | undefined {
  if (!list) return undefined;
  const entries = Object.entries(list).filter((e): e is [string, string] => typeof e[1] === 'string');
  return entries.length ? Object.fromEntries(entries.map(([k, q]) => [k, k8s.Quantity.fromString(q)])) : undefined;
}

/** Resource requests and limits from values (cdk8s-plus's defaults are never used). */
export function containerResources(r: Values['resources']): k8s.ResourceRequirements {
  return { requests: quantities(r.requests), limits: quantities(r.limits) };
}

/** One volume per referenced Secret, holding exactly the keys the runner reads. */
export function secretVolumes(secrets: readonly SecretFiles[], defaultMode = SECRET_FILE_MODE): { volumes: k8s.Volume[]; mounts: k8s.VolumeMount[] } {
  const volumes: k8s.Volume[] = [];
  const mounts: k8s.VolumeMount[] = [];
  for (const { secretName, keys } of secrets) {
    const name = dnsLabelFrom('secret-', secretName);
    volumes.push({
      name,
      secret: { secretName, defaultMode, items: keys.map((key) => ({ key, path: key })) },
    });
    mounts.push({ name, mountPath: `${SECRETS_DIR}/${secretName}`, readOnly: true });
  }
  return { volumes, mounts };
}

function dataVolumes(list: readonly DataVolume[], writable: boolean): { volumes: k8s.Volume[]; mounts: k8s.VolumeMount[] } {
  // Backups only read: the data is mounted read-only whatever the volume entry says.
  const readOnly = !writable;
  return {
    volumes: list.map((d) => ({ name: d.name, persistentVolumeClaim: { claimName: d.claimName, readOnly } })),
    mounts: list.map((d) => ({ name: d.name, mountPath: d.mountPath, readOnly })),
  };
}

/** The pod's own deadline when given, else the one of the CronJob or Job that runs it. */
export function deadlineFor(pod: RunnerPodOptions, timeout: string, workload: string | undefined): RunDeadline {
  return pod.deadline ?? { timeoutSeconds: durationSeconds(timeout) ?? 3600, workload };
}

export function runnerPodTemplate(props: RunnerPodProps): k8s.PodTemplateSpec {
  const sidecars = props.sidecars ?? [];
  const data = dataVolumes(props.dataVolumes ?? [], props.writableData ?? false);
  const mounts: DataMounts = data.volumes.length === 0 ? 'none' : props.writableData ? 'writable' : 'read-only';
  const settings: PodSettings = props.settings ?? { resources: DEFAULTS.resources };
  const podSecurity = podSecurityContextFor(props.platform ?? DEFAULTS.platform, settings.podSecurityContext, mounts);
  const secrets = secretVolumes(props.secrets ?? [], podSecurity.fsGroup === undefined ? SECRET_FILE_MODE_NO_FSGROUP : SECRET_FILE_MODE);
  const repository = props.repositoryClaim
    ? {
        volumes: [{ name: 'repository', persistentVolumeClaim: { claimName: props.repositoryClaim } }],
        mounts: [{ name: 'repository', mountPath: PVC_REPO_MOUNT }],
      }
    : { volumes: [], mounts: [] };

  const volumes: k8s.Volume[] = [
    { name: 'config', configMap: { name: props.configMap, defaultMode: CONFIG_FILE_MODE, items: [{ key: CONFIG_FILE, path: CONFIG_FILE }] } },
    { name: 'scratch', emptyDir: scratchEmptyDir(settings.scratch) },
    ...secrets.volumes,
    ...repository.volumes,
    ...data.volumes,
    ...(props.sidecarVolumes ?? []),
  ];
  const volumeNames = volumes.map((x) => x.name);
  const clash = volumeNames.find((n, i) => volumeNames.indexOf(n) !== i);
  if (clash) throw new Error(`two volumes of the ${props.component} pod would be named "${clash}"`);

  // The grace period after SIGTERM is the runner's cleanup allowance; it learns it, and its workload, from the environment.
  const grace = settings.terminationGracePeriodSeconds ?? graceSeconds(props.deadline.timeoutSeconds);
  const workload = props.deadline.workload;
  const runner: k8s.Container = {
    name: RUNNER_CONTAINER,
    image: props.image ?? DEFAULTS.image,
    imagePullPolicy: 'IfNotPresent',
    args: [...props.args],
    // Only non-secret settings; credentials are files under SAFEHOLD_SECRETS_DIR.
    env: [
      { name: 'HOME', value: SCRATCH_DIR },
      { name: 'SAFEHOLD_SECRETS_DIR', value: SECRETS_DIR },
      { name: GRACE_ENV, value: String(grace) },
      ...(workload ? [{ name: WORKLOAD_ENV, value: workload }] : []),
      ...extraEnvFor(settings.extraEnv),
    ],
    resources: containerResources(settings.resources ?? DEFAULTS.resources),
    securityContext: containerSecurityContextFor(settings.securityContext),
    volumeMounts: [
      { name: 'config', mountPath: CONFIG_DIR, readOnly: true },
      { name: 'scratch', mountPath: SCRATCH_DIR },
      ...secrets.mounts,
      ...repository.mounts,
      ...data.mounts,
    ],
  };

  return {
    // safehold's own labels win: the NetworkPolicy and the runner find the pods by them.
    metadata: { labels: { ...settings.podLabels, ...standardLabels(props.set, props.component) }, annotations: settings.podAnnotations },
    spec: {
      affinity: affinityFor(settings, mounts !== 'none' && (props.colocate ?? true)),
      nodeSelector: settings.nodeSelector,
      tolerations: settings.tolerations as k8s.Toleration[] | undefined,
      priorityClassName: settings.priorityClassName,
      imagePullSecrets: settings.imagePullSecrets,
      serviceAccountName: props.serviceAccountName,
      automountServiceAccountToken: props.apiAccess ?? false,
      enableServiceLinks: false,
      restartPolicy: 'Never',
      terminationGracePeriodSeconds: grace,
      shareProcessNamespace: sidecars.length ? true : undefined,
      securityContext: podSecurity,
      containers: [runner, ...sidecars],
      volumes,
    },
  };
}

/** `<verb> --config /etc/safehold/config.json`: the runner reads everything else from the ConfigMap. */
/** The runner's arguments; one-shot Jobs name their request so a pod refuses a config that changed under it. */
export function runnerArgs(verb: RunnerComponent, requestId?: string): string[] {
  return [verb, '--config', CONFIG_PATH, ...(requestId ? ['--request', requestId] : [])];
}
