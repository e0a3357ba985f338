// The only module that starts child processes: argument arrays, never a shell; pipes behave like pipefail.
import { spawn, type ChildProcess } from 'node:child_process';
import type { Readable, Writable } from 'node:stream';
import { ProcessError } from '../../errors.js';

export interface ProcessSpec {
  readonly cmd: string;
  readonly args: readonly string[];
  /** Extra environment for this child only (secrets live here or in files, never in args). */
  readonly env?: Readonly<Record<string, string>>;
  readonly cwd?: string;
  /** Exit codes that count as success. @default [0] */
  readonly okCodes?: readonly number[];
  /** What an exit code means, for the error message (restic: 3 = partial). */
  readonly meaning?: (code: number | null, stderr: string) => string | undefined;
  readonly timeoutMs?: number;
  /** Text written to the child's stdin, which is then closed (a psql script: SQL never goes into argv). */
  readonly input?: string;
  /** The tool writes its diagnostics to stdout (redis-check-rdb): run() reports that tail on failure. */
  readonly diagnosticsOnStdout?: boolean;
}

export interface Exit {
  readonly code: number | null;
  readonly signal: NodeJS.Signals | null;
  readonly stderr: string;
}

export interface Running {
  readonly spec: ProcessSpec;
  readonly child: ChildProcess;
  readonly stdin: Writable;
  readonly stdout: Readable;
  /** Resolves when the process has exited and its stderr is drained; never rejects. */
  readonly exit: Promise<Exit>;
  kill(signal?: NodeJS.Signals): void;
}

const STDERR_KEEP = 16 * 1024;

/** The run's deadline (epoch ms): every process still running then is stopped, so the run fails cleanly before Kubernetes kills the pod. */
let deadline: number | undefined;
export function setDeadline(epochMs: number | undefined): void {
  deadline = epochMs;
}

export function display(spec: ProcessSpec): string {
  return [spec.cmd, ...spec.args].map((a) => (/^[\w./=:,@%+-]+$/.test(a) ? a : JSON.stringify(a))).join(' ');
}

/** Starts a process: stdin/stdout as pipes (or a file descriptor), stderr kept as a bounded tail. */
/** stdin/stdout may be a file descriptor or another stream's (a process's stdout, a socket): it is handed over. */
export function start(spec: ProcessSpec, io: { stdin?: number | 'pipe' | 'ignore' | Readable; stdout?: number | 'pipe' | 'ignore' | Writable } = {}): Running {
  const child = spawn(spec.cmd, [...spec.args], {
    cwd: spec.cwd,
    env: { ...process.env, ...spec.env },
    stdio: [spec.input !== undefined ? 'pipe' : (io.stdin ?? 'pipe'), io.stdout ?? 'pipe', 'pipe'],
    shell: false,
  });
  if (spec.input !== undefined) {
    child.stdin?.on('error', () => undefined);
    child.stdin?.end(spec.input);
  }
  let stderr = '';
  child.stderr?.setEncoding('utf8');
  child.stderr?.on('data', (d: string) => {
    stderr = (stderr + d).slice(-STDERR_KEEP);
  });
  let timer: NodeJS.Timeout | undefined;
  let timedOut = false;
  const untilDeadline = deadline === undefined ? undefined : Math.max(1, deadline - Date.now());
  const timeoutMs = Math.min(spec.timeoutMs ?? Infinity, untilDeadline ?? Infinity);
  if (Number.isFinite(timeoutMs)) {
    timer = setTimeout(() => {
      timedOut = true;
      child.kill('SIGTERM');
      setTimeout(() => child.kill('SIGKILL'), 5000).unref();
    }, timeoutMs);
    timer.unref();
  }
  const exit = new Promise<Exit>((resolve) => {
    child.on('error', (e) => {
      stderr += `\n${(e as NodeJS.ErrnoException).code === 'ENOENT' ? `${spec.cmd}: not found on PATH` : e.message}`;
    });
    child.on('close', (code, signal) => {
      if (timer) clearTimeout(timer);
      resolve({ code: code ?? (signal ? null : 127), signal, stderr: timedOut ? `${stderr}\nstopped: timed out after ${Math.round(timeoutMs / 1000)} s (the run's timeout or the step's)` : stderr });
    });
  });
  // A consumer that dies must not crash us with EPIPE; its exit code tells the story.
  child.stdin?.on('error', () => undefined);
  child.stdout?.on('error', () => undefined);
  return {
    spec,
    child,
    stdin: child.stdin!,
    stdout: child.stdout!,
    exit,
    kill: (signal = 'SIGTERM') => {
      if (child.exitCode === null && child.signalCode === null) child.kill(signal);
    },
  };
}

export function succeeded(spec: ProcessSpec, e: Exit): boolean {
  return e.signal === null && (spec.okCodes ?? [0]).includes(e.code ?? -1);
}

export function failure(spec: ProcessSpec, e: Exit): ProcessError {
  return new ProcessError(display(spec), e.code, e.signal, e.stderr, spec.meaning?.(e.code, e.stderr));
}

export interface RunResult extends Exit {
  readonly stdout: string;
}

/** Runs to completion with optional text input; throws ProcessError unless the exit code is ok. */
export async function run(spec: ProcessSpec, input?: string | Buffer, opts: { maxStdout?: number } = {}): Promise<RunResult> {
  const max = opts.maxStdout ?? 64 * 1024 * 1024;
  const p = start(spec, { stdin: input === undefined ? 'ignore' : 'pipe' });
  const chunks: Buffer[] = [];
  let size = 0;
  p.stdout.on('data', (d: Buffer) => {
    size += d.length;
    if (size <= max) chunks.push(d);
    else p.kill();
  });
  if (input !== undefined) p.stdin.end(input);
  const e = await p.exit;
  // Output cut off is never a result: fail whatever the exit code (the child may have finished first).
  if (size > max) throw failure(spec, { ...e, code: e.code ?? null, stderr: `${e.stderr}\nstdout larger than ${max} bytes` });
  if (!succeeded(spec, e)) {
    const out = spec.diagnosticsOnStdout ? Buffer.concat(chunks).toString('utf8').slice(-STDERR_KEEP) : '';
    throw failure(spec, out ? { ...e, stderr: `${e.stderr}${out}` } : e);
  }
  return { ...e, stdout: Buffer.concat(chunks).toString('utf8') };
}

