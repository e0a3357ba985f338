// Cross-field rules of the pod settings (issue 13): reserved variables, grace periods, one user per pod, policy destinations.
import { durationSeconds } from './formats.js';
import { NETWORK_DESTINATIONS_RESERVED } from './network-policy.js';
import type { PodSettings } from './pod-settings.js';
import type { RuleIssue } from './rules.js';
import type { Values } from './schema.js';

/** Variables the runner sets or reads itself: an extraEnv entry must not shadow them. */
const RESERVED_ENV = /^(HOME|SAFEHOLD_.*|RESTIC_.*|AWS_ACCESS_KEY_ID|AWS_SECRET_ACCESS_KEY)$/;

/** Every pod settings block of a values file with its path and the timeout of the pods it applies to. */
function settingsBlocks(v: Values): Array<{ path: (string | number)[]; s: PodSettings; timeouts: Array<[string, string]> }> {
  const timeouts: Record<string, string | undefined> = {
    backup: v.timeout,
    restore: v.restore?.timeout,
    drop: v.dropDatabase ? v.timeout : undefined,
    drill: v.drill?.timeout,
    verify: v.verify.enabled ? v.verify.timeout : undefined,
    maintenance: v.repository.protection?.maintenance.timeout,
  };
  const all = Object.entries(timeouts).filter((e): e is [string, string] => !!e[1]);
  const blocks = [{ path: [] as (string | number)[], s: v as PodSettings, timeouts: all }];
  for (const [op, s] of Object.entries(v.operations)) if (s) blocks.push({ path: ['operations', op], s, timeouts: all.filter(([o]) => o === op) });
  return blocks;
}

export function podSettingsIssues(v: Values): RuleIssue[] {
  const issues: RuleIssue[] = [];
  const envLists: Array<[(string | number)[], PodSettings['extraEnv']]> = settingsBlocks(v).map((b) => [[...b.path, 'extraEnv'], b.s.extraEnv]);
  for (const [name, t] of Object.entries(v.drill?.targets ?? {})) envLists.push([['drill', 'targets', name, 'sidecar', 'extraEnv'], t.sidecar?.extraEnv]);
  for (const [path, list] of envLists) {
    list?.forEach((e, i) => {
      if (RESERVED_ENV.test(e.name))
        issues.push({
          path: [...path, i, 'name'],
          message: `"${e.name}" is set by safehold itself (HOME, SAFEHOLD_*, RESTIC_*, the S3 keys): choose another name`,
        });
    });
  }
  // The grace period comes out of the timeout (src/contract/deadline.ts): at most half of it, or the runner has no time to work.
  for (const b of settingsBlocks(v)) {
    const grace = b.s.terminationGracePeriodSeconds;
    if (grace === undefined) continue;
    for (const [op, timeout] of b.timeouts) {
      const total = durationSeconds(timeout) ?? 3600;
      if (grace * 2 > total)
        issues.push({
          path: [...b.path, 'terminationGracePeriodSeconds'],
          message: `must be at most half of the ${op} timeout (${timeout} = ${total} s), got ${grace}`,
        });
    }
  }
  // One pod runs as one user: the files components must agree on theirs.
  const users = v.components.flatMap((c, i) =>
    c.type === 'files' && c.podSecurityContext ? [{ i, u: `${c.podSecurityContext.runAsUser ?? '-'}:${c.podSecurityContext.runAsGroup ?? '-'}` }] : [],
  );
  for (const x of users.slice(1)) {
    if (x.u !== users[0].u)
      issues.push({
        path: ['components', x.i, 'podSecurityContext'],
        message: `one pod runs as one user: must match components[${users[0].i}].podSecurityContext (runAsUser:runAsGroup ${users[0].u}), got ${x.u}`,
      });
  }
  if (typeof v.networkPolicy === 'object') {
    const known = [...v.components.map((c) => c.name), ...NETWORK_DESTINATIONS_RESERVED];
    for (const name of Object.keys(v.networkPolicy.destinations)) {
      if (!known.includes(name))
        issues.push({
          path: ['networkPolicy', 'destinations', name],
          message: `must name a component or one of ${NETWORK_DESTINATIONS_RESERVED.join(', ')} (${known.join(', ')}), got "${name}"`,
        });
    }
  }
  return issues;
}
