// Which source component feeds which target, and the refusals that keep a clone away from the source's own data (pure).
import type { Component } from '../../values/components.js';
import type { ComponentRecord, Manifest } from '../sets.js';

export interface ClonePair {
  readonly c: Component;
  readonly rec: ComponentRecord;
}

/** Host names compared as a person would: case, a trailing dot and the cluster's service suffix do not make another server. */
export function sameHost(a: string, b: string): boolean {
  const norm = (h: string) =>
    h
      .toLowerCase()
      .replace(/\.$/, '')
      .replace(/\.svc(\.cluster\.local)?$/, '');
  return norm(a) === norm(b);
}

/**
 * Each cloned component is matched by name with the source set's component of the same name and type. A name
 * the set lacks, or a type that differs, is a problem (nothing is cloned); source components not cloned are listed.
 */
export function matchComponents(cloned: readonly Component[], m: Manifest, from: string): { pairs: ClonePair[]; problems: string[]; ignored: string[] } {
  const problems: string[] = [];
  const pairs: ClonePair[] = [];
  const names = m.components.map((r) => r.name);
  for (const c of cloned) {
    const rec = m.components.find((r) => r.name === c.name);
    if (!rec)
      problems.push(
        `${c.name}: set ${m.setId} of ${from} has no component ${c.name} (it has ${names.join(', ') || 'none'}); components are matched by name: rename one, or leave ${c.name} out of clone.components`,
      );
    else if (rec.type !== c.type) problems.push(`${c.name}: is ${c.type} here but ${rec.type} in set ${m.setId} of ${from}; a clone restores like into like`);
    else pairs.push({ c, rec });
  }
  const ignored = names.filter((n) => !cloned.some((c) => c.name === n));
  return { pairs, problems, ignored };
}

/** Why writing into `target` would write into the source's own production data, or undefined. */
export function ownTargetProblem(p: ClonePair, target: { host: string; port: number; database?: string }, from: string): string | undefined {
  const s = p.rec.source;
  if (!s)
    return `${p.c.name}: set of ${from} does not record where its data came from (taken before safehold recorded it), so the clone cannot prove ${target.host}:${target.port}/${target.database} is not production; back ${from} up once with this release and clone that set`;
  if (sameHost(s.host, target.host) && s.port === target.port && s.database === target.database)
    return `${p.c.name}: the target ${target.host}:${target.port}/${target.database} is where ${from} itself keeps this data (recorded in its set): a clone never overwrites its source; point this component at the staging database`;
  return undefined;
}
