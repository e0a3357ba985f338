// A values file → the runner pod of one operation (RunnerPodOptions): the values side of runner-pod.ts.
import type { k8s } from 'cdk8s-plus-27';
import { readsRepository, referencedSecrets } from '../contract/layout.js';
import type { Values } from '../values/schema.js';
import { dnsLabelFrom, type BackupSetNames, type RunnerComponent } from './names.js';
import { podSettingsFor, type DataMounts } from './pod-settings.js';
import type { DataVolume, RunDeadline, RunnerPodOptions } from './runner-pod.js';

export interface RunnerPodFromValues {
  /** The pod calls the Kubernetes API (needsApiAccess). */
  readonly apiAccess: boolean;
  /**
   * How the `files` components' volumes are mounted: as declared (backup), writable (restore),
   * or not at all (drill and drop-database never touch production files).
   * @default 'as-declared'
   */
  readonly dataVolumes?: 'as-declared' | 'writable' | 'none';
  /** @default - none */
  readonly sidecars?: readonly k8s.Container[];
  /** @default - none */
  readonly sidecarVolumes?: readonly k8s.Volume[];
  /** @default - the timeout and name of the CronJob or Job that runs the pod */
  readonly deadline?: RunDeadline;
}

/** The `files` components' volumes, one per claim entry, named after the component. */
export function dataVolumesOf(v: Values): DataVolume[] {
  return v.components.flatMap((c) =>
    c.type === 'files'
      ? c.volumes.map((vol, i) => ({ name: dnsLabelFrom('data-', `${c.name}-${i}`), claimName: vol.claimName, mountPath: vol.mountPath }))
      : [],
  );
}

/** Everything a runner pod of `component` takes from the values file: account, Secrets, volumes, pod settings. */
export function runnerPodOptions(v: Values, names: BackupSetNames, component: RunnerComponent, o: RunnerPodFromValues): RunnerPodOptions {
  const data = o.dataVolumes === 'none' ? [] : dataVolumesOf(v);
  const writable = o.dataVolumes === 'writable';
  const mounts: DataMounts = data.length === 0 ? 'none' : writable ? 'writable' : 'read-only';
  return {
    image: v.image,
    serviceAccountName: names.accounts[component],
    configMap: names.config,
    apiAccess: o.apiAccess,
    secrets: [...referencedSecrets(v, component)].map(([secretName, keys]) => ({ secretName, keys })),
    repositoryClaim: readsRepository(component) ? v.repository.pvc?.claimName : undefined,
    dataVolumes: data,
    writableData: writable,
    settings: podSettingsFor(v, component, mounts),
    platform: v.platform,
    // A restore that scales the application down has no pods to sit beside.
    colocate: !(component === 'restore' && v.restore?.scaleDown),
    sidecars: o.sidecars,
    sidecarVolumes: o.sidecarVolumes,
    deadline: o.deadline,
  };
}
