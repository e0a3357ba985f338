// Timed process chains for the bench: argument arrays, pipes handed over as file descriptors (no shell, no JS copy).
import { spawn, type ChildProcess } from 'node:child_process';
import { closeSync, mkdtempSync, openSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

export interface Cmd {
  readonly cmd: string;
  readonly args: readonly string[];
  readonly env?: Readonly<Record<string, string | undefined>>;
  readonly cwd?: string;
}

export interface Timing {
  /** Wall-clock seconds from the first spawn to the last exit. */
  readonly wall: number;
  /** user + system CPU seconds of every process in the chain (and their children), from /usr/bin/time. */
  readonly cpu: number;
}

const TIME = '/usr/bin/time';
const STDERR_KEEP = 8192;

function exitOf(child: ChildProcess, what: string, err: () => string): Promise<void> {
  return new Promise((resolve, reject) => {
    child.once('error', reject);
    child.once('close', (code, signal) => {
      if (code === 0) resolve();
      else reject(new Error(`${what} exited ${code ?? signal}: ${err().slice(-2000)}`));
    });
  });
}

/**
 * Runs `a | b | …` with each process's stdout handed to the next as its stdin fd (what a shell does),
 * stdin from a file (or nothing), stdout into a file ('/dev/null' for a floor). Every exit code is checked.
 */
export async function chain(cmds: readonly Cmd[], io: { stdin?: string; stdout?: string } = {}): Promise<Timing> {
  const dir = mkdtempSync(join(tmpdir(), 'bench-time-'));
  const inFd = io.stdin ? openSync(io.stdin, 'r') : undefined;
  const outFd = io.stdout ? openSync(io.stdout, 'w') : undefined;
  const started = process.hrtime.bigint();
  const exits: Promise<void>[] = [];
  let prev: ChildProcess | undefined;
  try {
    cmds.forEach((c, i) => {
      const last = i === cmds.length - 1;
      const stdin = prev ? prev.stdout! : (inFd ?? 'ignore');
      const stdout = last ? (outFd ?? 'ignore') : 'pipe';
      const child = spawn(TIME, ['-f', '%U %S', '-o', join(dir, `t${i}`), c.cmd, ...c.args], {
        env: { ...process.env, ...c.env },
        stdio: [stdin, stdout, 'pipe'],
      });
      // The next process owns the read end now; our copy must not steal bytes.
      if (prev) prev.stdout!.destroy();
      let err = '';
      child.stderr!.setEncoding('utf8');
      child.stderr!.on('data', (d: string) => {
        err = (err + d).slice(-STDERR_KEEP);
      });
      exits.push(exitOf(child, `${c.cmd} ${c.args.join(' ')}`, () => err));
      prev = child;
    });
    if (inFd !== undefined) closeSync(inFd);
    if (outFd !== undefined) closeSync(outFd);
    await Promise.all(exits);
    const wall = Number(process.hrtime.bigint() - started) / 1e9;
    let cpu = 0;
    for (let i = 0; i < cmds.length; i++) {
      const [u, s] = readFileSync(join(dir, `t${i}`), 'utf8')
        .trim()
        .split('\n')
        .pop()!
        .split(' ')
        .map(Number);
      cpu += u + s;
    }
    return { wall, cpu };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

/** Runs one command to completion and returns its stdout (for small outputs: psql, du, versions). */
export function output(c: Cmd, input?: string): Promise<string> {
  return new Promise((resolve, reject) => {
    const child = spawn(c.cmd, [...c.args], {
      cwd: c.cwd,
      env: { ...process.env, ...c.env },
      stdio: [input === undefined ? 'ignore' : 'pipe', 'pipe', 'pipe'],
    });
    let out = '';
    let err = '';
    child.stdout!.setEncoding('utf8').on('data', (d: string) => (out += d));
    child.stderr!.setEncoding('utf8').on('data', (d: string) => (err = (err + d).slice(-STDERR_KEEP)));
    child.once('error', reject);
    child.once('close', (code, signal) =>
      code === 0 ? resolve(out) : reject(new Error(`${c.cmd} ${c.args.join(' ')} exited ${code ?? signal}: ${err.slice(-2000)}`)),
    );
    if (input !== undefined) child.stdin!.end(input);
  });
}

/** Apparent size in bytes of a directory tree or file (du -sb). */
export async function duBytes(path: string): Promise<number> {
  return Number((await output({ cmd: 'du', args: ['-sb', path] })).split('\t')[0]);
}
