// The values model: one zod schema, the source of the TypeScript types and values.schema.json.
import { z } from 'zod';
import { VERSION } from '../version.js';
import { component } from './components.js';
import { cloneSchema } from './clone.js';
import { dbName } from './database-name.js';
import { copiesSchema } from './copies.js';
import { cron, dnsLabel, dnsSubdomain, duration, INSTANCE_ID, labelSelector, quantity, timeZone } from './formats.js';
import { hook, hooks } from './hooks.js';
import { networkPolicy } from './network-policy.js';
import { only } from './only.js';
import { containerSettings, operations, platform, serviceAccount, setPodSettingsShape } from './pod-settings.js';
import { emittedSecret, loginRef, passwordRef, s3CredentialsRef, secretKeyRef } from './secrets.js';

/** The runner image this release of safehold writes into manifests unless told otherwise. */
export const DEFAULT_IMAGE = `ghcr.io/safehold/runner:${VERSION}`;

const repoPrefix = z.string().regex(/^[A-Za-z0-9._-]+(\/[A-Za-z0-9._-]+)*$/, 'must be a relative path such as team/app');

/**
 * Protected repository (off unless present; S3 only): backup pods only add, with credentials that
 * cannot delete; a maintenance CronJob with its own credentials forgets, prunes and checks.
 * docs/security.md has the S3 policies and the Object Lock setup.
 */
export const protection = z
  .strictObject({
    maintenance: z.strictObject({
      schedule: cron,
      timeZone: timeZone.optional(),
      /** Run the maintenance CronJob in another namespace (its Secrets live there; the restic password Secret too). */
      namespace: dnsLabel.optional(),
      timeout: duration.default('2h'),
      /** Delete-capable S3 keys, used by the maintenance job only. */
      credentials: s3CredentialsRef,
    }),
    /** The bucket's default Object Lock retention, declared so that validate can check it covers what retention keeps. */
    objectLock: z.strictObject({ days: z.number().int().min(1).max(36500), mode: z.enum(['GOVERNANCE', 'COMPLIANCE']).default('COMPLIANCE') }).optional(),
  })
  .optional();
export type Protection = NonNullable<z.output<typeof protection>>;

export const repository = z
  .strictObject({
    s3: z
      .strictObject({
        endpoint: z.string().regex(/^https?:\/\/[^\s/]+$/, 'must be http(s)://host[:port] without a path'),
        bucket: z.string().regex(/^[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$/, 'must be an S3 bucket name'),
        region: z.string().default('us-east-1'),
        prefix: repoPrefix.optional(),
        /** Skip TLS verification (test servers only). */
        insecure: z.boolean().default(false),
        /** A Secret key holding a CA bundle for the endpoint. */
        caCert: secretKeyRef('ca.crt').optional(),
        /** Static keys; omit them to use the provider's default chain (IRSA, EKS Pod Identity, GKE/Azure workload identity). */
        credentials: s3CredentialsRef.optional(),
      })
      .optional(),
    pvc: z
      .strictObject({
        claimName: dnsSubdomain,
        /** Create the claim with this size; omit to use an existing claim. */
        size: quantity.optional(),
        storageClass: dnsSubdomain.optional(),
        path: repoPrefix.optional(),
      })
      .optional(),
    local: z.strictObject({ path: z.string().regex(/^\/.*/, 'must be an absolute path') }).optional(),
    password: secretKeyRef('password'),
    protection,
  })
  .superRefine((r, ctx) => {
    const kinds = ['s3', 'pvc', 'local'].filter((k) => r[k as 's3'] !== undefined);
    if (kinds.length !== 1) {
      ctx.addIssue({ code: 'custom', message: `must set exactly one of s3, pvc or local, got ${kinds.length ? kinds.join(', ') : 'none'}` });
    }
  });
export type Repository = z.output<typeof repository>;

const keep = z.number().int().min(0).max(10000).optional();
export const retention = z
  .strictObject({
    keepLast: keep,
    keepHourly: keep,
    keepDaily: keep,
    keepWeekly: keep,
    keepMonthly: keep,
    keepYearly: keep,
    /** Run `restic prune` after a backup that forgot sets (exclusive lock; set false to prune apart). */
    prune: z.boolean().default(true),
  })
  .default({ keepLast: 7, prune: true });
export type Retention = z.output<typeof retention>;

const resourceList = z.strictObject({ cpu: quantity.optional(), memory: quantity.optional(), 'ephemeral-storage': quantity.optional() });
export const resources = z
  .strictObject({ requests: resourceList.optional(), limits: resourceList.optional() })
  .default({ requests: { cpu: '100m', memory: '256Mi' }, limits: { memory: '1Gi' } });

export const monitoring = z
  .strictObject({
    enabled: z.boolean().default(true),
    pushgateway: z
      .string()
      .regex(/^https?:\/\/[^\s]+$/, 'must be an http(s) URL')
      .optional(),
    /** A Secret key holding the CA bundle of an https Pushgateway (otherwise the system's CAs are trusted). */
    caCert: secretKeyRef('ca.crt').optional(),
    /** Labels on the PrometheusRule, for the operator's ruleSelector (kube-prometheus-stack: release: <name>). */
    ruleLabels: z
      .record(
        z.string().regex(/^([a-z0-9.-]+\/)?[A-Za-z0-9]([-A-Za-z0-9_.]*[A-Za-z0-9])?$/, 'must be a label key'),
        z
          .string()
          .regex(/^([A-Za-z0-9]([-A-Za-z0-9_.]*[A-Za-z0-9])?)?$/, 'must be a label value (63 characters at most)')
          .max(63),
      )
      .default({}),
    /** A ConfigMap holding this set's Grafana dashboard, labelled for the Grafana sidecar (grafana_dashboard: "1"). */
    dashboard: z.boolean().default(false),
    alerts: z
      .strictObject({
        maxAge: duration.default('26h'),
        for: duration.default('15m'),
        severity: z.enum(['critical', 'warning', 'info']).default('critical'),
        /** Alert when a backup is smaller than this share of the previous one. */
        sizeDropRatio: z.number().gt(0).lt(1).default(0.5),
        drillMaxAge: duration.default('8d'),
      })
      .default({ maxAge: '26h', for: '15m', severity: 'critical', sizeDropRatio: 0.5, drillMaxAge: '8d' }),
  })
  .default({
    enabled: true,
    ruleLabels: {},
    dashboard: false,
    alerts: { maxAge: '26h', for: '15m', severity: 'critical', sizeDropRatio: 0.5, drillMaxAge: '8d' },
  });

export const drillTarget = z.strictObject({
  host: z.string().min(1).optional(),
  port: z.number().int().min(1).max(65535).optional(),
  /** Scratch database the drill creates and always drops afterwards. */
  database: z
    .string()
    .regex(/^[A-Za-z_][A-Za-z0-9_]*$/)
    .optional(),
  credentials: z.union([loginRef, passwordRef]).optional(),
  /** Run a throwaway server as a sidecar of the drill pod (same major as production); container settings override the set's. */
  sidecar: z.strictObject({ image: z.string().min(1), ...containerSettings }).optional(),
});

export const drillCheck = z.union([
  z.strictObject({ component: dnsLabel, sql: z.string().min(1), expect: z.string().default('t') }),
  z.strictObject({ component: dnsLabel, table: z.string().regex(/^[A-Za-z_][A-Za-z0-9_.]*$/), minRows: z.number().int().min(0) }),
  z.strictObject({ component: dnsLabel, redisMinKeys: z.number().int().min(0) }),
  z.strictObject({ hook }),
]);
export type DrillCheck = z.output<typeof drillCheck>;

export const drill = z.strictObject({
  schedule: cron,
  timeZone: timeZone.optional(),
  timeout: duration.default('2h'),
  targets: z.record(dnsLabel, drillTarget).default({}),
  checks: z.array(drillCheck).default([]),
  /** Drill from this copy (a name under copies:) instead of the set's own repository. */
  from: dnsLabel.optional(),
});
export type Drill = z.output<typeof drill>;

/** The scheduled integrity check of the repository (one per repository: see docs/verify.md). */
export const verify = z
  .strictObject({
    enabled: z.boolean().default(true),
    schedule: cron.default('30 4 * * *'),
    timeZone: timeZone.optional(),
    /** restic check --read-data-subset n/N with n rotating by day: all data is read back every N days. */
    readDataSubsets: z.number().int().min(1).max(1000).default(7),
    timeout: duration.default('6h'),
    /** Alert when no check has passed for this long. */
    maxAge: duration.default('3d'),
  })
  .default({ enabled: true, schedule: '30 4 * * *', readDataSubsets: 7, timeout: '6h', maxAge: '3d' });
export type Verify = z.output<typeof verify>;

export const restore = z.strictObject({
  snapshot: z
    .string()
    .regex(/^(latest|[a-z0-9][a-z0-9-]{5,63})$/, 'must be "latest" or a backup set id')
    .default('latest'),
  /** Restore from this copy (a name under copies:) instead of the set's own repository: docs/copies.md. */
  from: dnsLabel.optional(),
  /** Restore only these components (default: all, in order; with `only`: the components it names). */
  components: z.array(dnsLabel).optional(),
  /** Whole-server components (databases:): restore only these databases of the set (default: every one): docs/whole-servers.md. */
  databases: z.array(dbName).min(1).optional(),
  /** Partial restores by component name: tables, schemas, key patterns or paths, into the live target or beside it (docs/partial-restores.md). */
  only,
  dropExisting: z.boolean().default(false),
  /** With dropExisting: the database name(s) typed out, comma-separated, to confirm. */
  confirm: z.string().optional(),
  rolloutRestart: z.strictObject({ selector: labelSelector, namespace: dnsLabel.optional() }).optional(),
  /**
   * Scale the Deployments and StatefulSets this selector matches to zero before the restore and back after; the
   * replica counts are recorded, so a failed restore says how to scale back.
   */
  scaleDown: z.strictObject({ selector: labelSelector, namespace: dnsLabel.optional() }).optional(),
  /**
   * PostgreSQL: `keep` restores every object's recorded owner (missing roles are created); `login` gives
   * everything to the restore login and creates no role.
   */
  owners: z.enum(['keep', 'login']).default('keep'),
  timeout: duration.default('2h'),
  /** Changes the request (and the Job name) without changing anything else, to restore the same set again. */
  requestId: z
    .string()
    .regex(/^[a-z0-9-]{1,32}$/)
    .optional(),
});
export type Restore = z.output<typeof restore>;

export const dropDatabase = z.strictObject({
  component: dnsLabel,
  /** The database name typed out. */
  confirm: z.string(),
  requestId: z
    .string()
    .regex(/^[a-z0-9-]{1,32}$/)
    .optional(),
});

export const values = z.strictObject({
  $schema: z.string().optional(),
  name: dnsLabel,
  namespace: dnsLabel,
  instance: z.string().regex(INSTANCE_ID, 'must match ^[a-z]?[a-z0-9]{0,47}$').optional(),
  schedule: cron,
  timeZone: timeZone.default('UTC'),
  suspend: z.boolean().default(false),
  timeout: duration.default('1h'),
  image: z
    .string()
    .regex(/^[a-z0-9][a-z0-9._/:@-]*$/, 'must be an image reference')
    .default(DEFAULT_IMAGE),
  resources,
  repository,
  retention,
  /** Further repositories the good sets are copied to (docs/copies.md). */
  copies: copiesSchema(repository, retention.unwrap()),
  components: z.array(component).min(1, 'must list at least one component'),
  hooks,
  monitoring,
  drill: drill.optional(),
  verify,
  restore: restore.optional(),
  /** Restore another application's set into this one's targets, masked before the swap (docs/clones.md). */
  clone: cloneSchema(repository),
  dropDatabase: dropDatabase.optional(),
  secrets: z.array(emittedSecret).default([]),
  networkPolicy,
  // --- issue 13 (part A): pods in real clusters; see src/values/pod-settings.ts and docs/running-in-your-cluster.md ---
  ...setPodSettingsShape,
  operations,
  platform,
  serviceAccount,
  // --- end issue 13 (part A) ---
});

/** Values as written by users (defaults optional). */
export type ValuesInput = z.input<typeof values>;
/** Values after defaults: what constructs and the runner work with. */
export type Values = z.output<typeof values>;
