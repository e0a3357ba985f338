// producer | consumer with pipefail semantics: every exit code checked, the producer killed when the consumer dies.
import { createHash } from 'node:crypto';
import { closeSync, createReadStream, openSync } from 'node:fs';
import { Transform } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { readStdout } from './read.js';
import { failure, start, succeeded, type Exit, type ProcessSpec } from './spawn.js';

export interface StreamStats {
  bytes: number;
  sha256: string;
}

export interface PipeResult {
  readonly producer: Exit;
  readonly consumer: Exit & { stdout: string };
  readonly stats: StreamStats;
}

/** Keeps the last MiB of a process's text output (restic's JSON summary is its last line). */
export function keepTail(stream: NodeJS.ReadableStream, onText?: (text: string) => void): { text: () => string } {
  let out = '';
  stream.setEncoding('utf8');
  stream.on('data', (d: string) => {
    out = (out + d).slice(-1024 * 1024);
    onText?.(d);
  });
  return { text: () => out };
}

/** Counts and hashes the bytes flowing through; reports progress. */
export function meter(onProgress?: (bytes: number) => void): Transform & { stats: () => StreamStats } {
  const hash = createHash('sha256');
  let bytes = 0;
  const t = new Transform({
    transform(chunk: Buffer, _enc, cb) {
      hash.update(chunk);
      bytes += chunk.length;
      onProgress?.(bytes);
      cb(null, chunk);
    },
  }) as Transform & { stats: () => StreamStats };
  let digest: string | undefined;
  t.stats = () => ({ bytes, sha256: (digest ??= hash.digest('hex')) });
  return t;
}

/**
 * Streams producer's stdout into consumer's stdin through a meter.
 * Throws the first failure (producer first: its failure is the root cause) after BOTH have exited.
 */
export async function pipe(producer: ProcessSpec, consumer: ProcessSpec, onProgress?: (bytes: number) => void, through?: Transform): Promise<PipeResult> {
  const c = start(consumer);
  const p = start(producer, { stdin: 'ignore' });
  const m = meter(onProgress);
  const out = keepTail(c.stdout);
  // When the consumer dies early, the producer must not run on (or block forever on a full pipe).
  let consumerDiedFirst = false;
  c.exit.then((e) => {
    if (!succeeded(consumer, e) && p.child.exitCode === null && p.child.signalCode === null) {
      consumerDiedFirst = true;
      p.kill();
    }
  });
  let streamError: unknown;
  await (through ? pipeline(p.stdout, m, through, c.stdin) : pipeline(p.stdout, m, c.stdin)).catch((e: unknown) => {
    streamError = e;
  });
  const [pe, ce] = await Promise.all([p.exit, c.exit]);
  const result = { producer: pe, consumer: { ...ce, stdout: out.text() }, stats: m.stats() };
  throwFirstFailure(producer, pe, consumer, ce, consumerDiedFirst, result);
  // Both exited 0 but the bytes did not all arrive (a failing transform): the consumer saw a short input.
  if (streamError && !isBrokenPipe(streamError)) throw streamError;
  return result;
}

const isBrokenPipe = (e: unknown) => ['EPIPE', 'ERR_STREAM_PREMATURE_CLOSE'].includes((e as NodeJS.ErrnoException)?.code ?? '');

/**
 * pipefail: the producer's failure is the root cause, unless the consumer failed first and we stopped the
 * producer because of it (restic refusing the repository, psql stopping on an SQL error).
 */
export function throwFirstFailure(producer: ProcessSpec, pe: Exit, consumer: ProcessSpec, ce: Exit, consumerDiedFirst: boolean, result: object): void {
  const order: Array<[ProcessSpec, Exit]> = consumerDiedFirst
    ? [
        [consumer, ce],
        [producer, pe],
      ]
    : [
        [producer, pe],
        [consumer, ce],
      ];
  const failed = order.filter(([spec, e]) => !succeeded(spec, e));
  if (!failed.length) return;
  const err = Object.assign(failure(...failed[0]!), { result });
  // Both stopped by the run's timeout: neither failed on its own, and the stage that stalled the pipe may be either
  // (a consumer that stops reading blocks the producer; a producer that stops writing starves the consumer): name both.
  const second = failed[1];
  if (second && stoppedByTimeout(failed[0]![1]) && stoppedByTimeout(second[1]))
    err.message += `\nand, stopped by the same timeout: ${failure(...second).message}`;
  throw err;
}

const stoppedByTimeout = (e: Exit) => e.stderr.includes('\nstopped: timed out after ');

/**
 * producer | consumer with the pipe's file descriptor handed to the consumer, as a shell does: no byte passes
 * through JavaScript (copying and hashing in JS costs ~0.9 CPU-s per GB and ~30 MB of RSS; bench/README.md).
 * Same pipefail semantics as pipe(); the consumer's stdout is passed to onOutput as it arrives (progress).
 */
export async function handOver(producer: ProcessSpec, consumer: ProcessSpec, onOutput?: (text: string) => void): Promise<Omit<PipeResult, 'stats'>> {
  const p = start(producer, { stdin: 'ignore' });
  const c = start(consumer, { stdin: p.stdout });
  // The consumer owns the read end now: our copy must neither read nor keep the pipe open.
  p.stdout.destroy();
  const out = keepTail(c.stdout, onOutput);
  let consumerDiedFirst = false;
  c.exit.then((e) => {
    if (!succeeded(consumer, e) && p.child.exitCode === null && p.child.signalCode === null) {
      consumerDiedFirst = true;
      p.kill();
    }
  });
  const [pe, ce] = await Promise.all([p.exit, c.exit]);
  const result = { producer: pe, consumer: { ...ce, stdout: out.text() } };
  throwFirstFailure(producer, pe, consumer, ce, consumerDiedFirst, result);
  return result;
}

/** Gives a file to a process as its stdin: the file descriptor itself, no byte passes through JavaScript. */
export async function feedFile(file: string, consumer: ProcessSpec): Promise<Exit & { stdout: string }> {
  const fd = openSync(file, 'r');
  let c: ReturnType<typeof start>;
  try {
    c = start(consumer, { stdin: fd });
  } finally {
    closeSync(fd);
  }
  const out = keepTail(c.stdout);
  const e = await c.exit;
  if (!succeeded(consumer, e)) throw failure(consumer, e);
  return { ...e, stdout: out.text() };
}

/** Gives a file to a process as its stdin through a transform (a filter of the dump); fails if either fails. */
export async function feedFileThrough(file: string, through: Transform, consumer: ProcessSpec): Promise<Exit & { stdout: string }> {
  const c = start(consumer);
  const out = keepTail(c.stdout);
  let streamError: unknown;
  await pipeline(createReadStream(file), through, c.stdin).catch((e: unknown) => {
    streamError = e;
  });
  const e = await c.exit;
  if (!succeeded(consumer, e)) throw failure(consumer, e);
  if (streamError && !isBrokenPipe(streamError)) throw streamError;
  return { ...e, stdout: out.text() };
}

/** Streams a process's stdout into a sink (a file) through a meter; fails if the process fails. */
export async function drain(producer: ProcessSpec, sink: NodeJS.WritableStream, onProgress?: (bytes: number) => void): Promise<StreamStats> {
  const p = start(producer, { stdin: 'ignore' });
  const m = meter(onProgress);
  let streamError: unknown;
  await pipeline(p.stdout, m, sink).catch((e) => {
    streamError = e;
    p.kill();
  });
  const e = await p.exit;
  // A sink error (full disk) stopped the producer: it is the cause.
  if (streamError) throw streamError;
  if (!succeeded(producer, e)) throw failure(producer, e);
  return m.stats();
}

/**
 * Reads the producer to the end (hashing every byte) while a checker reads as much as it wants
 * (pg_restore --list stops after the table of contents). Both exit codes are checked.
 */
export async function pipeToChecker(producer: ProcessSpec, checker: ProcessSpec): Promise<StreamStats> {
  const c = start(checker, { stdout: 'ignore' });
  let checkerOpen = true;
  c.stdin.on('error', () => {
    checkerOpen = false;
  });
  c.exit.then(() => {
    checkerOpen = false;
  });
  const hash = createHash('sha256');
  let bytes = 0;
  // The producer's bytes come through one reused buffer (read.ts): memory stays flat however long the stream.
  const r = await readStdout(producer, (chunk) => {
    hash.update(chunk);
    bytes += chunk.length;
    // The checker gets a copy (the read buffer is reused) only while it still reads.
    if (checkerOpen && !c.stdin.write(Buffer.from(chunk))) {
      c.stdin.once('drain', () => r.resume());
      return false;
    }
    return true;
  });
  // A checker that stops reading (pg_restore --list after the TOC) must not leave the producer paused.
  c.exit.then(() => r.resume());
  const readError = await r.done.then(
    () => undefined,
    (e: unknown) => e ?? new Error('read failed'),
  );
  if (checkerOpen) c.stdin.end();
  const [pe, ce] = await Promise.all([r.exit, c.exit]);
  if (!succeeded(producer, pe)) throw failure(producer, pe);
  if (!succeeded(checker, ce)) throw failure(checker, ce);
  if (readError) throw readError;
  return { bytes, sha256: hash.digest('hex') };
}
