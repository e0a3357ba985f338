// Reading a child's whole output in JavaScript with flat memory: one reused buffer, nothing allocated per chunk.
import { createHash, randomBytes } from 'node:crypto';
import { closeSync, mkdtempSync, openSync, rmSync, writeSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import net from 'node:net';
import { failure, start, succeeded, type Exit, type ProcessSpec } from './spawn.js';
import type { StreamStats } from './pipe.js';

const READ_BUFFER = 256 * 1024;

/**
 * Runs the producer with its stdout on one end of a UNIX socket pair; JS reads the other end into one reused
 * buffer (net.Socket `onread`). Node's usual stream chunks are fresh 64 KB buffers that V8 frees lazily:
 * reading 1 GB that way raises the runner's RSS by 50–60 MB (bench/README.md "Memory"); this way by ~3 MB.
 * `onChunk` gets a view of the buffer that is valid during the call only; returning false pauses reading
 * until `resume()`. A throw from `onChunk` stops the producer and is rethrown once it has exited.
 */
export async function readStdout(
  producer: ProcessSpec,
  onChunk: (chunk: Buffer) => boolean | void,
): Promise<{ exit: Promise<Exit>; done: Promise<void>; resume: () => void; kill: () => void }> {
  // A socket file in a fresh 0700 directory: unlike the abstract namespace, no other user (or network
  // namespace peer) can connect and read the decrypted stream; removed as soon as our end is accepted.
  const dir = mkdtempSync(join(tmpdir(), 'safehold-'));
  const path = join(dir, `s-${randomBytes(4).toString('hex')}`);
  const server = net.createServer();
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(path, resolve);
  });
  const accepted = new Promise<net.Socket>((resolve) => server.once('connection', resolve));
  let chunkError: unknown;
  const buffer = Buffer.allocUnsafe(READ_BUFFER);
  const socket = net.connect({
    path,
    onread: {
      buffer,
      callback: (n) => {
        try {
          return onChunk(buffer.subarray(0, n)) !== false;
        } catch (e) {
          chunkError = e;
          socket.destroy();
          return false;
        }
      },
    },
  });
  const ended = new Promise<void>((resolve, reject) => {
    socket.once('end', resolve);
    socket.once('close', () => resolve());
    socket.once('error', reject);
  });
  const childEnd = await accepted;
  server.close();
  rmSync(dir, { recursive: true, force: true });
  const p = start(producer, { stdin: 'ignore', stdout: childEnd });
  // The child holds its own copy: ours must go, or the reader never sees the end.
  childEnd.destroy();
  const done = ended.then(
    () => {
      if (chunkError) {
        p.kill();
        throw chunkError;
      }
    },
    (e) => {
      p.kill();
      throw e;
    },
  );
  done.catch(() => undefined);
  return { exit: p.exit, done, resume: () => socket.resume(), kill: () => p.kill() };
}

/** Streams a process's stdout into a new file (mode 0600), hashing it; fails if the process fails. */
export async function spool(producer: ProcessSpec, file: string, onProgress?: (bytes: number) => void): Promise<StreamStats> {
  const fd = openSync(file, 'w', 0o600);
  const hash = createHash('sha256');
  let bytes = 0;
  try {
    const r = await readStdout(producer, (chunk) => {
      hash.update(chunk);
      for (let off = 0; off < chunk.length;) off += writeSync(fd, chunk, off);
      bytes += chunk.length;
      onProgress?.(bytes);
    });
    const [e, readError] = await Promise.all([
      r.exit,
      r.done.then(
        () => undefined,
        (err: unknown) => err ?? new Error('read failed'),
      ),
    ]);
    // A write error (full scratch disk) stopped the producer: it is the cause, not the producer's SIGTERM.
    if (readError) throw readError;
    if (!succeeded(producer, e)) throw failure(producer, e);
    return { bytes, sha256: hash.digest('hex') };
  } finally {
    closeSync(fd);
  }
}
