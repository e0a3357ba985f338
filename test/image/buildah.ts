// Build the runner image with scripts/build-image.sh and run programs inside it with buildah
// (--isolation chroot: no OCI runtime, the host's network — test servers on 127.0.0.1 are
// reachable). Every buildah call uses the storage the script chose: .tmp/buildah/{root,runroot,
// storage-driver}, or $SAFEHOLD_BUILDAH_DIR. Everything is spawned with argument arrays.
import { spawn } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { chmod, chown, mkdtemp, readFile, rm, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { RUNNER_UID } from '../../src/contract/layout.js';
import { REPO } from './dockerfile.js';

export { REPO };

export interface RunResult {
  code: number;
  stdout: string;
  stderr: string;
  ms: number;
}

export function version(): string {
  return (JSON.parse(readFileSync(join(REPO, 'package.json'), 'utf8')) as { version: string }).version;
}

/** The tag scripts/build-image.sh gives the image. */
export function imageRef(): string {
  return `localhost/safehold-runner:${version()}`;
}

export function buildahDir(): string {
  return process.env.SAFEHOLD_BUILDAH_DIR || join(REPO, '.tmp', 'buildah');
}

/** --root/--runroot/--storage-driver shared with scripts/build-image.sh. */
export function storageArgs(): string[] {
  const dir = buildahDir();
  const file = join(dir, 'storage-driver');
  if (!existsSync(file)) throw new Error(`${file} missing: build the image first (npm run image)`);
  const driver = readFileSync(file, 'utf8').trim();
  return ['--root', join(dir, 'root'), '--runroot', join(dir, 'runroot'), '--storage-driver', driver];
}

/** Spawn without a shell; collect output. Never rejects on a non-zero exit (see `code`). */
export function spawnCollect(
  cmd: string,
  args: string[],
  opts: { cwd?: string; env?: NodeJS.ProcessEnv; timeoutMs?: number; input?: string } = {},
): Promise<RunResult> {
  const started = performance.now();
  return new Promise((resolve, reject) => {
    // stdin: /dev/null unless there is input (buildah run can lose a quick program's output when
    // its stdin is a pipe closed at once)
    const withInput = opts.input !== undefined;
    const child = spawn(cmd, args, { cwd: opts.cwd, env: opts.env ?? process.env, stdio: [withInput ? 'pipe' : 'ignore', 'pipe', 'pipe'] });
    const out: Buffer[] = [];
    const err: Buffer[] = [];
    child.stdout!.on('data', (b: Buffer) => out.push(b));
    child.stderr!.on('data', (b: Buffer) => err.push(b));
    const timer = opts.timeoutMs ? setTimeout(() => child.kill('SIGKILL'), opts.timeoutMs) : undefined;
    child.on('error', reject);
    child.on('close', (code, signal) => {
      if (timer) clearTimeout(timer);
      resolve({
        code: code ?? (signal ? 128 : 1),
        stdout: Buffer.concat(out).toString('utf8'),
        stderr: Buffer.concat(err).toString('utf8'),
        ms: Math.round(performance.now() - started),
      });
    });
    if (withInput) child.stdin!.end(opts.input);
  });
}

export function buildah(args: string[], opts: { timeoutMs?: number; input?: string } = {}): Promise<RunResult> {
  return spawnCollect('buildah', [...storageArgs(), ...args], opts);
}

async function buildahOk(args: string[]): Promise<string> {
  const r = await buildah(args);
  if (r.code !== 0) throw new Error(`buildah ${args.join(' ')} exited ${r.code}: ${r.stderr || r.stdout}`);
  return r.stdout;
}

export interface BuildResult extends RunResult {
  image: string;
  /** As buildah reports it, e.g. "434 MB". */
  size: string;
}

/**
 * Run scripts/build-image.sh (reuses the cached base and unchanged layers). Throws with the tail of
 * its output when it fails.
 */
export async function buildImage(timeoutMs = 15 * 60_000): Promise<BuildResult> {
  const r = await spawnCollect('bash', [join(REPO, 'scripts', 'build-image.sh')], { cwd: REPO, timeoutMs });
  if (r.code !== 0) {
    const tail = `${r.stdout}\n${r.stderr}`.trim().split('\n').slice(-40).join('\n');
    throw new Error(`scripts/build-image.sh exited ${r.code}:\n${tail}`);
  }
  const m = /^image (\S+) size (.+)$/m.exec(r.stdout);
  if (!m) throw new Error(`scripts/build-image.sh printed no "image … size …" line:\n${r.stdout}`);
  return { ...r, image: m[1], size: m[2].trim() };
}

/** The image's configuration (OCI v1) as buildah reports it. */
export async function inspectImage(image = imageRef()): Promise<{
  User?: string;
  Env?: string[];
  Entrypoint?: string[];
  Cmd?: string[];
  WorkingDir?: string;
  Labels?: Record<string, string>;
}> {
  const info = JSON.parse(await buildahOk(['inspect', '--type', 'image', image])) as {
    OCIv1: { config: Record<string, unknown> };
  };
  return info.OCIv1.config;
}

/** Sum of the image's layers as stored (uncompressed tar), and buildah's rendering of its size. */
export async function imageSize(image = imageRef()): Promise<{ bytes: number; human: string }> {
  const info = JSON.parse(await buildahOk(['inspect', '--type', 'image', image])) as { Manifest: string };
  const manifest = JSON.parse(info.Manifest) as { layers: { size: number }[] };
  const human = (await buildahOk(['images', '--format', '{{.Size}}', image])).trim().split('\n')[0];
  return { bytes: manifest.layers.reduce((n, l) => n + l.size, 0), human };
}

/** Bytes a registry would ship: the image exported as an OCI archive with gzip'd layers. */
export async function compressedSize(image = imageRef()): Promise<number> {
  const dir = await mkdtemp(join(tmpdir(), 'safehold-image-export-'));
  try {
    const file = join(dir, 'image.tar');
    await buildahOk(['push', '--quiet', image, `oci-archive:${file}`]);
    return (await stat(file)).size;
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

export interface RunOptions {
  /** Defaults to the image's USER (65532). */
  user?: string;
  /** [hostPath, containerPath] or [hostPath, containerPath, 'ro'|'rw'...]. */
  volumes?: [string, string, string?][];
  env?: Record<string, string>;
  workdir?: string;
  timeoutMs?: number;
  input?: string;
}

/** Where each run's stdout/stderr files appear inside the container (a host dir mounted there). */
export const IO_DIR = '/run/safehold-test-io';

/**
 * A working container of an image; run() starts programs in it with buildah run.
 *
 * Output goes through files, not buildah's stdio: buildah 1.28's `run --isolation chroot` now and
 * then (~1 in 50–100 runs here) loses all of a short-lived program's stdout while reporting exit
 * 0. So each program runs as `sh -c 'exec "$@" >OUT 2>ERR'` — a fixed script; the command and its
 * arguments stay an argument array and never meet a shell parser — writing into a mounted dir.
 */
export class ImageContainer {
  private runs = 0;

  private constructor(
    readonly name: string,
    private readonly ioDir: string,
  ) {}

  static async create(image = imageRef()): Promise<ImageContainer> {
    const name = `safehold-test-${process.pid}-${Math.random().toString(36).slice(2, 8)}`;
    const ioDir = await mkdtemp(join(tmpdir(), 'safehold-image-io-'));
    await chmod(ioDir, 0o1777); // whichever user the program runs as
    await buildahOk(['from', '--pull=never', '--name', name, image]);
    return new ImageContainer(name, ioDir);
  }

  /** `cmd` is an argument array (the program is looked up on the image's PATH). */
  async run(cmd: string[], opts: RunOptions = {}): Promise<RunResult> {
    const id = `run-${++this.runs}`;
    const args = ['run', '--isolation', 'chroot', '--volume', `${this.ioDir}:${IO_DIR}`];
    if (opts.user) args.push('--user', opts.user);
    if (opts.workdir) args.push('--workingdir', opts.workdir);
    for (const [host, ctr, mode] of opts.volumes ?? []) args.push('--volume', mode ? `${host}:${ctr}:${mode}` : `${host}:${ctr}`);
    for (const [k, v] of Object.entries(opts.env ?? {})) args.push('--env', `${k}=${v}`);
    args.push(this.name, '--', '/bin/sh', '-c', 'exec "$@" >"$0.out" 2>"$0.err"', `${IO_DIR}/${id}`, ...cmd);
    const r = await buildah(args, { timeoutMs: opts.timeoutMs ?? 120_000, input: opts.input });
    const read = async (ext: string) => {
      const file = join(this.ioDir, `${id}.${ext}`);
      try {
        return await readFile(file, 'utf8');
      } catch {
        return '';
      } finally {
        await rm(file, { force: true });
      }
    };
    const stdout = await read('out');
    const stderr = await read('err');
    // buildah's own complaints (cannot start, "subprocess exited with status N") follow the program's
    const own = r.stderr.split('\n').filter((l) => l && !/^(subprocess exited with status \d+|Error: exit status \d+)$/.test(l));
    const extra = own.length ? `${stderr && !stderr.endsWith('\n') ? '\n' : ''}${own.join('\n')}\n` : '';
    return { code: r.code, stdout, stderr: stderr + extra, ms: r.ms };
  }

  /** `safehold …` inside the image, as the runner's user. */
  safehold(args: string[], opts: RunOptions = {}): Promise<RunResult> {
    return this.run(['safehold', ...args], opts);
  }

  async remove(): Promise<void> {
    await buildah(['rm', this.name]);
    await rm(this.ioDir, { recursive: true, force: true });
  }
}

/**
 * A host directory the runner (UID 65532) can write, to mount into the container, e.g.
 * `ctr.safehold(['backup', '--values', '/work/app.yaml'], { volumes: [[dir, '/work']] })`.
 */
export async function runnerWorkDir(prefix = 'safehold-image-'): Promise<string> {
  const dir = await mkdtemp(join(process.env.SAFEHOLD_IMAGE_TMP || tmpdir(), prefix));
  await chown(dir, RUNNER_UID, RUNNER_UID);
  await chmod(dir, 0o755);
  return dir;
}
