// Everything a runner command needs, built once from flags: values, secrets, repository, logger, scratch.
import { mkdirSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { WORKLOAD_ENV } from '../contract/deadline.js';
import { SCRATCH_DIR, SECRETS_DIR, type Operation } from '../contract/layout.js';
import { UsageError } from '../errors.js';
import { copyNamed } from '../values/copies.js';
import { loadLayered } from '../values/layers.js';
import { loadValuesFile } from '../values/load.js';
import type { Values } from '../values/schema.js';
import { createLogger, type Logger } from './log.js';
import { Restic } from './restic/client.js';
import { repoAccess } from './restic/repository.js';
import { SecretStore } from './secrets.js';

export interface RunContext {
  readonly values: Values;
  readonly configFile: string;
  readonly secrets: SecretStore;
  readonly restic: Restic;
  readonly log: Logger;
  readonly scratchDir: string;
  /** Outside a cluster: where finished one-shot requests are recorded. */
  readonly ledgerFile: string;
  readonly inCluster: boolean;
  readonly now: () => Date;
  /** The copy this run reads instead of the set's own repository (restore/drill --from, restore.from, drill.from). */
  readonly from?: string;
}

export interface ContextOptions {
  readonly config?: string;
  readonly values?: string;
  readonly secretsDir?: string;
  readonly scratchDir?: string;
  readonly ledger?: string;
  readonly log?: Logger;
  readonly env?: NodeJS.ProcessEnv;
  /** Which operation runs: picks the repository keys (maintenance holds the delete-capable ones). */
  readonly operation?: Operation;
  /** Read from this copy (copies[].name) instead of the set's own repository: restore and drill (docs/copies.md). */
  readonly from?: string;
}

export function buildContext(o: ContextOptions): RunContext {
  const env = o.env ?? process.env;
  const file = o.config ?? o.values;
  if (!file || (o.config && o.values)) throw new UsageError('give exactly one of --config FILE (in the cluster) or --values FILE (locally)');
  // A values file inherits its directory's _defaults.yaml; the config the constructs wrote is already whole.
  const values = o.config ? loadValuesFile(file) : loadLayered(file).values;
  const scratchDir = resolve(o.scratchDir ?? env.SAFEHOLD_SCRATCH_DIR ?? join(env.TMPDIR ?? SCRATCH_DIR, 'safehold'));
  const secrets = new SecretStore(o.secretsDir ?? env.SAFEHOLD_SECRETS_DIR ?? SECRETS_DIR, scratchDir);
  mkdirSync(scratchDir, { recursive: true, mode: 0o700 });
  const log = o.log ?? createLogger(undefined, { app: values.name, namespace: values.namespace, ...(values.instance ? { instance: values.instance } : {}) });
  const from = copyFrom(values, o);
  const repository = from === undefined ? values.repository : copyNamed(values, from)!.repository;
  const ledgerFile =
    o.ledger ?? join(dirname(resolve(file)), '.safehold-ledger', `${values.namespace}.${values.name}${values.instance ? `.${values.instance}` : ''}.json`);
  // Made on first use: a command that never touches the repository needs none of its Secrets.
  let restic: Restic | undefined;
  return {
    values,
    configFile: file,
    secrets,
    get restic() {
      if (!restic) {
        restic = new Restic(repoAccess(repository, secrets, scratchDir, o.operation, env), log);
        restic.workload = env[WORKLOAD_ENV] || undefined;
      }
      return restic;
    },
    log,
    scratchDir,
    ledgerFile,
    inCluster: !!env.KUBERNETES_SERVICE_HOST && !o.values,
    now: () => new Date(),
    from,
  };
}

/** The copy a run reads (--from, or restore.from / drill.from), or undefined for the set's own repository. */
function copyFrom(v: Values, o: ContextOptions): string | undefined {
  const written = o.operation === 'restore' ? v.restore?.from : o.operation === 'drill' ? v.drill?.from : undefined;
  // A restore request in git names its source (it is part of the request id): the command line cannot change it.
  const fixed = written !== undefined || (o.operation === 'restore' && !!v.restore);
  if (o.from !== undefined && fixed && o.from !== written) {
    throw new UsageError(
      `--from ${o.from} conflicts with ${o.operation}.from ${written === undefined ? '(not set)' : `"${written}"`} in the values: the request in git decides; change it there`,
    );
  }
  const name = o.from ?? written;
  if (name !== undefined && !copyNamed(v, name))
    throw new UsageError(`--from ${name}: no copy of that name (copies: ${(v.copies ?? []).map((c) => c.name).join(', ') || 'none'})`);
  return name;
}
