// The only module that starts child processes: argument arrays, never a shell; pipes behave like pipefail.
import { spawn, type ChildProcess } from 'node:child_process';
import type { Readable, Writable } from 'node:stream';
import { ProcessError } from '../../errors.js';
import { resolveBinary } from '../binaries.js';
import { throwIfStopped, whenStopped } from './stop.js';

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

/** After SIGTERM, how long a child's process group has before SIGKILL (restic ≥ 0.17 removes its lock meanwhile). */
export const KILL_AFTER_MS = 3000;

const live = new Set<Running>();
/** Children this run started that ended by a signal, by command: their restic locks may be left behind. */
const signalled = new Map<string, number[]>();

/** Signals the child's whole process group (it runs in its own: a dump tool's helpers end with it). */
function killGroup(child: ChildProcess, signal: NodeJS.Signals): void {
  if (child.pid === undefined || child.exitCode !== null || child.signalCode !== null) return;
  try {
    process.kill(-child.pid, signal);
  } catch {
    child.kill(signal);
  }
}

/** SIGTERM now, SIGKILL if the group is still there after KILL_AFTER_MS. */
function terminate(child: ChildProcess): void {
  killGroup(child, 'SIGTERM');
  setTimeout(() => killGroup(child, 'SIGKILL'), KILL_AFTER_MS).unref();
}

whenStopped(() => {
  for (const p of live) terminate(p.child);
});

/** Resolves when every child of this run has exited, or after `ms`. */
export async function allExited(ms: number): Promise<void> {
  const until = Date.now() + ms;
  while (live.size && Date.now() < until) await Promise.race([...[...live].map((p) => p.exit), new Promise<void>((r) => setTimeout(r, 100))]);
}

/** Process ids of the run's children of `cmd` that ended by a signal (a killed restic may leave its lock). */
export function endedBySignal(cmd: string): readonly number[] {
  return signalled.get(resolveBinary(cmd)) ?? [];
}

/** The run's deadline has passed: a retry would be stopped at once. */
export function deadlinePassed(): boolean {
  return deadline !== undefined && Date.now() >= deadline;
}

export function display(spec: ProcessSpec): string {
  return [spec.cmd, ...spec.args].map((a) => (/^[\w./=:,@%+-]+$/.test(a) ? a : JSON.stringify(a))).join(' ');
}

/** Starts a process: stdin/stdout as pipes (or a file descriptor), stderr kept as a bounded tail. */
/** stdin/stdout may be a file descriptor or another stream's (a process's stdout, a socket): it is handed over. */
export function start(spec: ProcessSpec, io: { stdin?: number | 'pipe' | 'ignore' | Readable; stdout?: number | 'pipe' | 'ignore' | Writable } = {}): Running {
  throwIfStopped();
  // Engines name their programs (BINARIES); the path, overridable per tool, is resolved here, at the one place that starts them.
  const cmd = resolveBinary(spec.cmd);
  const child = spawn(cmd, [...spec.args], {
    cwd: spec.cwd,
    env: { ...process.env, ...spec.env },
    stdio: [spec.input !== undefined ? 'pipe' : (io.stdin ?? 'pipe'), io.stdout ?? 'pipe', 'pipe'],
    shell: false,
    // Its own process group: a stop signals the group, and a Ctrl-C or tini -g reaches the runner alone, which
    // then stops its children in order.
    detached: true,
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
      terminate(child);
    }, timeoutMs);
    timer.unref();
  }
  const exit = new Promise<Exit>((resolve) => {
    child.on('error', (e) => {
      stderr += `\n${(e as NodeJS.ErrnoException).code === 'ENOENT' ? `${cmd}: not found on PATH` : e.message}`;
    });
    child.on('close', (code, signal) => {
      if (timer) clearTimeout(timer);
      live.delete(running);
      if (signal && child.pid !== undefined) signalled.set(cmd, [...(signalled.get(cmd) ?? []), child.pid]);
      resolve({
        code: code ?? (signal ? null : 127),
        signal,
        stderr: timedOut ? `${stderr}\nstopped: timed out after ${Math.round(timeoutMs / 1000)} s (the run's timeout or the step's)` : stderr,
      });
    });
  });
  // A consumer that dies must not crash us with EPIPE; its exit code tells the story.
  child.stdin?.on('error', () => undefined);
  child.stdout?.on('error', () => undefined);
  const running: Running = {
    spec,
    child,
    stdin: child.stdin!,
    stdout: child.stdout!,
    exit,
    kill: (signal = 'SIGTERM') => killGroup(child, signal),
  };
  live.add(running);
  return running;
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
