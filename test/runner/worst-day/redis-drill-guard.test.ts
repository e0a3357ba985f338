// A drill never flushes a Redis server it did not prove empty: a non-empty scratch target is refused (exit 3), every key kept.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { backup } from '../../../src/runner/commands/backup.js';
import { drill } from '../../../src/runner/commands/drill.js';
import { ExitCode, RefusedError } from '../../../src/errors.js';
import { bin, run, startRedis, type RedisInfo, type Stoppable } from '../../support/servers.js';
import { redisCmd, servers } from '../../support/env.js';
import { makeApp, redisComponent, uniqueName } from '../fixture.js';

let other: RedisInfo & Stoppable;
beforeAll(async () => {
  other = await startRedis({ baseDir: servers().tmpBase });
});
afterAll(async () => {
  await other?.stop();
});
const otherRedis = (...args: string[]) => run(bin('redis-cli'), ['-e', '-h', other.host, '-p', String(other.port), ...args]).then((s) => s.trim());

describe('redis drill target', () => {
  it('a non-empty server named as the drill target: exit 3, nothing flushed, nothing written', async () => {
    const tag = uniqueName('prod');
    await redisCmd('SET', tag, 'production');
    // Someone else's data on the server the values call scratch, in two databases.
    await otherRedis('SET', 'someone:else', 'keep me');
    await otherRedis('-n', '3', 'HSET', 'other:hash', 'f', 'v');
    const keysBefore = await otherRedis('INFO', 'keyspace');
    const name = uniqueName('cache');
    const app = await makeApp({
      values: { components: [redisComponent(name)], drill: { schedule: '@weekly', targets: { [name]: { host: other.host, port: other.port } } } },
    });
    await backup(app.ctx());

    const err = await drill(app.ctx()).then(
      () => undefined,
      (e: unknown) => e,
    );
    expect(err).toBeInstanceOf(RefusedError);
    expect((err as RefusedError).exitCode).toBe(ExitCode.refused);
    expect((err as Error).message).toMatch(/holding 2 key\(s\)/);
    expect((err as Error).message).toMatch(/sidecar/);

    expect(await otherRedis('INFO', 'keyspace')).toBe(keysBefore);
    expect(await otherRedis('GET', 'someone:else')).toBe('keep me');
    expect(await otherRedis('-n', '3', 'HGET', 'other:hash', 'f')).toBe('v');
    expect(await otherRedis('EXISTS', tag)).toBe('0'); // nothing restored into it either
    expect(await redisCmd('GET', tag)).toBe('production');
  });

  it('an empty server is accepted and left empty after the drill', async () => {
    await otherRedis('FLUSHALL');
    const tag = uniqueName('prod');
    await redisCmd('SET', tag, 'production');
    const name = uniqueName('cache');
    const app = await makeApp({
      values: { components: [redisComponent(name)], drill: { schedule: '@weekly', targets: { [name]: { host: other.host, port: other.port } } } },
    });
    await backup(app.ctx());
    await drill(app.ctx());
    expect(await otherRedis('DBSIZE')).toBe('0');
    expect(await redisCmd('GET', tag)).toBe('production');
  });
});
