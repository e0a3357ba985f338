// The backup stream hashed on its way in, and the read-back that stops once the checker has the head.
import { createHash } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { ProcessError } from '../../src/errors.js';
import { checkHead, hashedPipe } from '../../src/runner/process/pipe-hashed.js';
import { bin } from '../support/servers.js';

const seq = (n: number) => ({ cmd: bin('seq'), args: ['1', String(n)] });
const text = (n: number) => Array.from({ length: n }, (_, i) => `${i + 1}\n`).join('');

describe('hashedPipe', () => {
  it('hands every byte to the consumer and hashes and counts them on the way', async () => {
    const r = await hashedPipe(seq(300_000), { cmd: bin('sha256sum'), args: [] });
    const want = createHash('sha256').update(text(300_000)).digest('hex');
    expect(r.stats).toEqual({ bytes: Buffer.byteLength(text(300_000)), sha256: want });
    // What the consumer read is what was hashed.
    expect(r.consumer.stdout.split(' ')[0]).toBe(want);
  });

  it('pipefail: a failing producer is the error, after both have exited', async () => {
    const err = await hashedPipe({ cmd: bin('cat'), args: ['/nonexistent/dump'] }, { cmd: bin('wc'), args: ['-c'] }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(ProcessError);
    expect((err as ProcessError).message).toMatch(/cat .*\/nonexistent\/dump/);
  });
});

describe('checkHead', () => {
  it('stops the producer once the checker has read what it needs (it never reads the whole stream)', async () => {
    const started = Date.now();
    // `yes` never ends: only stopping it lets checkHead return.
    await checkHead({ cmd: bin('yes'), args: [] }, { cmd: bin('head'), args: ['-c', '4096'] });
    expect(Date.now() - started).toBeLessThan(20_000);
  }, 30_000);

  it("fails with the checker's failure when the head is not what it expects", async () => {
    const err = await checkHead(seq(1000), { cmd: bin('grep'), args: ['-q', 'not in the stream'] }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(ProcessError);
    expect((err as ProcessError).message).toMatch(/grep/);
  });
});
