// The contract between manifests and runner: where config, secrets and scratch space live in the pod.
import { drillHooks, maskHooks } from '../values/rules.js';
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

/** The runner's operations: each has its own pods, ServiceAccount, Role and Secrets. */
export type Operation = 'backup' | 'restore' | 'drop-database' | 'drill' | 'maintenance' | 'verify' | 'copy';

/** The S3 keys an operation uses: in a protected repository only maintenance holds the delete-capable ones. */
export function s3CredentialsFor(r: Values['repository'], op: Operation | undefined) {
  return op === 'maintenance' && r.protection ? r.protection.maintenance.credentials : r.s3?.credentials;
}

/** Every operation opens the repository but the drop: its restore read the request records and records the drop. */
export const readsRepository = (op: Operation): boolean => op !== 'drop-database';

/**
 * Every Secret one operation reads, by name, with the keys it needs (sorted for stable output):
 * the drop pod only its database's login and TLS (no repository), maintenance only the repository, each operation only
 * the Secrets of the hooks it runs.
 */
export function referencedSecrets(v: Values, op: Operation): Map<string, string[]> {
  const refs = new Map<string, Set<string>>();
  const add = (name: string, ...keys: string[]) => {
    const s = refs.get(name) ?? new Set<string>();
    keys.forEach((k) => s.add(k));
    refs.set(name, s);
  };
  const login = (cr: { secretName: string; usernameKey?: string; passwordKey: string } | undefined) =>
    cr && add(cr.secretName, ...[cr.usernameKey, cr.passwordKey].filter((k): k is string => !!k));
  const repository = (r: Values['repository']) => {
    add(r.password.secretName, r.password.key);
    const s3 = s3CredentialsFor(r, op);
    if (s3) add(s3.secretName, s3.accessKeyIdKey, s3.secretAccessKeyKey);
    if (r.s3?.caCert) add(r.s3.caCert.secretName, r.s3.caCert.key);
  };
  // The drop drops on its restore's go-ahead (runner/requests/go-ahead.ts): no repository key, no S3 key, no S3 CA.
  if (readsRepository(op)) repository(v.repository);
  // The copy job writes every copy; a restore or drill reads the copy it names (docs/copies.md).
  for (const c of copiesReadBy(v, op)) repository(c.repository);
  // A clone (run by the restore operation) reads the source application's repository.
  if (op === 'restore' && v.clone?.from.repository) repository(v.clone.from.repository);
  const databases =
    op === 'maintenance' || op === 'verify' || op === 'copy'
      ? []
      : op === 'drop-database'
        ? v.components.filter((c) => c.name === v.dropDatabase?.component)
        : v.components;
  for (const c of databases) {
    if ('credentials' in c) login(c.credentials as Parameters<typeof login>[0]);
    const tls = 'tls' in c ? c.tls : undefined;
    if (tls?.caCert) add(tls.caCert.secretName, tls.caCert.key);
    if (tls?.clientCert) add(tls.clientCert.secretName, tls.clientCert.certKey, tls.clientCert.keyKey);
  }
  // The operations that push metrics (runner/metrics/push.ts).
  const pushes = op === 'backup' || op === 'restore' || op === 'drill' || op === 'verify' || op === 'copy' || op === 'maintenance';
  if (pushes && v.monitoring.enabled && v.monitoring.pushgateway && v.monitoring.caCert) add(v.monitoring.caCert.secretName, v.monitoring.caCert.key);
  const phases = { backup: ['preBackup', 'postBackup'], restore: ['preRestore', 'postRestore'] } as const;
  const hooks =
    op === 'drill'
      ? drillHooks(v)
      : op === 'backup' || op === 'restore'
        ? [...phases[op].flatMap((p) => v.hooks[p]), ...(op === 'restore' ? maskHooks(v) : [])]
        : [];
  for (const h of hooks) {
    if (h.type === 'command') Object.values(h.env).forEach((r) => add(r.secretName, r.key));
    if (h.type === 'http') Object.values(h.headers).forEach((r) => 'secretName' in r && add(r.secretName, r.key));
  }
  if (op === 'drill') for (const t of Object.values(v.drill?.targets ?? {})) login(t.credentials as Parameters<typeof login>[0]);
  // Code-unit order, not localeCompare: the output must not depend on the machine's locale.
  return new Map([...refs.entries()].sort(([a], [b]) => byCodeUnit(a, b)).map(([k, s]) => [k, [...s].sort()]));
}

/** The copies an operation opens besides the set's own repository. */
export function copiesReadBy(v: Values, op: Operation): NonNullable<Values['copies']> {
  const from = op === 'restore' ? v.restore?.from : op === 'drill' ? v.drill?.from : undefined;
  return (v.copies ?? []).filter((c) => op === 'copy' || c.name === from);
}

/** restic host name pinned per application so retention groups across pods with random names. */
export function resticHost(v: Values): string {
  return [v.namespace, v.name, v.instance].filter(Boolean).join('.');
}

/** Tags that scope every snapshot of this application inside a shared repository. */
export function appTag(v: Values): string {
  return `app=${resticHost(v)}`;
}
