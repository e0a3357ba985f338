// The contract between manifests and runner: where config, secrets and scratch space live in the pod.
import { allHooks } from '../values/rules.js';
import { byCodeUnit } from './config.js';
import { join } from 'node:path';
import type { Values } from '../values/schema.js';

/** Fixed non-root UID/GID of the runner image; manifests and Dockerfile agree on it. */
export const RUNNER_UID = 65532;
export const CONFIG_DIR = '/etc/safehold';
export const CONFIG_FILE = 'config.json';
export const CONFIG_PATH = `${CONFIG_DIR}/${CONFIG_FILE}`;
/** Each referenced Secret is mounted at `<SECRETS_DIR>/<secretName>/<key>`. */
export const SECRETS_DIR = '/var/run/safehold/secrets';
/** The only writable place in the pod (an emptyDir); restic's cache lives here too. */
export const SCRATCH_DIR = '/tmp';
/** Where a PVC repository is mounted. */
export const PVC_REPO_MOUNT = '/var/lib/safehold/repository';

export function secretFile(secretsDir: string, secretName: string, key: string): string {
  return join(secretsDir, secretName, key);
}

/** Every Secret the runner reads, by name, with the keys it needs. Sorted for stable output. */
export function referencedSecrets(v: Values): Map<string, string[]> {
  const refs = new Map<string, Set<string>>();
  const add = (name: string, ...keys: string[]) => {
    const s = refs.get(name) ?? new Set<string>();
    keys.forEach((k) => s.add(k));
    refs.set(name, s);
  };
  add(v.repository.password.secretName, v.repository.password.key);
  if (v.repository.s3) {
    const c = v.repository.s3.credentials;
    add(c.secretName, c.accessKeyIdKey, c.secretAccessKeyKey);
    if (v.repository.s3.caCert) add(v.repository.s3.caCert.secretName, v.repository.s3.caCert.key);
  }
  for (const c of v.components) {
    if ('credentials' in c && c.credentials) {
      const cr = c.credentials as { secretName: string; usernameKey?: string; passwordKey: string };
      add(cr.secretName, ...[cr.usernameKey, cr.passwordKey].filter((k): k is string => !!k));
    }
  }
  const hooks = allHooks(v);
  for (const h of hooks) {
    if (h.type === 'command') Object.values(h.env).forEach((r) => add(r.secretName, r.key));
    if (h.type === 'http') Object.values(h.headers).forEach((r) => 'secretName' in r && add(r.secretName, r.key));
  }
  for (const t of Object.values(v.drill?.targets ?? {})) {
    const cr = t.credentials as { secretName: string; usernameKey?: string; passwordKey: string } | undefined;
    if (cr) add(cr.secretName, ...[cr.usernameKey, cr.passwordKey].filter((k): k is string => !!k));
  }
  // Code-unit order, not localeCompare: the output must not depend on the machine's locale.
  return new Map([...refs.entries()].sort(([a], [b]) => byCodeUnit(a, b)).map(([k, s]) => [k, [...s].sort()]));
}

/** restic host name pinned per application so retention groups across pods with random names. */
export function resticHost(v: Values): string {
  return [v.namespace, v.name, v.instance].filter(Boolean).join('.');
}

/** Tags that scope every snapshot of this application inside a shared repository. */
export function appTag(v: Values): string {
  return `app=${resticHost(v)}`;
}
