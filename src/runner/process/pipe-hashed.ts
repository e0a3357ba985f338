// The backup stream with its hash taken on the way in, and the read-back of a stored stream's head only.
import { createHash } from 'node:crypto';
import { keepTail, throwFirstFailure, type PipeResult } from './pipe.js';
import { readStdout } from './read.js';
import { failure, start, succeeded, type ProcessSpec } from './spawn.js';

/**
 * producer | consumer with pipefail semantics (as pipe()), the bytes counted and hashed on their way through one
 * reused read buffer (read.ts): the stored stream's sha256 is known when the consumer exits, without reading it
 * back. The consumer's stdout goes to onOutput as it arrives (restic's progress).
 */
export async function hashedPipe(producer: ProcessSpec, consumer: ProcessSpec, onOutput?: (text: string) => void): Promise<PipeResult> {
  const c = start(consumer);
  const out = keepTail(c.stdout, onOutput);
  let consumerOpen = true;
  c.stdin.on('error', () => {
    consumerOpen = false;
  });
  const hash = createHash('sha256');
  let bytes = 0;
  const r = await readStdout(producer, (chunk) => {
    if (!consumerOpen) return true;
    hash.update(chunk);
    bytes += chunk.length;
    // No copy: the read buffer is reused, so reading waits until this write has been handed to the pipe (a
    // copy per chunk raised the runner's peak RSS by ~30 MiB at 100 MB: bench/README.md "Issue 17").
    c.stdin.write(chunk, () => r.resume());
    return false;
  });
  // When the consumer dies early, the producer must not run on (or wait forever on a full pipe).
  let consumerDiedFirst = false;
  let producerDone = false;
  r.exit.then(() => (producerDone = true));
  // The consumer's stdin is ended only after the producer's output ended: a consumer failing after that failed on what
  // it was given (a producer that broke off mid-stream), so the producer's failure is the cause.
  r.done.then(
    () => (producerDone = true),
    () => (producerDone = true),
  );
  c.exit.then((e) => {
    consumerOpen = false;
    if (!succeeded(consumer, e) && !producerDone) {
      consumerDiedFirst = true;
      r.kill();
    }
    r.resume();
  });
  const readError = await r.done.then(
    () => undefined,
    (e: unknown) => e ?? new Error('read failed'),
  );
  if (consumerOpen) c.stdin.end();
  const [pe, ce] = await Promise.all([r.exit, c.exit]);
  const result = { producer: pe, consumer: { ...ce, stdout: out.text() }, stats: { bytes, sha256: hash.digest('hex') } };
  throwFirstFailure(producer, pe, consumer, ce, consumerDiedFirst, result);
  if (readError) throw readError;
  return result;
}

/**
 * The checker reads the producer's stdout (handed over: no byte passes through JavaScript) as far as it needs
 * (pg_restore --list: the custom format's table of contents at the head), then the producer is stopped. The
 * producer must take no lock it could leave behind when stopped (restic --no-lock). A producer that fails before
 * the checker is done is the cause; after the checker succeeded, the producer's end does not matter.
 */
export async function checkHead(producer: ProcessSpec, checker: ProcessSpec): Promise<void> {
  const p = start(producer, { stdin: 'ignore' });
  const c = start(checker, { stdin: p.stdout, stdout: 'ignore' });
  // The checker owns the read end now.
  p.stdout.destroy();
  const ce = await c.exit;
  p.kill();
  const pe = await p.exit;
  if (succeeded(checker, ce)) return;
  if (!succeeded(producer, pe) && pe.signal === null) throw failure(producer, pe);
  throw failure(checker, ce);
}
