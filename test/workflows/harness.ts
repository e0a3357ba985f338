// The GitOps path of a workflow test: values file → synth → the manifests' runner config and RBAC →
// the Job's own arguments, run as a child process (the runner exactly as in the image) against the
// test servers and the fake Kubernetes API.
import { spawn } from 'node:child_process';
import { copyFileSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { basename, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseAllDocuments, parseDocument } from 'yaml';
import { synthesizeAll } from '../../src/app.js';
import { CONFIG_FILE, CONFIG_PATH } from '../../src/contract/layout.js';
import { buildContext, type RunContext } from '../../src/runner/context.js';
import { silentLogger } from '../../src/runner/log.js';
import type { RbacRule } from '../support/fake-kube-util.js';
import { servers, tmpDir } from '../support/env.js';

type Obj = Record<string, any>;

export const ROOT = fileURLToPath(new URL('../..', import.meta.url));
export const valuesFile = (name: string) => join(ROOT, 'values', name);

export interface Synthesized {
  readonly dir: string;
  readonly objects: Obj[];
  /** The runner config as the ConfigMap carries it (parsed JSON). */
  readonly config: Obj;
  /** The runner's Role rules by namespace. */
  readonly rbac: Map<string, RbacRule[]>;
  /** The container args of the backup CronJob, the restore Job or the drop-database Job. */
  args(which: 'backup' | 'restore' | 'drop-database'): string[];
}

/**
 * Synthesizes one values file (optionally edited the way a user edits it in a pull request, e.g.
 * adding `restore:`) with the real generator, and reads back what a cluster would get.
 */
export async function synth(source: string, edit?: (doc: ReturnType<typeof parseDocument>) => void): Promise<Synthesized> {
  const dir = await tmpDir('synth');
  const valuesDir = join(dir, 'values');
  mkdirSync(valuesDir);
  const target = join(valuesDir, basename(source));
  if (edit) {
    const doc = parseDocument(readFileSync(source, 'utf8'));
    edit(doc);
    writeFileSync(target, doc.toString());
  } else copyFileSync(source, target);
  await synthesizeAll({ valuesDir, outDir: join(dir, 'dist') });
  const text = readFileSync(join(dir, 'dist', basename(source).replace(/\.ya?ml$/, '.k8s.yaml')), 'utf8');
  const objects = parseAllDocuments(text)
    .map((d) => d.toJS() as Obj)
    .filter(Boolean);
  const cm = objects.find((o) => o.kind === 'ConfigMap' && o.data?.[CONFIG_FILE]);
  if (!cm) throw new Error('no runner ConfigMap in the synthesized manifests');
  const rbac = new Map<string, RbacRule[]>();
  for (const role of objects.filter((o) => o.kind === 'Role')) rbac.set(role.metadata.namespace, [...(rbac.get(role.metadata.namespace) ?? []), ...role.rules]);
  const args = (which: string) => {
    const pod = (o: Obj) => (o.kind === 'CronJob' ? o.spec.jobTemplate.spec.template.spec : o.spec.template.spec);
    const job = objects.find((o) => (o.kind === 'CronJob' || o.kind === 'Job') && pod(o).containers[0].args?.[0] === which);
    if (!job) throw new Error(`no ${which} Job in the synthesized manifests`);
    return pod(job).containers[0].args as string[];
  };
  return { dir, objects, config: JSON.parse(cm.data[CONFIG_FILE]), rbac, args };
}

/** Adds a top-level section to the values (what the user's restore pull request does). */
export const setSection = (key: string, value: unknown) => (doc: ReturnType<typeof parseDocument>) => doc.set(key, doc.createNode(value));

/** The test S3 server as the repository, under a fresh prefix; credentials keep the values' Secret names. */
export function s3Here(config: Obj, prefix: string): void {
  const s3 = servers().s3;
  const credentials = config.repository.s3?.credentials ?? {
    secretName: 'repo-s3',
    accessKeyIdKey: 'AWS_ACCESS_KEY_ID',
    secretAccessKeyKey: 'AWS_SECRET_ACCESS_KEY',
  };
  config.repository = {
    password: config.repository.password,
    s3: {
      endpoint: s3.endpoint,
      bucket: s3.bucket,
      region: 'us-east-1',
      prefix,
      insecure: false,
      credentials,
      caCert: { secretName: `${credentials.secretName}-ca`, key: 'ca.crt' },
    },
  };
}

/** The Secret files the runner reads (`<dir>/<secretName>/<key>`), as the pod would mount them. */
export function mountSecrets(dir: string, config: Obj, extra: Record<string, Record<string, string>> = {}): void {
  const s3 = servers().s3;
  const all: Record<string, Record<string, string>> = {
    [config.repository.password.secretName]: { [config.repository.password.key]: 'the restic password of this test' },
    ...extra,
  };
  if (config.repository.s3) {
    const c = config.repository.s3.credentials;
    all[c.secretName] = { [c.accessKeyIdKey]: s3.accessKeyId, [c.secretAccessKeyKey]: s3.secretAccessKey };
    all[config.repository.s3.caCert.secretName] = { 'ca.crt': readFileSync(s3.caCertFile, 'utf8') };
  }
  for (const [name, keys] of Object.entries(all)) {
    mkdirSync(join(dir, name), { recursive: true });
    for (const [k, v] of Object.entries(keys)) writeFileSync(join(dir, name, k), v);
  }
}

export interface Runner {
  readonly dir: string;
  readonly configFile: string;
  readonly secretsDir: string;
  /** Runs the runner with a Job's args (the config path replaced by the test's); resolves code and output. */
  job(args: readonly string[], env?: Record<string, string>): Promise<{ code: number; stdout: string; stderr: string }>;
  /** A context on the same config, for reading what the repository holds. */
  ctx(): RunContext;
}

/** Writes the rewritten config where the ConfigMap would be mounted and prepares a pod-like environment. */
export async function runner(config: Obj, kubeconfig: string, secrets: Record<string, Record<string, string>> = {}): Promise<Runner> {
  const dir = await tmpDir('runner');
  const configFile = join(dir, CONFIG_FILE);
  const secretsDir = join(dir, 'secrets');
  const scratch = join(dir, 'scratch');
  mkdirSync(scratch, { recursive: true });
  writeFileSync(configFile, JSON.stringify(config, null, 2));
  mountSecrets(secretsDir, config, secrets);
  return {
    dir,
    configFile,
    secretsDir,
    job(args, env = {}) {
      const argv = args.map((a) => (a === CONFIG_PATH ? configFile : a));
      return new Promise((resolve, reject) => {
        const child = spawn(process.execPath, ['--import', 'tsx', join(ROOT, 'src', 'cli.ts'), ...argv], {
          cwd: ROOT,
          env: {
            ...process.env,
            NODE_NO_WARNINGS: '1',
            HOME: scratch,
            SAFEHOLD_SECRETS_DIR: secretsDir,
            SAFEHOLD_SCRATCH_DIR: scratch,
            KUBERNETES_SERVICE_HOST: '10.96.0.1',
            KUBECONFIG: kubeconfig,
            ...env,
          },
          stdio: ['ignore', 'pipe', 'pipe'],
        });
        let stdout = '';
        let stderr = '';
        child.stdout.on('data', (d) => (stdout += d));
        child.stderr.on('data', (d) => (stderr += d));
        child.on('error', reject);
        child.on('close', (code) => {
          if (process.env.SAFEHOLD_TEST_LOGS) process.stderr.write(stderr);
          resolve({ code: code ?? -1, stdout, stderr });
        });
      });
    },
    ctx: () => buildContext({ config: configFile, secretsDir, scratchDir: join(dir, 'reader'), log: silentLogger, env: {} }),
  };
}

/** Fails with the runner's own output when a Job did not exit as expected. */
export function expectExit(r: { code: number; stderr: string }, code: number): void {
  if (r.code !== code) throw new Error(`runner exited ${r.code}, expected ${code}:\n${r.stderr.split('\n').slice(-25).join('\n')}`);
}

/** JSON log lines of a run. */
export function logLines(stderr: string): Obj[] {
  return stderr
    .split('\n')
    .filter((l) => l.startsWith('{'))
    .map((l) => JSON.parse(l) as Obj);
}
