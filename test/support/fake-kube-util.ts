// Pure parts of the fake Kubernetes API: label/field selectors, merge and strategic-merge patches, Status bodies, RBAC.

export type Obj = Record<string, any>;

const isObj = (x: unknown): x is Obj => !!x && typeof x === 'object' && !Array.isArray(x);

/** JSON merge patch, RFC 7386 (what `application/merge-patch+json` means). */
export function mergePatch(target: unknown, patch: unknown): unknown {
  if (!isObj(patch)) return structuredClone(patch);
  const out: Obj = isObj(target) ? { ...target } : {};
  for (const [k, v] of Object.entries(patch)) {
    if (v === null) delete out[k];
    else out[k] = mergePatch(out[k], v);
  }
  return out;
}

/**
 * Strategic merge patch, the subset the API server applies to built-in kinds that matters here:
 * maps merge like a merge patch, and lists of objects that carry `name` (containers, env, volumes,
 * ports — their patchMergeKey) merge item by item. `$patch`/`$retainKeys` directives are refused.
 */
export function strategicMergePatch(target: unknown, patch: unknown): unknown {
  if (!isObj(patch)) {
    if (Array.isArray(patch) && Array.isArray(target) && [...patch, ...target].every((i) => isObj(i) && typeof i.name === 'string')) {
      const out = target.map((i) => structuredClone(i));
      for (const p of patch as Obj[]) {
        const at = out.findIndex((i) => i.name === p.name);
        if (at >= 0) out[at] = strategicMergePatch(out[at], p);
        else out.push(structuredClone(p));
      }
      return out;
    }
    return structuredClone(patch);
  }
  const out: Obj = isObj(target) ? { ...target } : {};
  for (const [k, v] of Object.entries(patch)) {
    if (k.startsWith('$')) throw new Error(`strategic merge directive ${k} is not implemented by the fake`);
    if (v === null) delete out[k];
    else out[k] = strategicMergePatch(out[k], v);
  }
  return out;
}

type LabelReq = { key: string; op: '=' | '!=' | 'in' | 'notin' | 'exists' | '!exists'; values: string[] };

/** Label selectors as the API server parses them: equality, set-based (in/notin) and existence. */
export function parseLabelSelector(s: string): LabelReq[] {
  const parts: string[] = [];
  let depth = 0;
  let cur = '';
  for (const ch of s) {
    if (ch === '(') depth++;
    if (ch === ')') depth--;
    if (ch === ',' && depth === 0) {
      parts.push(cur);
      cur = '';
    } else cur += ch;
  }
  parts.push(cur);
  return parts
    .map((p) => p.trim())
    .filter(Boolean)
    .map((p): LabelReq => {
      let m = /^(\S+?)\s*(==|=|!=)\s*(\S*)$/.exec(p);
      if (m) return { key: m[1], op: m[2] === '!=' ? '!=' : '=', values: [m[3]] };
      m = /^(\S+)\s+(in|notin)\s+\((.*)\)$/.exec(p);
      if (m) return { key: m[1], op: m[2] as 'in' | 'notin', values: m[3].split(',').map((v) => v.trim()) };
      if (/^!\S+$/.test(p)) return { key: p.slice(1), op: '!exists', values: [] };
      if (/^\S+$/.test(p)) return { key: p, op: 'exists', values: [] };
      throw new Error(`unable to parse requirement: ${p}`);
    });
}

export function labelsMatch(labels: Record<string, string> | undefined, reqs: readonly LabelReq[]): boolean {
  const l = labels ?? {};
  return reqs.every((r) => {
    const has = r.key in l;
    switch (r.op) {
      case '=':
        return l[r.key] === r.values[0];
      case '!=':
        return l[r.key] !== r.values[0];
      case 'in':
        return has && r.values.includes(l[r.key]);
      case 'notin':
        return !has || !r.values.includes(l[r.key]);
      case 'exists':
        return has;
      case '!exists':
        return !has;
    }
  });
}

/** Field selectors the server supports on every kind: metadata.name and metadata.namespace. */
export function fieldsMatch(o: Obj, selector: string): boolean {
  return selector
    .split(',')
    .filter(Boolean)
    .every((p) => {
      const m = /^(metadata\.name|metadata\.namespace)(==|=|!=)(.*)$/.exec(p.trim());
      if (!m) throw new Error(`field label not supported: ${p}`);
      const v = m[1] === 'metadata.name' ? o.metadata?.name : o.metadata?.namespace;
      return m[2] === '!=' ? v !== m[3] : v === m[3];
    });
}

/** A metav1.Status failure body, shaped like the real server's. */
export function status(code: number, reason: string, message: string, details?: Obj): Obj {
  return { kind: 'Status', apiVersion: 'v1', metadata: {}, status: 'Failure', message, reason, ...(details ? { details } : {}), code };
}

export interface RbacRule {
  readonly apiGroups: string[];
  readonly resources: string[];
  readonly verbs: string[];
  readonly resourceNames?: string[];
}

/** RBAC as the authorizer decides it for one namespaced request (Role rules only; no wildcards needed here). */
export function allowed(rules: readonly RbacRule[], req: { group: string; resource: string; verb: string; name?: string }): boolean {
  return rules.some(
    (r) =>
      (r.apiGroups.includes(req.group) || r.apiGroups.includes('*')) &&
      (r.resources.includes(req.resource) || r.resources.includes('*')) &&
      (r.verbs.includes(req.verb) || r.verbs.includes('*')) &&
      (!r.resourceNames?.length || (!!req.name && r.resourceNames.includes(req.name))),
  );
}
