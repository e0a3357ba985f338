// One soak run of the runner, kept whatever its outcome: time, memory, what its log says of locks, and any failure's cause.
import { existsSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import type { ChildCommand } from '../runner-child.js';
import { runRunner, type BenchApp, type RunnerRun } from './runner.js';

/** What a run met of other runs in the shared repository, from its own log lines. */
export interface Contention {
  /** Its first listing met a lock (an exclusive one of another application's retention): unlock stale, then wait. */
  readonly lockedListings: number;
  /** restic calls retried by the runner because the repository was locked. */
  readonly lockRetries: number;
  /** restic calls retried for other transient storage errors. */
  readonly storageRetries: number;
}

export interface SoakRun {
  readonly cycle: number;
  readonly app: string;
  readonly command: ChildCommand;
  /** Undefined when the run failed (the process exited non-zero). */
  readonly result?: RunnerRun;
  readonly contention: Contention;
  /** Why it counts as failed: the exit, a bad status, or an error its log reported even though it exited 0. */
  readonly failure?: string;
}

interface LogLine {
  readonly level?: string;
  readonly msg?: string;
  readonly error?: unknown;
  readonly [key: string]: unknown;
}

/** The JSON lines appended to a log file from a byte offset on (a line that is not JSON is kept as a message). */
function linesFrom(file: string, offset: number): LogLine[] {
  if (!existsSync(file)) return [];
  return readFileSync(file)
    .subarray(offset)
    .toString('utf8')
    .split('\n')
    .filter(Boolean)
    .map((l) => {
      try {
        return JSON.parse(l) as LogLine;
      } catch {
        return { level: 'error', msg: l };
      }
    });
}

/** An error line as a cause: its message and its error, or else its other fields (a drill check's `got`…). */
function cause(l: LogLine): string {
  const { time: _t, level: _l, msg, error, app: _a, namespace: _n, ...rest } = l;
  const why = error !== undefined ? String(error).split('\n')[0] : Object.keys(rest).length ? JSON.stringify(rest).slice(0, 300) : '';
  return `${msg}${why ? `: ${why}` : ''}`;
}

/** Counts a run's lock encounters and collects its error lines. Pure. */
export function readRunLog(lines: readonly LogLine[]): { contention: Contention; errors: string[] } {
  const retries = lines.filter((l) => l.msg === 'restic: transient error, retrying');
  const locked = (l: LogLine) => /locked/.test(String(l.error ?? ''));
  return {
    contention: {
      lockedListings: lines.filter((l) => l.msg === 'restic: the repository is locked; removing stale locks').length,
      lockRetries: retries.filter(locked).length,
      storageRetries: retries.filter((l) => !locked(l)).length,
    },
    errors: lines.filter((l) => l.level === 'error').map(cause),
  };
}

/** The first line of a failed child's stderr that says something (the error, not the stack). */
function exitCause(message: string): string {
  const lines = message.split('\n').map((l) => l.trim());
  return lines.find((l) => /Error|error|refused|REFUSED|FAILED/.test(l) && !l.startsWith('at ')) ?? lines[0] ?? message;
}

/** Runs one command for one application and records it; never throws for the runner's failure (the soak goes on). */
export async function soakRun(
  app: BenchApp,
  command: ChildCommand,
  cycle: number,
  name: string,
  expect?: (r: RunnerRun) => string | undefined,
): Promise<SoakRun> {
  const logFile = join(app.dir, 'runner.log');
  const offset = existsSync(logFile) ? statSync(logFile).size : 0;
  let result: RunnerRun | undefined;
  let exit: string | undefined;
  try {
    result = await runRunner(app, command);
  } catch (e) {
    exit = (e as Error).message;
  }
  const { contention, errors } = readRunLog(linesFrom(logFile, offset));
  const failure = exit
    ? `${command} failed: ${errors[0] ?? exitCause(exit)}`
    : errors.length
      ? `${command} exited 0 but logged: ${errors.join(' | ')}`
      : result && expect
        ? expect(result)
        : undefined;
  return { cycle, app: name, command, result, contention, failure };
}
