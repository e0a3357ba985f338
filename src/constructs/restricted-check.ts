// Which written security overrides leave the Pod Security "restricted" profile (v1.27), per operation, for validate.
// https://kubernetes.io/docs/concepts/security/pod-security-standards/#restricted
import type { k8s } from 'cdk8s-plus-27';
import type { RuleIssue } from '../values/rules.js';
import type { Values } from '../values/schema.js';
import type { RunnerComponent } from './names.js';
import { containerSecurityContextFor, operationKey, podSecurityContextFor, podSettingsFor, type DataMounts } from './pod-settings.js';

/** The rules of the restricted profile a pod breaks, named as the Pod Security docs name them. */
export function restrictedRulesBroken(pod: k8s.PodSecurityContext, containers: ReadonlyArray<{ name: string; sc: k8s.SecurityContext }>): string[] {
  const out: string[] = [];
  const seccompOk = (t: string | undefined) => t === 'RuntimeDefault' || t === 'Localhost';
  if (pod.runAsUser === 0) out.push('restricted "Running as Non-root user": runAsUser must not be 0');
  if (pod.seccompProfile && !seccompOk(pod.seccompProfile.type)) out.push('restricted "Seccomp": seccompProfile.type must be RuntimeDefault or Localhost');
  for (const { name, sc } of containers) {
    const c = `container "${name}"`;
    if (sc.privileged) out.push(`baseline "Privileged Containers": ${c} sets privileged: true`);
    if (sc.allowPrivilegeEscalation !== false) out.push(`restricted "Privilege Escalation": ${c} must set allowPrivilegeEscalation: false`);
    if ((sc.runAsNonRoot ?? pod.runAsNonRoot) !== true) out.push(`restricted "Running as Non-root": ${c} must run with runAsNonRoot: true`);
    if (sc.runAsUser === 0) out.push(`restricted "Running as Non-root user": ${c} sets runAsUser: 0`);
    if (!seccompOk(sc.seccompProfile?.type ?? pod.seccompProfile?.type))
      out.push(`restricted "Seccomp": ${c} needs seccompProfile RuntimeDefault or Localhost`);
    if (!(sc.capabilities?.drop ?? []).includes('ALL')) out.push(`restricted "Capabilities": ${c} must drop ALL capabilities`);
    const added = (sc.capabilities?.add ?? []).filter((a) => a !== 'NET_BIND_SERVICE');
    if (added.length) out.push(`restricted "Capabilities": ${c} may add only NET_BIND_SERVICE, adds ${added.join(', ')}`);
  }
  return out;
}

/** The operations whose pods this values file makes, with how each mounts the files volumes. */
function podsOf(v: Values): Array<[RunnerComponent, DataMounts]> {
  const files = v.components.some((c) => c.type === 'files' && c.volumes.length > 0);
  const ops: Array<[RunnerComponent, DataMounts]> = [['backup', files ? 'read-only' : 'none']];
  if (v.restore) ops.push(['restore', files ? 'writable' : 'none']);
  if (v.dropDatabase) ops.push(['drop-database', 'none']);
  if (v.drill) ops.push(['drill', 'none']);
  if (v.verify.enabled) ops.push(['verify', 'none']);
  if (v.repository.protection) ops.push(['maintenance', 'none']);
  return ops;
}

/**
 * A warning per pod whose written overrides leave the restricted profile; the defaults never do. The path points at the
 * override (operations.<op>.securityContext before the set's), so validate shows the line that did it.
 */
export function restrictedWarnings(v: Values): RuleIssue[] {
  const out: RuleIssue[] = [];
  for (const [op, data] of podsOf(v)) {
    const s = podSettingsFor(v, op, data);
    const containers = [{ name: 'safehold', sc: containerSecurityContextFor(s.securityContext) }];
    if (op === 'drill') {
      for (const [name, t] of Object.entries(v.drill?.targets ?? {}))
        if (t.sidecar) containers.push({ name: `drill-${name}`, sc: containerSecurityContextFor(t.sidecar.securityContext) });
    }
    const broken = restrictedRulesBroken(podSecurityContextFor(v.platform, s.podSecurityContext, data), containers);
    if (!broken.length) continue;
    const key = operationKey(op);
    const written = v.operations[key];
    const path = written?.securityContext
      ? ['operations', key, 'securityContext']
      : written?.podSecurityContext
        ? ['operations', key, 'podSecurityContext']
        : v.securityContext
          ? ['securityContext']
          : v.podSecurityContext
            ? ['podSecurityContext']
            : op === 'drill'
              ? ['drill', 'targets']
              : ['components'];
    out.push({ path, message: `the ${op} pods leave the Pod Security restricted profile (a namespace enforcing it refuses them): ${broken.join('; ')}` });
  }
  return out;
}
