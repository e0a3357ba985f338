// The runner's pod template, shared by every CronJob and Job: restricted, secrets as files, config read-only.
import { k8s } from 'cdk8s-plus-27';
import { CONFIG_DIR, CONFIG_FILE, CONFIG_PATH, PVC_REPO_MOUNT, SCRATCH_DIR, SECRETS_DIR, referencedSecrets } from '../contract/layout.js';
import { GRACE_ENV, graceSeconds, WORKLOAD_ENV } from '../contract/deadline.js';
import { durationSeconds } from '../values/formats.js';
import type { Values } from '../values/schema.js';
import { dnsLabelFrom, standardLabels, type BackupSetNames, type RunnerComponent } from './names.js';
import {
  affinityFor,
  containerSecurityContextFor,
  extraEnvFor,
  podSecurityContextFor,
  podSettingsFor,
  scratchEmptyDir,
  type DataMounts,
} from './pod-settings.js';

/** The runner container's name: kubectl logs -c safehold. */
export const RUNNER_CONTAINER = 'safehold';
/** Mounted Secret files: readable by their owner only (fsGroup adds the group read bit). */
export const SECRET_FILE_MODE = 0o400;
/** Without an fsGroup (pods mounting files volumes, OpenShift) root-owned 0400 files are unreadable: the pod holds only the runner. */
export const SECRET_FILE_MODE_NO_FSGROUP = 0o444;
const CONFIG_FILE_MODE = 0o444;

export interface RunnerPodProps {
  readonly values: Values;
  readonly names: BackupSetNames;
  readonly component: RunnerComponent;
  /** Arguments to the image's entrypoint (`tini -g -- safehold`), e.g. `backup --config …`. */
  readonly args: readonly string[];
  /** The pod calls the Kubernetes API: mount a service account token. */
  readonly apiAccess: boolean;
  /**
   * How the `files` components' volumes are mounted: as declared (backup), writable (restore),
   * or not at all (drill and drop-database never touch production files).
   * @default 'as-declared'
   */
  readonly dataVolumes?: 'as-declared' | 'writable' | 'none';
  /**
   * Containers started beside the runner (drill scratch servers); the pod then shares its
   * process namespace so the runner can stop them when it is done.
   * @default - none
   */
  readonly sidecars?: readonly k8s.Container[];
  /** @default - none */
  readonly sidecarVolumes?: readonly k8s.Volume[];
  /**
   * The run's deadline and the CronJob its pods belong to, for operations with one CronJob per item (copies).
   * @default - from the operation
   */
  readonly schedule?: { readonly timeout: string; readonly workload: string };
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
export function secretVolumes(v: Values, op: RunnerComponent, defaultMode = SECRET_FILE_MODE): { volumes: k8s.Volume[]; mounts: k8s.VolumeMount[] } {
  const volumes: k8s.Volume[] = [];
  const mounts: k8s.VolumeMount[] = [];
  for (const [secretName, keys] of referencedSecrets(v, op)) {
    const name = dnsLabelFrom('secret-', secretName);
    volumes.push({
      name,
      secret: { secretName, defaultMode, items: keys.map((key) => ({ key, path: key })) },
    });
    mounts.push({ name, mountPath: `${SECRETS_DIR}/${secretName}`, readOnly: true });
  }
  return { volumes, mounts };
}

function dataVolumes(v: Values, mode: 'as-declared' | 'writable'): { volumes: k8s.Volume[]; mounts: k8s.VolumeMount[] } {
  const volumes: k8s.Volume[] = [];
  const mounts: k8s.VolumeMount[] = [];
  for (const c of v.components) {
    if (c.type !== 'files') continue;
    c.volumes.forEach((vol, i) => {
      const name = dnsLabelFrom('data-', `${c.name}-${i}`);
      // Backups only read: the data is mounted read-only whatever the volume entry says.
      const readOnly = mode !== 'writable';
      volumes.push({ name, persistentVolumeClaim: { claimName: vol.claimName, readOnly } });
      mounts.push({ name, mountPath: vol.mountPath, readOnly });
    });
  }
  return { volumes, mounts };
}

/** The operation's timeout (its Job's activeDeadlineSeconds) and the CronJob/Job whose pods run it. */
function operation(v: Values, names: BackupSetNames, component: RunnerComponent): { seconds: number; workload?: string } {
  const seconds = (d: string | undefined) => durationSeconds(d ?? v.timeout) ?? 3600;
  switch (component) {
    case 'restore':
      return { seconds: seconds(v.restore?.timeout), workload: names.restoreJob };
    case 'drill':
      return { seconds: seconds(v.drill?.timeout), workload: names.drillCronJob };
    case 'drop-database':
      return { seconds: seconds(v.timeout), workload: names.dropJob };
    case 'verify':
      return { seconds: seconds(v.verify.timeout), workload: names.verifyCronJob };
    default:
      return { seconds: seconds(v.timeout), workload: component === 'backup' ? names.backupCronJob : undefined };
  }
}

export function runnerPodTemplate(props: RunnerPodProps): k8s.PodTemplateSpec {
  const { values: v, names } = props;
  const sidecars = props.sidecars ?? [];
  const data = props.dataVolumes === 'none' ? { volumes: [], mounts: [] } : dataVolumes(v, props.dataVolumes ?? 'as-declared');
  const mounts: DataMounts = data.volumes.length === 0 ? 'none' : props.dataVolumes === 'writable' ? 'writable' : 'read-only';
  const settings = podSettingsFor(v, props.component, mounts);
  const podSecurity = podSecurityContextFor(v, settings.podSecurityContext, mounts);
  const secrets = secretVolumes(v, props.component, podSecurity.fsGroup === undefined ? SECRET_FILE_MODE_NO_FSGROUP : SECRET_FILE_MODE);
  const repository = v.repository.pvc
    ? {
        volumes: [{ name: 'repository', persistentVolumeClaim: { claimName: v.repository.pvc.claimName } }],
        mounts: [{ name: 'repository', mountPath: PVC_REPO_MOUNT }],
      }
    : { volumes: [], mounts: [] };

  const volumes: k8s.Volume[] = [
    { name: 'config', configMap: { name: names.config, defaultMode: CONFIG_FILE_MODE, items: [{ key: CONFIG_FILE, path: CONFIG_FILE }] } },
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
  const op = props.schedule
    ? { seconds: durationSeconds(props.schedule.timeout) ?? 3600, workload: props.schedule.workload }
    : operation(v, names, props.component);
  const grace = settings.terminationGracePeriodSeconds ?? graceSeconds(op.seconds);
  const runner: k8s.Container = {
    name: RUNNER_CONTAINER,
    image: v.image,
    imagePullPolicy: 'IfNotPresent',
    args: [...props.args],
    // Only non-secret settings; credentials are files under SAFEHOLD_SECRETS_DIR.
    env: [
      { name: 'HOME', value: SCRATCH_DIR },
      { name: 'SAFEHOLD_SECRETS_DIR', value: SECRETS_DIR },
      { name: GRACE_ENV, value: String(grace) },
      ...(op.workload ? [{ name: WORKLOAD_ENV, value: op.workload }] : []),
      ...extraEnvFor(settings.extraEnv),
    ],
    resources: containerResources(settings.resources),
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
    metadata: { labels: { ...settings.podLabels, ...standardLabels(names, props.component) }, annotations: settings.podAnnotations },
    spec: {
      // A restore that scales the application down has no pods to sit beside.
      affinity: affinityFor(settings, mounts !== 'none' && !(props.component === 'restore' && v.restore?.scaleDown)),
      nodeSelector: settings.nodeSelector,
      tolerations: settings.tolerations as k8s.Toleration[] | undefined,
      priorityClassName: settings.priorityClassName,
      imagePullSecrets: settings.imagePullSecrets,
      serviceAccountName: names.accounts[props.component],
      automountServiceAccountToken: props.apiAccess,
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
