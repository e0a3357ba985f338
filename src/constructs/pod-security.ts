// Pod Security Standards "restricted", written once: every pod safehold emits uses these.
// https://kubernetes.io/docs/concepts/security/pod-security-standards/#restricted
import type { k8s } from 'cdk8s-plus-27';
import { RUNNER_UID } from '../contract/layout.js';

/** Pod level: fixed non-root UID/GID (the image's), RuntimeDefault seccomp, group-readable mounted Secrets. */
export function restrictedPodSecurityContext(): k8s.PodSecurityContext {
  return {
    runAsNonRoot: true,
    runAsUser: RUNNER_UID,
    runAsGroup: RUNNER_UID,
    // Secret files are mode 0400 and owned by root; fsGroup makes them readable by the runner's group.
    fsGroup: RUNNER_UID,
    // Only re-own a volume when its root does not already belong to the group (large PVCs).
    fsGroupChangePolicy: 'OnRootMismatch',
    seccompProfile: { type: 'RuntimeDefault' },
  };
}

/** Container level: no privilege escalation, no capabilities, read-only root filesystem. */
export function restrictedContainerSecurityContext(): k8s.SecurityContext {
  return {
    allowPrivilegeEscalation: false,
    capabilities: { drop: ['ALL'] },
    privileged: false,
    readOnlyRootFilesystem: true,
    runAsNonRoot: true,
  };
}
