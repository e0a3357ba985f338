// One error taxonomy for the whole program; the CLI's single catch maps each to an exit code.

/** Documented exit codes (README "Exit codes"). */
export const ExitCode = {
  ok: 0,
  /** A run failed: a process, the repository, a check. */
  failed: 1,
  /** The user's input is wrong: values file, flags, config. */
  usage: 2,
  /** A precondition refused the operation (restore already done, object exists, production target). */
  refused: 3,
  /** The repository could not be opened: wrong password, missing, locked. */
  repository: 4,
  /** A backup finished but was flagged suspicious (not counted as good). */
  suspicious: 5,
} as const;
export type ExitCode = (typeof ExitCode)[keyof typeof ExitCode];

export class SafeholdError extends Error {
  constructor(
    message: string,
    readonly exitCode: ExitCode = ExitCode.failed,
  ) {
    super(message);
    this.name = new.target.name;
  }
}

/** One located problem in a values file. */
export interface ValuesProblem {
  readonly file: string;
  readonly line: number;
  readonly col: number;
  readonly path: string;
  readonly message: string;
}

export function formatProblem(p: ValuesProblem): string {
  const where = `${p.file}:${p.line}:${p.col}`;
  return p.path ? `${where} ${p.path}: ${p.message}` : `${where} ${p.message}`;
}

/** The user's values are wrong; carries every problem found in the file at once. */
export class ValuesError extends SafeholdError {
  constructor(readonly problems: readonly ValuesProblem[]) {
    super(problems.map(formatProblem).join('\n'), ExitCode.usage);
  }
}

export class UsageError extends SafeholdError {
  constructor(message: string) {
    super(message, ExitCode.usage);
  }
}

/** A precondition stopped the run before anything changed. */
export class RefusedError extends SafeholdError {
  constructor(message: string) {
    super(message, ExitCode.refused);
  }
}

export class RepositoryError extends SafeholdError {
  constructor(message: string) {
    super(message, ExitCode.repository);
  }
}

/** A child process failed; the message names the command (secrets redacted), its code and stderr tail. */
export class ProcessError extends SafeholdError {
  constructor(
    readonly command: string,
    readonly code: number | null,
    readonly signal: string | null,
    readonly stderrTail: string,
    readonly meaning?: string,
  ) {
    const how = signal ? `killed by ${signal}` : `exited with code ${code}`;
    const why = meaning ? ` (${meaning})` : '';
    const tail = stderrTail.trim() ? `\n  stderr: ${stderrTail.trim().split('\n').slice(-5).join('\n  stderr: ')}` : '';
    super(`${command} ${how}${why}${tail}`, ExitCode.failed);
  }
}
