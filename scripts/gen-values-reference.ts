// Writes docs/values-reference.md from the zod values schema (the same schema as values.schema.json).
//
//   npx tsx scripts/gen-values-reference.ts           # regenerate docs/values-reference.md
//   npx tsx scripts/gen-values-reference.ts --check   # exit 1 when the committed file is stale
//
// The JSON schema carries no descriptions (zod `.describe()` is not used in src/values/), so the
// descriptions live in DESCRIPTIONS below, keyed by the field's path as printed in the reference.
// test/docs/values-reference.test.ts fails when the committed file is stale, when a description
// names a path that no longer exists, and when the annotated schema differs from values.schema.json.
import { readFileSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { z } from 'zod';
import { cron, dnsLabel, dnsSubdomain, duration, INSTANCE_ID, labelSelector, quantity, timeZone } from '../src/values/formats.js';
import { values } from '../src/values/schema.js';
import { POD_SETTINGS_DESCRIPTIONS } from './pod-settings-descriptions.js';

export const REFERENCE_FILE = join(dirname(fileURLToPath(import.meta.url)), '..', 'docs', 'values-reference.md');

type Json = Record<string, unknown>;

/** Formats the JSON schema cannot express (refinements) or spells as a long regex: named once, explained at the end. */
const NAMED_FORMATS = new Map<unknown, string>([
  [cron, 'cron'],
  [duration, 'duration'],
  [timeZone, 'time zone'],
  [dnsLabel, 'DNS-1123 label'],
  [dnsSubdomain, 'DNS-1123 subdomain'],
  [quantity, 'quantity'],
  [labelSelector, 'label selector'],
]);
/** Patterns written inline in the schema (not as a shared zod schema), named by their regex source. */
const NAMED_PATTERNS = new Map<string, string>([
  [INSTANCE_ID.source, 'instance id'],
  ['^[-._a-zA-Z0-9]+$', 'Secret key'],
]);
const FORMAT_KEY = 'x-safehold-format';

const FORMAT_TEXT: Record<string, string> = {
  cron: 'A Kubernetes CronJob schedule: five fields (minute hour day-of-month month day-of-week; names such as `mon` and `jan` allowed; ranges, lists and `*/n` steps) or one of `@yearly`, `@annually`, `@monthly`, `@weekly`, `@daily`, `@midnight`, `@hourly`. No `TZ=` prefix: use `timeZone`. Checked by safehold; the JSON schema only says "string".',
  duration:
    'Days, hours, minutes and seconds in that order, each optional, greater than zero: `30s`, `15m`, `1h`, `1h30m`, `8d`. A subset of Prometheus durations, so alert settings are copied into the PrometheusRule as written. Checked by safehold; the JSON schema only says "string".',
  'time zone':
    'An IANA time zone name such as `UTC`, `Europe/Berlin` or `America/New_York`, as known to the Node.js runtime that synthesizes (and to the kube-controller-manager that runs the CronJob). Checked by safehold; the JSON schema only says "string".',
  'DNS-1123 label': 'At most 63 characters of lowercase letters, digits and `-`, starting and ending with a letter or digit.',
  'DNS-1123 subdomain': 'At most 253 characters: DNS-1123 labels joined by `.` (the rule for most Kubernetes object names).',
  quantity: 'A Kubernetes resource quantity such as `500m`, `256Mi`, `10Gi`.',
  'label selector':
    'An equality-based label selector: `key=value`, `key==value` or `key!=value`, comma-separated (`app.kubernetes.io/part-of=monoskope`). Set-based selectors (`in`, `notin`, `exists`) are not accepted.',
  'instance id': "The Astarte operator's rule: an optional lowercase letter, then up to 47 lowercase letters or digits (`^[a-z]?[a-z0-9]{0,47}$`).",
  'Secret key': "A key of a Secret's `data`: letters, digits, `-`, `_` and `.`.",
};

/** Names of map keys, by the map's path (default `<key>`). */
const KEY_NAMES: Record<string, string> = {
  'drill.targets': '<component>',
  'restore.only': '<component>',
  'hooks.preBackup[type=command].env': '<NAME>',
  'hooks.preBackup[type=http].headers': '<header>',
  'secrets[].sealedSecret.encryptedData.<key>': 'The base64 ciphertext of one key.',
  'secrets[].sealedSecret.encryptedData': '<key>',
};

/**
 * Descriptions by path. An exact path wins; otherwise the longest `*.suffix` entry that the path
 * ends with. Paths are printed as in the reference: `components[type=postgres].host`.
 */
export const DESCRIPTIONS: Record<string, string> = {
  ...POD_SETTINGS_DESCRIPTIONS,
  // top level
  $schema:
    'Ignored by safehold. Lets editors (yaml-language-server) find `values.schema.json`; the usual form is a `# yaml-language-server: $schema=../values.schema.json` comment instead.',
  name: "The application (backup set) name. Prefixes every object safehold writes (`<name>-backup`, `<name>-safehold`, …) and, with `namespace` and `instance`, identifies this set's snapshots in a shared repository. Changing it starts a new history: the old snapshots stay under the old name.",
  namespace:
    'The namespace of every object of this set, of the runner pods and of the restore ledger ConfigMap. Also the default namespace of `kubernetes` components, exec hooks and `restore.rolloutRestart`.',
  instance:
    "An optional instance id (Astarte's `AstarteInstanceID`). Object names become `<name>-<instance>-…`, and snapshots, metrics and the ledger are kept apart from other instances of the same `name`.",
  schedule: 'When the backup CronJob runs.',
  timeZone: "The CronJob's `spec.timeZone`: the zone `schedule` is read in.",
  suspend:
    "The CronJob's `spec.suspend`: `true` stops scheduled backups without deleting anything. Manual runs (`kubectl create job --from=cronjob/…`) still work.",
  timeout:
    "The backup Job's `activeDeadlineSeconds`, also used for the drop-database Job. The runner stops its children a little earlier (20 %, at most a minute) to remove a partial set and push the failure metric before Kubernetes kills the pod.",
  image:
    'The runner image of every pod. Defaults to the image of this safehold release; pin a digest (`…@sha256:…`) or point at your own registry if the default cannot be pulled.',
  resources:
    "Requests and limits of the runner container (drill sidecars get the same). Every database restore, and the backup of `mysql`, `cockroachdb` and `redis` components (to check the stored dump), holds a whole dump in the pod's `/tmp` emptyDir: size `ephemeral-storage` for the largest dump.",
  'resources.requests': 'Resource requests of the runner container.',
  'resources.limits': 'Resource limits of the runner container.',
  '*.cpu': 'CPU.',
  '*.memory': 'Memory.',
  '*.ephemeral-storage': "Node-local scratch space (the `/tmp` emptyDir, restic's cache, spooled dumps).",
  networkPolicy:
    'Emit a NetworkPolicy for the runner pods: nothing may connect in; out only DNS and the TCP ports this set uses (databases, S3, Pushgateway, HTTP hooks, the API server when RBAC is needed). With a `command` hook every TCP port is allowed, since a command may connect anywhere.',

  // repository
  repository:
    "Where snapshots go: one restic repository. Set exactly one of `s3`, `pvc` or `local`. Several sets may share one repository; each set's snapshots are told apart by a pinned host name (`<namespace>.<name>[.<instance>]`) and tags.",
  'repository.s3': 'An S3-compatible bucket (AWS, MinIO, Backblaze B2, Ceph RGW, …).',
  'repository.s3.endpoint': 'Scheme, host and optional port; no path (`https://s3.eu-central-1.amazonaws.com`). Requests use path-style addressing.',
  'repository.s3.bucket': 'The bucket. It must exist; safehold initializes the restic repository in it on the first backup.',
  'repository.s3.region': "The bucket's region (`s3.region` and `AWS_DEFAULT_REGION` for restic).",
  'repository.s3.prefix':
    'A path inside the bucket for this repository (`team/app`). Sets that share a repository use the same prefix; sets that must not share it use different ones.',
  'repository.s3.insecure': 'Skip TLS certificate verification (`restic --insecure-tls`). For test servers only; use `caCert` for a private CA.',
  'repository.s3.caCert.key': 'The key holding the PEM bundle.',
  'repository.s3.caCert': "A Secret key holding the PEM CA bundle the endpoint's certificate is checked against (`restic --cacert`).",
  'repository.s3.credentials': 'The Secret with the S3 access key id and secret access key.',
  'repository.s3.credentials.accessKeyIdKey': 'The key holding the access key id.',
  'repository.s3.credentials.secretAccessKeyKey': 'The key holding the secret access key.',
  'repository.pvc':
    'A PersistentVolumeClaim mounted at `/var/lib/safehold/repository` in every runner pod. Backup, drill and restore pods mount it one at a time, so `ReadWriteOnce` is enough.',
  'repository.pvc.claimName': 'The claim. Without `size` it must exist; with `size` safehold creates it.',
  'repository.pvc.size':
    'Create the claim with this storage request (`10Gi`). The created claim carries annotations that keep Argo CD, Flux and Helm from ever pruning or deleting it.',
  'repository.pvc.storageClass': "The storage class of a created claim (default: the cluster's default class).",
  'repository.pvc.path': 'A sub-directory of the volume for the repository (several repositories on one volume).',
  'repository.local':
    'A directory on the machine running the runner: for local runs, CI and tests (`safehold backup --values …`). Not mounted into cluster pods.',
  'repository.local.path': 'Absolute path of the repository directory; created on the first backup.',
  'repository.password.key': 'The key holding the password.',
  'repository.protection':
    'Protected repository (S3 only; off unless set): backup pods only add, with keys that cannot delete; retention, prune and `restic check` run in a separate maintenance CronJob with its own keys. Retention is held while any set claims a time the bucket contradicts. See docs/security.md for the S3 policies and Object Lock.',
  'repository.protection.maintenance': 'The maintenance CronJob: forgets by the retention policy, prunes and checks the repository.',
  'repository.protection.maintenance.schedule': 'When maintenance runs (cron). Its longest gap counts toward the Object Lock period.',
  'repository.protection.maintenance.timeZone': "Time zone of the maintenance schedule (default: the set's timeZone).",
  'repository.protection.maintenance.credentials.accessKeyIdKey': 'The key holding the maintenance access key id.',
  'repository.protection.maintenance.credentials.secretAccessKeyKey': 'The key holding the maintenance secret access key.',
  'repository.protection.objectLock':
    "The bucket's default S3 Object Lock retention, declared so that validate checks it covers the retention horizon plus the maintenance interval.",
  'repository.protection.objectLock.days': 'Default retention of the bucket in days (as configured on the bucket).',
  'repository.protection.objectLock.mode': 'COMPLIANCE (no one can shorten it) or GOVERNANCE (users with s3:BypassGovernanceRetention can).',
  'repository.password':
    'The Secret key holding the restic repository password: the encryption key of every backup. **Lose it and the backups cannot be read by anyone.** Keep a copy outside the cluster. See docs/security.md.',

  // retention
  retention:
    "Which good backup sets to keep, as restic's `forget --keep-*` policy applied to whole sets after every good backup (and by `safehold prune`). Suspicious and incomplete sets never count, and the newest good set is never removed. At least one value must be above 0.",
  'monitoring.ruleLabels':
    "Labels on the PrometheusRule so that the Prometheus operator selects it (kube-prometheus-stack selects release: <its release name> by default). safehold's own app.kubernetes.io labels win on a clash.",
  'monitoring.ruleLabels.<key>': 'One label: key and value as Kubernetes allows them.',
  'retention.prune':
    'After a backup that forgot sets, run restic prune to free the space (takes an exclusive lock; set false and run safehold prune apart for very large repositories).',
  'retention.keepLast': 'Keep the newest N good sets.',
  'retention.keepHourly': 'Keep the newest good set of each of the last N hours that have one.',
  'retention.keepDaily': 'Keep the newest good set of each of the last N days that have one.',
  'retention.keepWeekly': 'Keep the newest good set of each of the last N weeks that have one.',
  'retention.keepMonthly': 'Keep the newest good set of each of the last N months that have one.',
  'retention.keepYearly': 'Keep the newest good set of each of the last N years that have one.',

  // components
  components: 'What one backup set consists of, backed up in this order and restored in this order. Component names must be unique within the file.',
  '*.name': 'A name for logs and errors.',
  'components[*].name':
    "The component's name: unique within `components`; names the component in logs, plans, metrics (`component` label) and `restore.components`.",
  'components[type=postgres]':
    'A PostgreSQL database: `pg_dump --format=custom --compress=0` streamed into restic (restic deduplicates and compresses); restored with `pg_restore`.',
  'components[type=mysql]':
    'A MySQL or MariaDB database: `mariadb-dump --single-transaction` (routines, triggers, events) streamed into restic; restored with the `mariadb` client.',
  'components[type=redis]': 'A Redis server: `redis-cli --rdb -` streamed into restic; restored key by key.',
  'components[type=cockroachdb]': 'A CockroachDB database.',
  'components[type=kubernetes]':
    'Kubernetes objects, read through the API, cleaned of server-set fields and stored as one `v1 List`; restored in the listed order (create if absent, optionally waiting for a condition).',
  'components[type=files]': 'Files from mounted volumes, backed up by restic directly (with include/exclude), restored into place or into `restoreTo`.',
  '*.type': 'The component (or hook) kind.',
  '*.host': 'Host name or IP address of the server, as the runner pod resolves it.',
  '*.port': 'TCP port of the server.',
  '*.database': 'The database to back up and restore into.',
  'components[type=postgres].database': 'The database to back up and restore into. Or `databases:` instead, for a whole server (exactly one of the two).',
  'components[type=mysql].database': 'The database to back up and restore into. Or `databases:` instead, for a whole server (exactly one of the two).',
  '*.databases':
    'A whole server instead of one database (postgres, mysql): `all` (every user database), a list of names, or `{ match: "shop_*", exclude: [...] }`. One stream per database plus the server\'s roles/tablespaces or accounts; see docs/whole-servers.md.',
  '*.databases[form 1]': "`all`: every user database of the server (never its own: templates, `postgres`, MariaDB's system schemas).",
  '*.databases[form 2]': 'These databases, by name; one the server lacks fails the backup.',
  '*.databases[match]': 'The databases whose names match, minus `exclude`.',
  '*.databases[match].match': 'Whole names: `*` any characters, `?` one.',
  '*.databases[match].exclude': 'Names the pattern must not take.',
  '*.passwords':
    "With `databases:` only. Record login roles' password verifiers (PostgreSQL, if the login may read `pg_authid`) or accounts' password hashes (MariaDB). Default: none recorded; roles come back LOGIN without a password, accounts locked. Never the bootstrap superuser's or root's.",
  '*.credentials': 'The Secret with the login. Read from files mounted into the pod; never written into manifests, arguments or environment of the manifests.',
  '*.secretName': 'Name of the Secret, in `namespace` (the runner pod mounts it).',
  '*.key': 'The key in the Secret.',
  '*.usernameKey': 'The key holding the user name.',
  '*.passwordKey': 'The key holding the password.',
  'components[type=postgres].restoreJobs':
    "Parallel `pg_restore --jobs` on restore (the dump is on the pod's scratch disk anyway: it is verified there before anything is dropped).",
  'components[type=postgres].sslMode': 'libpq `PGSSLMODE`.',
  'components[type=cockroachdb].sslMode': 'TLS mode of the connection.',
  'components[type=mysql].sslMode':
    "TLS of the connection: `verify-full` checks the certificate against `tls.caCert` and the host name (`--ssl-verify-server-cert`), `require` encrypts without checking, `disable` turns TLS off. Absent: the client's default (MariaDB 11.4+ clients verify). See docs/running-in-your-cluster.md.",
  'components[type=*].tls':
    'TLS files of the connection, as Secret references mounted into the pods; the runner passes their paths to the client tools (never their content). See docs/running-in-your-cluster.md.',
  'components[type=*].tls.caCert':
    "A Secret key holding the PEM CA bundle the server's certificate is checked against (libpq `sslrootcert`, `--ssl-ca`); required by `sslMode` `verify-ca` and `verify-full`.",
  'components[type=*].tls.caCert.key': 'The key holding the PEM bundle.',
  'components[type=*].tls.clientCert':
    'A client certificate and its private key in one Secret (a `kubernetes.io/tls` Secret), for certificate logins (CockroachDB, PostgreSQL `cert`, MariaDB `REQUIRE X509`). The key is copied into the scratch space with mode 0600, as libpq requires.',
  'components[type=*].tls.clientCert.certKey': 'The key holding the PEM client certificate.',
  'components[type=*].tls.clientCert.keyKey': 'The key holding the PEM private key.',
  'components[type=redis].credentials': 'The Secret with the Redis password (`AUTH`); omit for a server without one.',
  'components[type=redis].restoreMode': '`merge`: restored keys replace keys of the same name, other keys stay. `flush`: the database is emptied first.',
  'components[type=kubernetes].namespace': 'Where the objects are read and restored (default: `namespace`).',
  'components[type=kubernetes].resources':
    'What to store, in restore order. Each entry selects objects of one kind by `names` or `labelSelector` (neither: every object of the kind in the namespace).',
  'components[type=kubernetes].resources[].apiVersion':
    'The API version the objects are read and restored with (`v1`, `api.astarte-platform.org/v1alpha2`). The CRD must serve it at restore time.',
  'components[type=kubernetes].resources[].kind': 'The kind (`Secret`, `Astarte`).',
  'components[type=kubernetes].resources[].plural':
    "The resource's plural name when it is not the lowercase kind with the usual English plural (RBAC and API paths use it).",
  'components[type=kubernetes].resources[].names': 'Only these objects. Read by name (RBAC `get` on exactly these names).',
  'components[type=kubernetes].resources[].labelSelector': 'Only objects with these labels.',
  'components[type=kubernetes].resources[].allowListSecrets':
    'Secrets selected by label (or all Secrets) mean `list secrets` on the whole namespace; refused unless true, and validate warns.',
  'components[type=kubernetes].resources[].waitFor':
    "After restoring this entry's objects, wait until each reports a status condition before restoring the next entry (Astarte: the Astarte CR must be Ready before the ingress).",
  'components[type=kubernetes].resources[].waitFor.condition': 'The `status.conditions[].type` that must become `True`.',
  'components[type=kubernetes].resources[].waitFor.timeout': 'How long to wait; the restore fails after that.',
  'components[type=kubernetes].requireAbsent':
    'The restore refuses (exit code 3, nothing changed) while any of these objects exists (3scale: no APIManager may exist).',
  'components[type=kubernetes].requireAbsent[].apiVersion': 'API version of the kind that must be absent.',
  'components[type=kubernetes].requireAbsent[].kind': 'The kind that must be absent.',
  'components[type=kubernetes].requireAbsent[].plural': 'Its plural resource name, when unusual.',
  'components[type=kubernetes].requireAbsent[].name': 'Only this object must be absent (default: any object of the kind in the namespace).',
  'components[type=kubernetes].existing':
    'What the restore does with an object that exists: `skip` leaves it as it is, `replace` merge-patches it with the stored object.',
  'components[type=files].paths': 'Absolute paths to back up (directories or files), usually `volumes[].mountPath`.',
  'components[type=files].include':
    'Only these patterns, relative to each of `paths` or absolute inside one of them (`*`, `?`, `[…]` within a path segment, `**` across segments); a matched directory brings its whole subtree. Empty: everything under `paths`. A backup whose patterns match nothing fails.',
  'components[type=files].exclude': 'restic `--exclude` patterns.',
  'components[type=files].restoreTo': 'Restore into this directory instead of the original paths (one path: into it; several: `restoreTo/<basename>`).',
  'components[type=files].volumes':
    'PersistentVolumeClaims to mount in the runner pods: read-only (as declared) for backups, writable for restores, not at all for drills and drop-database.',
  'components[type=files].volumes[].claimName': 'The claim to mount.',
  'components[type=files].volumes[].mountPath': 'Where to mount it.',
  'components[type=files].volumes[].readOnly': 'Mount read-only in backup pods (restore pods always mount writable).',

  // hooks
  hooks:
    'Steps before and after backup and restore, run in order by the runner. Outputs of backup hooks can be stored with the set as artifacts; restore hooks read them from `{{artifacts}}/<name>`.',
  'hooks.preBackup': 'Before the first component is backed up. A failing hook (with `onError: fail`) fails the backup before anything is stored.',
  'hooks.postBackup': 'After the last component is stored, before the manifest: its artifacts are part of the set.',
  'hooks.preRestore': 'After every component was fetched and verified, before anything is dropped or restored.',
  'hooks.postRestore': 'After the last component is restored, before the rollout restart.',
  'hooks.preBackup[type=command]':
    'Run a program in the runner container (argument list, never a shell). It receives `SAFEHOLD_ARTIFACTS` and `SAFEHOLD_SET_ID` in its environment.',
  'hooks.preBackup[type=http]': 'Make an HTTP request from the runner.',
  'hooks.preBackup[type=exec]': 'Exec a command in a running pod, through the Kubernetes API (the runner gets RBAC `pods/exec` in that namespace).',
  '*.timeout': 'How long the step may take.',
  '*.onError': '`fail`: the failing hook fails the run. `continue`: it is logged and the run goes on.',
  '*.artifact':
    "Store the hook's output with the backup set under this file name: the file `{{artifacts}}/<artifact>` if the hook wrote it, else its standard output (at most 1 MiB). Backup hooks only.",
  '*.command': 'The program and its arguments. `{{artifacts}}` and `{{setId}}` are replaced in every argument.',
  '*.env.<NAME>': 'One variable: the Secret key its value is read from.',
  '*.env': 'Environment variables read from Secret keys (the value is read from the mounted file at run time).',
  '*.method': 'The HTTP method.',
  '*.url': 'The URL. `{{artifacts}}` and `{{setId}}` are replaced. Must not carry a password.',
  '*.headers':
    'Request headers: a literal `{ value }` or a Secret key `{ secretName, key }`. `Authorization`, `Cookie` and similar headers must come from a Secret.',
  '*.headers.<header>': 'One header.',
  '*.headers.<header>[value]': 'A literal value.',
  '*.headers.<header>[secretName]': 'A value read from a Secret key.',
  '*.headers.<header>[value].value': 'A literal header value (not for credentials).',
  '*.headers.<header>[secretName].secretName': 'Name of the Secret holding the header value.',
  '*.body': 'The request body. `{{artifacts}}` and `{{setId}}` are replaced.',
  '*.expectStatus': 'HTTP status codes that count as success.',
  '*.selector': 'Label selector of the pod to exec into: the first (by name) Running, not terminating pod that matches. Give exactly one of selector or pod.',
  'hooks.preBackup[type=exec].pod': "One pod by name (a StatefulSet's `db-0`): the Role then allows `pods/exec` on that pod only (resourceNames).",
  '*.container': "The container to exec into (default: the pod's first).",
  '*.namespace': 'Namespace (default: `namespace`).',

  // monitoring
  monitoring: 'Metrics and alerts. See docs/metrics-and-alerts.md.',
  'monitoring.enabled': 'Emit the PrometheusRule and push metrics. `false` emits no PrometheusRule (use it when the cluster has no prometheus-operator CRDs).',
  'monitoring.caCert':
    "A Secret key holding the PEM CA bundle an `https://` Pushgateway's certificate is checked against (absent: the system's CAs). Mounted into the pods that push.",
  'monitoring.caCert.key': 'The key holding the PEM bundle.',
  'monitoring.pushgateway':
    'The Prometheus Pushgateway the runner pushes to after every backup, drill and restore. Without it only the kube-state-metrics alerts are emitted. Prometheus must scrape the Pushgateway with `honor_labels: true`.',
  'monitoring.alerts': 'Thresholds of the PrometheusRule.',
  'monitoring.dashboard':
    'Emit a ConfigMap `<prefix>-safehold-dashboard` holding this set\'s Grafana dashboard, labelled `grafana_dashboard: "1"` for the Grafana sidecar. `safeholdDashboard()` (src/constructs/dashboard.ts) builds the generic one (every set) for import by hand.',
  'monitoring.alerts.maxAge': "Alert when the newest good backup is older than this (the schedule's interval plus the time a backup may take).",
  'monitoring.alerts.for': 'The `for:` of the age and staleness alerts.',
  'monitoring.alerts.severity':
    'The `severity` label of the alerts that mean "no usable backup"; size-drop, suspicious and stale-push alerts are always `warning`.',
  'monitoring.alerts.sizeDropRatio':
    'A component smaller than this share of the previous good set marks the new set suspicious (not counted by retention, exit code 5) and fires SafeholdBackupSizeDropped.',
  'monitoring.alerts.drillMaxAge': 'Alert when the newest successful drill is older than this.',

  // copies
  copies:
    "Further repositories this set's good sets are copied to (3-2-1), each by its own CronJob running `safehold copy --to <name>`. A copy is created with the source's chunker parameters (`restic init --copy-chunker-params`), so it deduplicates like the source; suspicious, incomplete and safety sets are never copied. See docs/copies.md.",
  'copies[].schedule': 'When the copy CronJob runs (cron, 5 fields); after the backup, so that the newest set travels the same day.',
  'copies[].timeZone': "Time zone of `schedule` (default: the set's `timeZone`).",
  'copies[].retention':
    "What the copy keeps, by whole good sets like the source (default: the set's `retention`). A protected copy is only added to; its own maintenance applies retention.",
  'copies[].retention.keepLast': 'Keep the newest N good sets in the copy.',
  'copies[].retention.keepHourly': 'Keep the newest good set of each of the last N hours.',
  'copies[].retention.keepDaily': 'Keep the newest good set of each of the last N days.',
  'copies[].retention.keepWeekly': 'Keep the newest good set of each of the last N weeks.',
  'copies[].retention.keepMonthly': 'Keep the newest good set of each of the last N months.',
  'copies[].retention.keepYearly': 'Keep the newest good set of each of the last N years.',
  'copies[].retention.prune': 'Run `restic prune` on the copy after its retention removed sets.',
  'copies[].maxLag': 'Alert (`SafeholdCopyLagging`) when the newest set in the copy is older than this.',

  // verify
  verify:
    "The scheduled integrity check of the repository: a CronJob runs `restic check --read-data-subset n/N` (n rotating by day) and reads every set's manifest, and pushes the result. One per repository: when several values files share one, `synth` emits it for the first by namespace/name/instance only (docs/verify.md).",
  'verify.enabled': 'Emit the verify CronJob (and its alerts) for this repository.',
  'verify.schedule': 'When the verify CronJob runs; keep it daily so that N runs read all the data.',
  'verify.timeZone': 'The zone `verify.schedule` is read in (default: `timeZone`).',
  'verify.readDataSubsets':
    'N of `--read-data-subset n/N`: each run reads back 1/N of the data (n = UTC day number mod N, plus 1), so all of it is read every N days; 1 reads everything every run.',
  'verify.timeout': "The verify Job's `activeDeadlineSeconds`.",
  'verify.maxAge': 'Alert when no check has passed for this long.',

  // drill
  drill:
    'A scheduled restore test: a second CronJob restores the newest good set into scratch targets, runs checks, always cleans up, and pushes the result. Absent: no drill CronJob.',
  'drill.schedule': 'When the drill CronJob runs.',
  'drill.timeZone': 'The zone `drill.schedule` is read in (default: `timeZone`).',
  'drill.from': 'Drill from this copy (a `copies[].name`): proves the copy restores, not only the source.',
  'drill.timeout': "The drill Job's `activeDeadlineSeconds`.",
  'drill.targets':
    'Where each component is restored, by component name. PostgreSQL/MySQL/CockroachDB default to a scratch database `safehold_drill_<component>` on the production server (the login needs CREATEDB); Redis needs a sidecar or another server. `kubernetes` and `files` components are skipped by drills in this release.',
  'drill.targets.<component>': 'The scratch target of one component.',
  'drill.targets.<component>.host': "Another server for the scratch restore (default: the component's host).",
  'drill.targets.<component>.port': "Its port (default: the component's port).",
  'drill.targets.<component>.database':
    'The scratch database the drill creates and always drops afterwards (default `safehold_drill_<component>`). Never the production database on the production server, and never a database that already exists under a name not starting with `safehold_drill_` (both refused, exit code 3).',
  'drill.targets.<component>.credentials':
    "The login for the scratch server (default: the component's credentials; with a sidecar: its superuser without a password).",
  'drill.targets.<component>.credentials[usernameKey]': 'A login with user name and password (SQL engines).',
  'drill.targets.<component>.credentials[form 2]': 'A password only (Redis).',
  'drill.targets.<component>.sidecar':
    "Run a throwaway server of this image beside the runner in the drill pod, listening on 127.0.0.1 only (postgres, mysql, redis, cockroachdb). Use the production server's major version.",
  'drill.targets.<component>.sidecar.image': 'The server image (`postgres:16`, `mariadb:10.11`, `redis:7`, `cockroachdb/cockroach:v23.1.14`).',
  'drill.checks': 'Assertions on the restored data, in addition to the built-in ones (every component restored; every table of the dump present).',
  'drill.checks[sql]': 'A SQL query on the restored scratch database; its single result must equal `expect`.',
  'drill.checks[sql].component': 'The component whose scratch target the check runs against.',
  'drill.checks[sql].sql': 'The query.',
  'drill.checks[sql].expect': 'The expected result as text (PostgreSQL prints booleans as `t`/`f`).',
  'drill.checks[table+minRows]': 'A table of the restored scratch database must hold at least `minRows` rows.',
  'drill.checks[table+minRows].component': 'The component whose scratch target the check runs against.',
  'drill.checks[table+minRows].table': 'The table (optionally `schema.table`).',
  'drill.checks[table+minRows].minRows': 'The least number of rows.',
  'drill.checks[redisMinKeys]': 'The restored scratch Redis must hold at least this many keys.',
  'drill.checks[redisMinKeys].component': 'The Redis component.',
  'drill.checks[redisMinKeys].redisMinKeys': 'The least number of keys.',
  'drill.checks[hook]': 'Any hook (command, http, exec) as a check: it must succeed.',
  'drill.checks[hook].hook': 'The hook.',

  // restore
  restore:
    'A restore request. While it is in the values, the synthesized output holds a one-shot restore Job named after a hash of this section; remove it once the Job has succeeded. See docs/restore.md.',
  'restore.snapshot':
    '`latest` (the newest good set) or a backup set id as listed by `safehold snapshots` (`20261122-003000-a1b2c3`; good or suspicious, never incomplete).',
  'restore.from':
    "Restore from this copy (a `copies[].name`) instead of the set's own repository, e.g. when that is lost. The plan names it; the request records go to the copy. Part of the request id.",
  'restore.components': 'Restore only these components, in the order of `components` (default: all; with `only`: the components it names).',
  'restore.databases':
    "Whole-server components (`databases:`): restore only these databases of the set (default: every one, with the server's roles or accounts). Each must be in the set. Part of the request id.",
  'restore.only':
    'Partial restores, by component name: some PostgreSQL tables or schemas, MariaDB tables, Redis key patterns or files paths, into the live target (the replaced ones kept as the way back) or beside it for a manual pick. Part of the request id. Never with `dropExisting`. See docs/partial-restores.md.',
  'restore.only.<component>': 'What one component restores; set the selector of its type.',
  'restore.only.<component>.tables':
    'postgres: `table` (schema public) or `schema.table`, each with its rows, indexes, constraints, owned sequences and their values, and its foreign keys; mysql: table names (no triggers or foreign keys with `into: live`).',
  'restore.only.<component>.schemas': 'postgres: every table of these schemas in the set.',
  'restore.only.<component>.keys':
    'redis: key patterns (`SCAN … MATCH` syntax: `*`, `?`, `[…]`); matching keys of the set replace the live ones; never flushed.',
  'restore.only.<component>.paths': "files: absolute paths inside the component's `paths` (restic include patterns); other files are left alone.",
  'restore.only.<component>.into':
    '`live`: replace them in the target (PostgreSQL keeps the replaced tables in `<schema>.safehold-previous`, MariaDB in `<db>-safehold-previous`). `side`: restore them beside it: schema `<schema>.safehold-restored`, database `<db>-safehold-restored`, key prefix `safehold-restored:`, directory `<root>/.safehold-restored`.',
  'restore.dropExisting':
    'MariaDB/MySQL and CockroachDB: drop each restored database and create it (with its recorded charset and collation) before restoring into it, after every component was fetched and verified and a safety copy stored. Needs `confirm`. PostgreSQL is never dropped: it is restored beside the live database and swapped in, the replaced one kept as `<db>.safehold-previous`.',
  'restore.owners':
    'PostgreSQL: `keep` gives every object its recorded owner back and creates the roles the set references that are missing; `login` gives everything to the restore login and creates no role.',
  'restore.confirm':
    'With `dropExisting`: the names of the databases that will be dropped, typed out, comma-separated, in component order (`eventstore`, `shop,billing`).',
  'restore.rolloutRestart': 'After the restore, a rollout restart of every Deployment and StatefulSet matching the selector (caches, connection pools).',
  'restore.rolloutRestart.selector': 'Which Deployments and StatefulSets to restart.',
  'restore.rolloutRestart.namespace': 'Where they are (default: `namespace`).',
  'restore.timeout': "The restore Job's `activeDeadlineSeconds`.",
  'restore.requestId':
    'A free string that is part of the request hash: change it to run the same restore again (a new Job; the ledger has not seen the new id).',

  // clone
  clone:
    "A one-shot clone Job: another application's set (production) restored into this application's PostgreSQL databases (staging), each built in a closed side database, masked there, opened as the live database is, then swapped in. Refuses the source's own targets. One request at a time: not with `restore`. See docs/clones.md.",
  'clone.from': 'The application whose set is cloned, as in its values file.',
  'clone.from.namespace': "The source application's `namespace`.",
  'clone.from.name': "The source application's `name`.",
  'clone.from.instance': "The source application's `instance`, if it has one.",
  'clone.from.repository':
    "Where the source's sets are (default: this set's own `repository`, when both share one). Read with `--no-lock`: read-only keys suffice.",
  'clone.snapshot': 'Which set of the source: `latest` (its newest good set) or a set id.',
  'clone.components': "Clone only these components (default: all); each is matched by name with the source set's component.",
  'clone.mask':
    'Masking steps, in order, run on the side database after the load and before it is opened or swapped in. The first failure stops the clone and leaves every target as it was.',
  'clone.mask[sql]': 'SQL statements run on the side database as the restore login, in one transaction.',
  'clone.mask[sql].component': 'The cloned component whose side database the step runs on.',
  'clone.mask[sql].sql': 'One statement or a list (no psql backslash commands).',
  'clone.mask[sql].sql[form 1]': 'One statement.',
  'clone.mask[sql].sql[form 2]': 'Statements run in order, all in the one transaction.',
  'clone.mask[hook]': 'A command or http hook; a command hook gets PGHOST, PGPORT, PGDATABASE, PGUSER, PGPASSWORD of the side database in its environment.',
  'clone.mask[hook].component': 'The cloned component whose side database the hook masks.',
  'clone.mask[hook].hook': 'The hook (command or http; `onError: continue` and artifacts are refused).',
  'clone.timeout': "The clone Job's `activeDeadlineSeconds`.",
  'clone.requestId': 'A free string that is part of the request hash: change it to clone the same set again (a new Job).',

  // dropDatabase
  dropDatabase:
    'A one-shot drop-database Job (Monoskope\'s "drop, then restore"): drops the database and creates it empty. Prefer `restore.dropExisting`, which drops only after the backup was verified. See docs/restore.md.',
  'dropDatabase.component': 'The database component whose database is dropped.',
  'dropDatabase.confirm': "The database name, typed out. Must equal the component's `database`.",
  'dropDatabase.requestId': 'Change it to run the same drop again.',

  // secrets
  secrets:
    'Secrets safehold asks for on your behalf: an ExternalSecret (external-secrets.io) or a SealedSecret (bitnami). Never a plain Secret. Set exactly one of `externalSecret` or `sealedSecret` per entry.',
  'secrets[].name': 'Name of the Secret to be created (what `secretName` references use).',
  'secrets[].externalSecret': 'Emit an `external-secrets.io/v1` ExternalSecret (ESO 0.16 and later) whose target Secret is owned by it.',
  'secrets[].externalSecret.secretStore': 'The store to read from.',
  'secrets[].externalSecret.secretStore.name': 'Name of the SecretStore or ClusterSecretStore.',
  'secrets[].externalSecret.secretStore.kind': 'Its kind.',
  'secrets[].externalSecret.refreshInterval': 'How often the operator re-reads the remote secret.',
  'secrets[].externalSecret.data': 'One entry per key of the Secret.',
  'secrets[].externalSecret.data[].secretKey': 'The key in the Secret.',
  'secrets[].externalSecret.data[].remoteKey': 'The key in the remote store.',
  'secrets[].externalSecret.data[].property': 'A property of the remote value (a field of a JSON secret).',
  'secrets[].sealedSecret': 'Emit a `bitnami.com/v1alpha1` SealedSecret with this ciphertext.',
  'secrets[].sealedSecret.encryptedData.<key>': 'The base64 ciphertext of one key.',
  'secrets[].sealedSecret.encryptedData': 'Ciphertext by Secret key, as printed by `kubeseal --raw` for this name and namespace.',
};

// ---------------------------------------------------------------------------------------------

/** The values schema as JSON schema, with the named formats marked; stripping the marks gives values.schema.json. */
export function annotatedSchema(): Json {
  return z.toJSONSchema(values, {
    io: 'input',
    target: 'draft-2020-12',
    unrepresentable: 'any',
    override: (ctx) => {
      const name = NAMED_FORMATS.get(ctx.zodSchema);
      if (name) (ctx.jsonSchema as Json)[FORMAT_KEY] = name;
    },
  }) as Json;
}

/** Removes the format marks (for comparing with values.schema.json). */
export function stripFormats<T>(node: T): T {
  if (Array.isArray(node)) return node.map(stripFormats) as T;
  if (node && typeof node === 'object') {
    return Object.fromEntries(
      Object.entries(node)
        .filter(([k]) => k !== FORMAT_KEY)
        .map(([k, v]) => [k, stripFormats(v)]),
    ) as T;
  }
  return node;
}

export interface Row {
  readonly path: string;
  readonly type: string;
  readonly required: boolean;
  readonly default?: unknown;
  readonly allowed: string;
  readonly description: string;
}

/** A YAML-flow rendering of a default value: `{ keepLast: 7 }`, `[200, 201]`, `1h`. */
export function flow(v: unknown): string {
  if (Array.isArray(v)) return v.length ? `[${v.map(flow).join(', ')}]` : '[]';
  if (v && typeof v === 'object') {
    const entries = Object.entries(v);
    return entries.length ? `{ ${entries.map(([k, x]) => `${k}: ${flow(x)}`).join(', ')} }` : '{}';
  }
  if (typeof v === 'string') {
    const plain =
      /^[A-Za-z0-9_./:@-][A-Za-z0-9_./:@ -]*$/.test(v) &&
      !/^(true|false|null|yes|no|on|off|~|[-+]?\d[\d._]*)$/i.test(v) &&
      !v.endsWith(' ') &&
      !v.includes(': ');
    return plain ? v : JSON.stringify(v);
  }
  return String(v);
}

const asList = (x: unknown): Json[] => (Array.isArray(x) ? (x as Json[]) : []);
const props = (s: Json): Record<string, Json> => (s.properties as Record<string, Json> | undefined) ?? {};

function unionOf(s: Json): Json[] | undefined {
  return (s.oneOf as Json[] | undefined) ?? (s.anyOf as Json[] | undefined);
}

/** The discriminator of a union: a property that is `const` in every variant. */
function discriminator(variants: Json[]): string | undefined {
  const first = Object.keys(props(variants[0] ?? {}));
  return first.find((k) => variants.every((v) => props(v)[k]?.const !== undefined));
}

/** A label per variant: `type=postgres`; else the required (or any) keys no other variant has; else `form N`. */
function variantLabels(variants: Json[]): string[] {
  const disc = discriminator(variants);
  if (disc) return variants.map((v) => `${disc}=${String(props(v)[disc].const)}`);
  const labels = variants.map((v, i) => {
    const others = variants.filter((_, j) => j !== i);
    const unique = (keys: string[]) => keys.filter((k) => others.every((o) => !(k in props(o))));
    const req = unique(asList(v.required) as unknown as string[]);
    if (req.length) return req.join('+');
    const any = unique(Object.keys(props(v)));
    return any.length ? any.join('+') : `form ${i + 1}`;
  });
  return labels.map((l, i) => (labels.indexOf(l) === i ? l : `form ${i + 1}`));
}

function typeOf(s: Json): string {
  const union = unionOf(s);
  if (union) {
    const disc = discriminator(union);
    return disc ? `one of (by \`${disc}\`)` : 'one of';
  }
  if (s.type === 'array') return `list of ${typeOf((s.items as Json) ?? {})}`;
  if (s.type === 'object')
    return s.additionalProperties && typeof s.additionalProperties === 'object' ? `map of ${typeOf(s.additionalProperties as Json)}` : 'object';
  if (s.const !== undefined) return typeof s.const;
  return typeof s.type === 'string' ? s.type : 'any';
}

/** Inline code; inside a table cell `|` is escaped. */
const code = (text: string, inTable = true): string => {
  const t = inTable ? text.replace(/\|/g, '\\|') : text;
  return t.includes('`') ? `\`\` ${t} \`\`` : `\`${t}\``;
};

function allowedOf(s: Json): string {
  const parts: string[] = [];
  const format = s[FORMAT_KEY] as string | undefined;
  const namedPattern = typeof s.pattern === 'string' ? NAMED_PATTERNS.get(s.pattern) : undefined;
  if (format) parts.push(`[${format}](#${anchor(format)})`);
  else if (namedPattern) parts.push(`[${namedPattern}](#${anchor(namedPattern)})`);
  else if (typeof s.pattern === 'string') parts.push(`pattern ${code(s.pattern)}`);
  if (s.const !== undefined) parts.push(`= ${code(String(s.const))}`);
  if (Array.isArray(s.enum)) parts.push(`one of ${s.enum.map((e) => code(String(e))).join(', ')}`);
  // zod bounds every integer by the safe-integer range: not worth printing.
  const bound = (x: unknown) => (typeof x === 'number' && Math.abs(x) < Number.MAX_SAFE_INTEGER ? x : undefined);
  const lo = bound(s.minimum ?? s.exclusiveMinimum);
  const hi = bound(s.maximum ?? s.exclusiveMaximum);
  if (lo !== undefined || hi !== undefined) {
    const l = lo === undefined ? '' : `${s.exclusiveMinimum !== undefined ? '>' : '≥'} ${lo}`;
    const h = hi === undefined ? '' : `${s.exclusiveMaximum !== undefined ? '<' : '≤'} ${hi}`;
    parts.push([l, h].filter(Boolean).join(', '));
  }
  if (!format && !namedPattern) {
    if (s.minLength !== undefined && s.maxLength !== undefined) parts.push(`${s.minLength}–${s.maxLength} characters`);
    else if (s.minLength !== undefined && s.minLength !== 1) parts.push(`at least ${s.minLength} characters`);
    else if (s.minLength === 1) parts.push('not empty');
    else if (s.maxLength !== undefined) parts.push(`at most ${s.maxLength} characters`);
  }
  if (s.minItems !== undefined) parts.push(`at least ${s.minItems} item${s.minItems === 1 ? '' : 's'}`);
  const items = s.items as Json | undefined;
  if (s.type === 'array' && items && items.type !== 'object' && !unionOf(items)) {
    const each = allowedOf(items);
    if (each) parts.push(`each: ${each}`);
  }
  const keys = s.propertyNames as Json | undefined;
  if (keys && typeof keys === 'object') {
    const kf = (keys[FORMAT_KEY] as string | undefined) ?? (typeof keys.pattern === 'string' ? NAMED_PATTERNS.get(keys.pattern) : undefined);
    if (kf) parts.push(`keys: [${kf}](#${anchor(kf)})`);
    else if (typeof keys.pattern === 'string') parts.push(`keys: pattern ${code(keys.pattern)}`);
  }
  return parts.join('; ');
}

/** GitHub's heading anchor for a plain heading text. */
export function anchor(heading: string): string {
  return heading
    .trim()
    .toLowerCase()
    .replace(/[^\p{L}\p{N}\s_-]/gu, '')
    .replace(/\s/g, '-');
}

/** A description key as a regex: `*` matches any run of characters; a leading `*.` also matches at the top level. */
function keyRegex(key: string): RegExp {
  const body = key
    .split('*')
    .map((part) => part.replace(/[.+?^${}()|[\]\\<>]/g, '\\$&'))
    .join('.*');
  return new RegExp(`^${key.startsWith('*.') ? `(?:.*\\.)?${body.slice(4)}` : body}$`);
}

/** The description of a path: its exact key, else the longest glob key that matches it. */
export function describePath(path: string): string | undefined {
  if (DESCRIPTIONS[path] !== undefined) return DESCRIPTIONS[path];
  let best: string | undefined;
  for (const key of Object.keys(DESCRIPTIONS)) {
    if (key.includes('*') && keyRegex(key).test(path) && (!best || key.length > best.length)) best = key;
  }
  return best ? DESCRIPTIONS[best] : undefined;
}

interface Walk {
  readonly rows: Row[];
  /** Subtrees already written out, by canonical JSON: later copies refer to the first. */
  readonly seen: Map<string, string>;
}

const MIN_ROWS_TO_SHARE = 6;

function rowsOf(s: Json, path: string, required: boolean, w: Walk): void {
  const isTree = s.type === 'object' || s.type === 'array' || !!unionOf(s);
  const description = describePath(path) ?? '';
  const first = isTree ? w.seen.get(JSON.stringify(s)) : undefined;
  if (first) {
    w.rows.push({
      path,
      type: typeOf(s),
      required,
      default: s.default,
      allowed: allowedOf(s),
      description: `${description} Same fields as ${code(first)}.`.trim(),
    });
    return;
  }
  const before = w.rows.length;
  w.rows.push({ path, type: typeOf(s), required, default: s.default, allowed: allowedOf(s), description });
  expand(s, path, w);
  if (isTree && w.rows.length - before >= MIN_ROWS_TO_SHARE) w.seen.set(JSON.stringify(s), path);
}

/** The variants of a union, each as a row `path[label]` followed by its fields. */
function variants(union: Json[], path: string, w: Walk): void {
  const labels = variantLabels(union);
  union.forEach((v, i) => {
    const vp = `${path}[${labels[i]}]`;
    w.rows.push({ path: vp, type: typeOf(v), required: false, allowed: allowedOf(v), description: describePath(vp) ?? '' });
    expand(v, vp, w);
  });
}

function expand(s: Json, path: string, w: Walk): void {
  const union = unionOf(s);
  if (union) return variants(union, path, w);
  if (s.type === 'array') {
    const items = (s.items as Json | undefined) ?? {};
    const before = w.rows.length;
    const itemUnion = unionOf(items);
    if (itemUnion) variants(itemUnion, path, w);
    else if (items.type === 'object') expand(items, `${path}[]`, w);
    // a lone union elsewhere with the same shape (drill.checks[hook].hook) refers back here
    if (w.rows.length - before >= MIN_ROWS_TO_SHARE && !w.seen.has(JSON.stringify(items))) w.seen.set(JSON.stringify(items), `${path}[]`);
    return;
  }
  if (s.type !== 'object') return;
  const req = new Set(asList(s.required) as unknown as string[]);
  for (const [k, child] of Object.entries(props(s))) rowsOf(child, `${path}.${k}`, req.has(k), w);
  const extra = s.additionalProperties;
  if (extra && typeof extra === 'object') rowsOf(extra as Json, `${path}.${KEY_NAMES[path] ?? '<key>'}`, false, w);
}

/** Every field of the values schema, in schema order, as rows of the reference. */
export function referenceRows(schema: Json = annotatedSchema()): Row[] {
  const w: Walk = { rows: [], seen: new Map() };
  const req = new Set(asList(schema.required) as unknown as string[]);
  for (const [k, s] of Object.entries(props(schema))) rowsOf(s, k, req.has(k), w);
  return w.rows;
}

function table(rows: readonly Row[]): string {
  const head = '| field | type | required | default | allowed | description |\n|---|---|---|---|---|---|';
  const body = rows.map((r) =>
    [code(r.path), r.type, r.required ? 'yes' : '', r.default === undefined ? '' : code(flow(r.default)), r.allowed, r.description.replace(/\|/g, '\\|')].join(
      ' | ',
    ),
  );
  return [head, ...body.map((b) => `| ${b} |`)].join('\n');
}

const RULES = `## Rules the schema cannot express

Every problem of a file is reported at once as \`file:line:col path: message\`, and the exit code
is 2. Checked whenever a values file is loaded (\`safehold validate\`, \`npm run synth\`, the
runner at start-up):

- **No credentials in values files.** A scalar under a key such as \`password\`, \`token\`,
  \`secret\`, \`apiKey\`, \`accessKey\`, \`privateKey\`, \`credentials\` or \`authorization\`, a URL
  with a password (\`scheme://user:pass@host\`) and a literal \`Authorization\`/\`Cookie\`-like HTTP
  header are errors that name the Secret reference to write instead
  (\`src/values/secrets.ts\`).
- \`repository\`: exactly one of \`s3\`, \`pvc\`, \`local\`.
- \`retention\`: at least one \`keep*\` above 0.
- \`components[].name\`: unique.
- Hook artifacts: unique per phase; only backup hooks (\`preBackup\`, \`postBackup\`) produce
  artifacts.
- \`restore.components\`: each names a component.
- \`restore.only\`: each key names a restored component of type postgres, mysql, redis or files, with
  the selectors of its type (\`tables\`/\`schemas\`, \`tables\`, \`keys\`, \`paths\` inside its \`paths\`);
  never with \`dropExisting\` or a \`dropDatabase\` of the same component (\`src/values/only.ts\`).
- \`restore.dropExisting: true\` needs \`restore.confirm\` equal to the names of the databases it
  drops, comma-separated, in component order; \`confirm\` without \`dropExisting\` is an error.
- \`dropDatabase.component\` names a database component (postgres, mysql, cockroachdb), and
  \`dropDatabase.confirm\` equals its \`database\`; never a whole-server component.
- postgres and mysql components: exactly one of \`database\` and \`databases\`; \`passwords\` only
  with \`databases\`; a \`databases\` list names no server database (\`template0\`, \`template1\`,
  \`postgres\`; \`mysql\`, \`information_schema\`, \`performance_schema\`, \`sys\`) and no name twice.
  \`restore.databases\` needs a restored whole-server component; with \`dropExisting\`, a
  whole-server component's part of \`confirm\` is its list, or \`all of <component>\`
  (\`src/values/server-rules.ts\`).
- \`drill.targets\` keys and \`drill.checks[].component\` name components; a drill target must not
  be the production database on the production server, and a Redis drill needs a sidecar or
  another server (\`src/values/rules.ts\`).

Checked by \`npm run synth\` (\`safehold synth\`) only, not by \`safehold validate\`, in this release
(\`src/constructs/\`):

- \`drill.targets.<component>.sidecar\`: sidecars exist for postgres, mysql, redis and
  cockroachdb only.
- \`secrets[]\`: exactly one of \`externalSecret\` or \`sealedSecret\`; names unique.
- Object names: \`<name>[-<instance>]-backup\` and \`-drill\` must fit the 52 characters
  Kubernetes allows a CronJob name.
`;

function formatsSection(schema: Json): string {
  const patterns = new Map<string, string>();
  (function collect(n: unknown): void {
    if (Array.isArray(n)) n.forEach(collect);
    else if (n && typeof n === 'object') {
      const o = n as Json;
      const f = o[FORMAT_KEY] as string | undefined;
      if (f && typeof o.pattern === 'string' && !patterns.has(f)) patterns.set(f, o.pattern);
      Object.values(o).forEach(collect);
    }
  })(schema);
  for (const [re, name] of NAMED_PATTERNS) patterns.set(name, re);
  const names = [...new Set([...NAMED_FORMATS.values(), ...NAMED_PATTERNS.values()])];
  return [
    '## Formats',
    '',
    ...names.flatMap((n) => [`### ${n}`, '', FORMAT_TEXT[n] ?? '', ...(patterns.get(n) ? ['', `Pattern: ${code(patterns.get(n)!, false)}`] : []), '']),
  ].join('\n');
}

/** Top-level fields that are not objects or lists go into one table; the others get a section each. */
function isSection(s: Json): boolean {
  return s.type === 'object' || s.type === 'array' || !!unionOf(s);
}

export function renderValuesReference(schema: Json = annotatedSchema()): string {
  const rows = referenceRows(schema);
  const top = Object.entries(props(schema));
  const scalarNames = top.filter(([, s]) => !isSection(s)).map(([k]) => k);
  const sectionNames = top.filter(([, s]) => isSection(s)).map(([k]) => k);
  const under = (k: string) => rows.filter((r) => r.path === k || r.path.startsWith(`${k}.`) || r.path.startsWith(`${k}[`));
  const required = asList(schema.required) as unknown as string[];
  return [
    '# Values reference',
    '',
    '<!-- Generated by scripts/gen-values-reference.ts from the zod schema in src/values/ (the schema values.schema.json is written from). Do not edit by hand: run `npx tsx scripts/gen-values-reference.ts`. test/docs/values-reference.test.ts fails when this file is stale. -->',
    '',
    'One values file describes one backup set: what to back up, where, when, and how to restore it.',
    `Required at the top level: ${required.map((r) => code(r)).join(', ')}. Every object is closed: an unknown or misspelt`,
    'field is an error. Paths are written as `a.b`, `list[]` for the items of a list,',
    '`list[type=postgres]` for one form of a list whose items come in several forms, and `map.<key>`',
    'for the entries of a map. Defaults are applied by safehold when the file is loaded; the runner',
    'config in the ConfigMap holds the values with defaults filled in.',
    '',
    'Editors check files against `values.schema.json` (the first line',
    '`# yaml-language-server: $schema=../values.schema.json`); `safehold validate` applies the same',
    'schema plus the [rules it cannot express](#rules-the-schema-cannot-express).',
    '',
    '## Contents',
    '',
    `- [Top-level settings](#top-level-settings): ${scalarNames.map((n) => code(n)).join(', ')}`,
    ...sectionNames.map((n) => `- [${code(n)}](#${anchor(n)})`),
    '- [Rules the schema cannot express](#rules-the-schema-cannot-express)',
    '- [Formats](#formats)',
    '',
    '## Top-level settings',
    '',
    table(rows.filter((r) => scalarNames.includes(r.path))),
    '',
    ...sectionNames.flatMap((n) => [`## ${code(n)}`, '', table(under(n)), '']),
    RULES,
    formatsSection(schema),
  ]
    .join('\n')
    .replace(/\n+$/, '\n');
}

/** Description keys that match no field: a renamed or removed field left its description behind. */
export function staleDescriptions(rows: readonly Row[] = referenceRows()): string[] {
  const paths = rows.map((r) => r.path);
  return Object.keys(DESCRIPTIONS).filter((k) => (k.includes('*') ? !paths.some((p) => keyRegex(k).test(p)) : !paths.includes(k)));
}

function main(argv: string[]): number {
  const text = renderValuesReference();
  if (argv.includes('--check')) {
    let current = '';
    try {
      current = readFileSync(REFERENCE_FILE, 'utf8');
    } catch {
      // missing counts as stale
    }
    if (current === text) return 0;
    process.stderr.write(`${REFERENCE_FILE} is stale: run npx tsx scripts/gen-values-reference.ts\n`);
    return 1;
  }
  writeFileSync(REFERENCE_FILE, text);
  process.stdout.write(`wrote ${REFERENCE_FILE}\n`);
  return 0;
}

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) process.exitCode = main(process.argv.slice(2));
