// What one backup consists of: a discriminated union on `type`, restored in list order.
import { posix } from 'node:path';
import { z } from 'zod';
import { dnsLabel, dnsSubdomain, duration, labelSelector } from './formats.js';
import { podSecurityContext } from './pod-settings.js';
import { loginRef, passwordRef } from './secrets.js';
import { databaseTls } from './tls.js';
import { dbName, serverDatabases, serverPasswords } from './database-name.js';

const port = z.number().int().min(1, 'must be 1–65535').max(65535, 'must be 1–65535');
const host = z
  .string()
  .min(1)
  .max(253)
  .regex(/^[A-Za-z0-9._:-]+$/, 'must be a host name or IP address');
const base = { name: dnsLabel };

export const postgresComponent = z.strictObject({
  ...base,
  type: z.literal('postgres'),
  host,
  port: port.default(5432),
  /** One database; or `databases:` for a whole server (exactly one of the two). */
  database: dbName.optional(),
  databases: serverDatabases.optional(),
  passwords: serverPasswords,
  credentials: loginRef,
  /** Parallel pg_restore jobs; >1 spools the dump to scratch space first. */
  restoreJobs: z.number().int().min(1).max(16).default(1),
  sslMode: z.enum(['disable', 'allow', 'prefer', 'require', 'verify-ca', 'verify-full']).default('prefer'),
  tls: databaseTls.optional(),
});

export const mysqlComponent = z.strictObject({
  ...base,
  type: z.literal('mysql'),
  host,
  port: port.default(3306),
  /** One database (schema); or `databases:` for a whole server (exactly one of the two). */
  database: dbName.optional(),
  databases: serverDatabases.optional(),
  passwords: serverPasswords,
  credentials: loginRef,
  /** Absent: the client's default (MariaDB 11.4+ verifies the server, older clients use no TLS). */
  sslMode: z.enum(['disable', 'require', 'verify-full']).optional(),
  tls: databaseTls.optional(),
});

export const redisComponent = z.strictObject({
  ...base,
  type: z.literal('redis'),
  host,
  port: port.default(6379),
  credentials: passwordRef.optional(),
  /** Restore replaces keys that exist; `flush` empties the target database first. */
  restoreMode: z.enum(['merge', 'flush']).default('merge'),
});

export const cockroachComponent = z.strictObject({
  ...base,
  type: z.literal('cockroachdb'),
  host,
  port: port.default(26257),
  database: dbName,
  credentials: loginRef,
  sslMode: z.enum(['disable', 'require', 'verify-full']).default('verify-full'),
  tls: databaseTls.optional(),
});

const gvk = {
  apiVersion: z.string().regex(/^([a-z0-9.-]+\/)?v[0-9a-z]+$/, 'must be an apiVersion such as v1 or api.astarte-platform.org/v1alpha2'),
  kind: z.string().regex(/^[A-Z][A-Za-z0-9]*$/, 'must be a Kind such as Secret'),
};

export const waitFor = z.strictObject({
  /** A status condition type that must become True. */
  condition: z.string().min(1).default('Ready'),
  timeout: duration.default('10m'),
});

export const kubernetesResource = z.strictObject({
  ...gvk,
  /** The resource's plural name, when it is not the lowercase kind + "s". */
  plural: z
    .string()
    .regex(/^[a-z0-9]+$/)
    .optional(),
  names: z.array(dnsSubdomain).optional(),
  labelSelector: labelSelector.optional(),
  /**
   * Secrets selected by label (or all Secrets) mean `list secrets` on the whole namespace: every
   * Secret's data readable by the pods of this set. Refused unless set true (validate warns).
   */
  allowListSecrets: z.boolean().optional(),
  /** Wait for this condition after restoring this entry, before the next. */
  waitFor: waitFor.optional(),
});

export const kubernetesComponent = z.strictObject({
  ...base,
  type: z.literal('kubernetes'),
  namespace: dnsLabel.optional(),
  resources: z.array(kubernetesResource).min(1, 'must list at least one resource'),
  /** Restore refuses while any of these objects exists (3scale: no APIManager). */
  requireAbsent: z.array(z.strictObject({ ...gvk, plural: z.string().optional(), name: dnsSubdomain.optional() })).default([]),
  /** What restore does with an object that already exists. */
  existing: z.enum(['skip', 'replace']).default('skip'),
});

// Normalized, because restic stores /data for /data/ or /data/./: a restore must find what backup named.
const absPath = z
  .string()
  .regex(/^\/[^\0]*$/, 'must be an absolute path')
  .refine(
    (p) => p === '/' || (posix.normalize(p) === p && !p.endsWith('/')),
    'must be a normalized absolute path such as /data (no trailing "/", no "." or ".." parts)',
  );

export const filesComponent = z.strictObject({
  ...base,
  type: z.literal('files'),
  paths: z.array(absPath).min(1, 'must list at least one path'),
  include: z.array(z.string().min(1)).default([]),
  exclude: z.array(z.string().min(1)).default([]),
  /** Restore into this directory instead of the original paths. */
  restoreTo: absPath.optional(),
  /** Volumes to mount at `paths` in the pod: PVC names by mount path. */
  volumes: z.array(z.strictObject({ claimName: dnsSubdomain, mountPath: absPath, readOnly: z.boolean().default(true) })).default([]),
  /**
   * The application's user (issue 13): the backup and restore pods run as runAsUser/runAsGroup so they can read 0600 files
   * and restore them with their owners. One pod runs as one user: files components of a set must agree (or set it at set level).
   */
  podSecurityContext: podSecurityContext.optional(),
});

export const component = z.discriminatedUnion('type', [
  postgresComponent,
  mysqlComponent,
  redisComponent,
  cockroachComponent,
  kubernetesComponent,
  filesComponent,
]);

export const COMPONENT_TYPES = component.options.map((o) => o.shape.type.value);

export type Component = z.output<typeof component>;
export type PostgresComponent = z.output<typeof postgresComponent>;
export type MysqlComponent = z.output<typeof mysqlComponent>;
export type RedisComponent = z.output<typeof redisComponent>;
export type CockroachComponent = z.output<typeof cockroachComponent>;
export type KubernetesComponent = z.output<typeof kubernetesComponent>;
export type FilesComponent = z.output<typeof filesComponent>;
export type DatabaseComponent = PostgresComponent | MysqlComponent | CockroachComponent;
