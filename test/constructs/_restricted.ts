// An independent check of the Pod Security Standards "restricted" profile (v1.27) plus safehold's own rules.
// https://kubernetes.io/docs/concepts/security/pod-security-standards/#restricted
import type { Obj } from './_fixtures.js';

const ALLOWED_VOLUME_TYPES = ['configMap', 'csi', 'downwardAPI', 'emptyDir', 'ephemeral', 'persistentVolumeClaim', 'projected', 'secret'];

/** Every violation of a pod template, as readable strings; empty when the pod is restricted. */
export function restrictedViolations(template: Obj): string[] {
  const out: string[] = [];
  const spec = template.spec ?? {};
  const psc = spec.securityContext ?? {};
  const containers: Obj[] = [...(spec.initContainers ?? []), ...(spec.containers ?? []), ...(spec.ephemeralContainers ?? [])];
  if (spec.hostNetwork || spec.hostPID || spec.hostIPC) out.push('host namespaces');
  for (const vol of spec.volumes ?? []) {
    const type = Object.keys(vol).find((k) => k !== 'name');
    if (!type || !ALLOWED_VOLUME_TYPES.includes(type)) out.push(`volume ${vol.name} of type ${type}`);
  }
  if (psc.runAsUser === 0) out.push('pod runAsUser 0');
  if (psc.seccompProfile && !['RuntimeDefault', 'Localhost'].includes(psc.seccompProfile.type)) out.push('pod seccomp');
  for (const c of containers) {
    const sc = c.securityContext ?? {};
    const name = `container ${c.name}`;
    if (sc.privileged) out.push(`${name} privileged`);
    if (sc.allowPrivilegeEscalation !== false) out.push(`${name} allowPrivilegeEscalation is not false`);
    if (!(sc.runAsNonRoot ?? psc.runAsNonRoot)) out.push(`${name} runAsNonRoot is not true`);
    if ((sc.runAsUser ?? psc.runAsUser) === 0) out.push(`${name} runs as UID 0`);
    const seccomp = sc.seccompProfile?.type ?? psc.seccompProfile?.type;
    if (!['RuntimeDefault', 'Localhost'].includes(seccomp)) out.push(`${name} seccompProfile ${seccomp}`);
    const drop: string[] = sc.capabilities?.drop ?? [];
    if (!drop.includes('ALL')) out.push(`${name} does not drop ALL capabilities`);
    const add: string[] = sc.capabilities?.add ?? [];
    if (add.some((a) => a !== 'NET_BIND_SERVICE')) out.push(`${name} adds capabilities ${add.join(',')}`);
    for (const p of c.ports ?? []) if (p.hostPort) out.push(`${name} hostPort`);
    // safehold's own rules on top of the profile:
    if (sc.readOnlyRootFilesystem !== true) out.push(`${name} root filesystem is writable`);
    if (!(sc.runAsUser ?? psc.runAsUser)) out.push(`${name} has no fixed UID`);
  }
  return out;
}
