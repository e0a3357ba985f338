// Redis: the RESP client (pure parts), and RDB round trips through restic into a live server, compared key by key.
import { createWriteStream, readdirSync, readFileSync, truncateSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { backup } from '../../src/runner/commands/backup.js';
import { restore } from '../../src/runner/commands/restore.js';
import { copyByType, readCommand, restoreCommand, writeCommands } from '../../src/runner/engines/redis-copy.js';
import { parseKeyspace, redis, tempServer, TEMP_DATABASES } from '../../src/runner/engines/redis.js';
import { encodeCommand, parseReply, ReplyReader, RespClient, RespError, type RespValue } from '../../src/runner/engines/resp.js';
import { drain } from '../../src/runner/process/pipe.js';
import { run } from '../../src/runner/process/spawn.js';
import { servers } from '../support/env.js';
import { majorPattern, onVariant, rows, type Variant } from '../support/matrix.js';
import { startRedis, type RedisInfo, type Stoppable } from '../support/servers.js';
import { makeApp, s3Repository, uniqueName } from './fixture.js';

describe('RESP encoding and parsing', () => {
  it('encodes a command as an array of bulk strings, binary-safe', () => {
    expect(encodeCommand(['SET', 'k', 'v'])).toEqual(Buffer.from('*3\r\n$3\r\nSET\r\n$1\r\nk\r\n$1\r\nv\r\n'));
    expect(encodeCommand(['PEXPIRE', 'k', 1500]).toString()).toBe('*3\r\n$7\r\nPEXPIRE\r\n$1\r\nk\r\n$4\r\n1500\r\n');
    const bin = Buffer.from([0, 13, 10, 255]);
    expect(encodeCommand(['SET', 'é', bin])).toEqual(
      Buffer.concat([Buffer.from('*3\r\n$3\r\nSET\r\n$2\r\n'), Buffer.from('é'), Buffer.from('\r\n$4\r\n'), bin, Buffer.from('\r\n')]),
    );
  });

  it('parses every RESP2 reply type', () => {
    const one = (s: string | Buffer) => {
      const r = parseReply(Buffer.isBuffer(s) ? s : Buffer.from(s));
      if ('need' in r) throw new Error('incomplete');
      return r.value;
    };
    expect(one('+OK\r\n')).toBe('OK');
    expect(one('-ERR wrong\r\n')).toEqual(new RespError('ERR wrong'));
    expect(one(':-2\r\n')).toBe(-2);
    expect(one('$-1\r\n')).toBeNull();
    expect(one('*-1\r\n')).toBeNull();
    expect(one('$0\r\n\r\n')).toEqual(Buffer.alloc(0));
    expect(one(Buffer.concat([Buffer.from('$4\r\n'), Buffer.from([0, 13, 10, 255]), Buffer.from('\r\n')]))).toEqual(Buffer.from([0, 13, 10, 255]));
    expect(one('*2\r\n$1\r\n0\r\n*2\r\n$1\r\na\r\n:5\r\n')).toEqual([Buffer.from('0'), [Buffer.from('a'), 5]]);
  });

  it('says how many bytes an incomplete reply needs', () => {
    expect(parseReply(Buffer.from('$10\r\nabc'))).toEqual({ need: 17 });
    expect(parseReply(Buffer.from('+OK'))).toEqual({ need: 4 });
    expect(parseReply(Buffer.from('*2\r\n:1\r\n'))).toEqual({ need: 9 });
  });

  it('reassembles replies split at every byte boundary, several per chunk', () => {
    const payload = Buffer.from(Array.from({ length: 300 }, (_, i) => i % 256));
    const wire = Buffer.concat([
      Buffer.from('+PONG\r\n'),
      Buffer.from(`$${payload.length}\r\n`),
      payload,
      Buffer.from('\r\n*2\r\n:7\r\n$-1\r\n-LOADING busy\r\n'),
    ]);
    for (const size of [1, 2, 3, 7, 64, wire.length]) {
      const reader = new ReplyReader();
      const got: RespValue[] = [];
      for (let i = 0; i < wire.length; i += size) got.push(...reader.push(wire.subarray(i, i + size)));
      expect(got).toEqual(['PONG', payload, [7, null], new RespError('LOADING busy')]);
    }
  });
});

describe('redis engine, pure parts', () => {
  it('reads the non-empty databases from INFO keyspace', () => {
    expect(parseKeyspace('# Keyspace\r\ndb0:keys=3,expires=1,avg_ttl=0\r\ndb12:keys=1,expires=0,avg_ttl=0\r\n')).toEqual([
      { db: 0, keys: 3 },
      { db: 12, keys: 1 },
    ]);
    expect(parseKeyspace('# Keyspace\r\n')).toEqual([]);
  });

  it('RESTOREs with the remaining TTL, 0 for no expiry, and skips keys that vanished', () => {
    const k = Buffer.from('k');
    const p = Buffer.from([1, 2]);
    expect(restoreCommand(k, -1, p)).toEqual(['RESTORE', k, 0, p, 'REPLACE']);
    expect(restoreCommand(k, 1234, p)).toEqual(['RESTORE', k, 1234, p, 'REPLACE']);
    expect(restoreCommand(k, -2, p)).toBeUndefined();
    expect(restoreCommand(k, 1234, null)).toBeUndefined();
  });

  it('rebuilds a key by type in one MULTI/EXEC, with its TTL; zset pairs become score, member', () => {
    const k = Buffer.from('z');
    const b = (s: string) => Buffer.from(s);
    expect(writeCommands(k, 'zset', [b('one'), b('1.5'), b('top'), b('inf')], 5000)).toEqual([
      ['MULTI'],
      ['DEL', k],
      ['ZADD', k, b('1.5'), b('one'), b('inf'), b('top')],
      ['PEXPIRE', k, 5000],
      ['EXEC'],
    ]);
    expect(writeCommands(k, 'string', b('v'), -1)).toEqual([['MULTI'], ['DEL', k], ['SET', k, b('v')], ['EXEC']]);
    const many = Array.from({ length: 1100 }, (_, i) => b(`m${i}`));
    expect(
      writeCommands(k, 'set', many, -1)
        .filter((c) => c[0] === 'SADD')
        .map((c) => c.length - 2),
    ).toEqual([512, 512, 76]);
    expect(writeCommands(k, 'stream', [[b('1-1'), [b('f'), b('v')]]], -1)[2]).toEqual(['XADD', k, b('1-1'), b('f'), b('v')]);
    expect(readCommand(k, 'list')).toEqual(['LRANGE', k, 0, -1]);
    expect(() => writeCommands(k, 'ReJSON-RL', null, -1)).toThrow(/cannot copy a key of type ReJSON-RL/);
  });

  it('starts the temporary server on a unix socket only, saving nothing', () => {
    const s = tempServer('/scratch/redis-x');
    expect(s.args).toEqual(
      expect.arrayContaining([
        '--port',
        '0',
        '--unixsocket',
        '/scratch/redis-x/redis.sock',
        '--save',
        '',
        '--appendonly',
        'no',
        '--dbfilename',
        'dump.rdb',
        '--databases',
        String(TEMP_DATABASES),
      ]),
    );
  });

  it('redis-check-rdb failures say what is wrong (its findings are on stdout)', async () => {
    const dir = servers().tmpBase;
    const file = join(dir, `${uniqueName('trunc')}.rdb`);
    const r = await RespClient.connect({ host: servers().redis.host, port: servers().redis.port });
    await r.auth({ password: servers().redis.password });
    await r.call('SET', uniqueName('k'), 'v');
    r.close();
    const e = { host: servers().redis.host, port: servers().redis.port, password: servers().redis.password };
    await drain(redis.dump(e), createWriteStream(file));
    expect(readFileSync(file).subarray(0, 5).toString()).toBe('REDIS');
    await run(redis.checkFile!(file) as Parameters<typeof run>[0]);
    truncateSync(file, 60);
    const check = redis.checkFile!(file) as Parameters<typeof run>[0];
    await expect(run(check)).rejects.toThrow(/redis-check-rdb .* exited with code 1 \(Unexpected EOF/);
  });
});

// ---------- integration: a private server (restores and FLUSHALL must not touch the shared one) ----------

let own: RedisInfo & Stoppable;
let client: RespClient;

/** Inside a describe: `own`, a private server of the variant's major, and `client` connected to it. */
function usePrivateServer(variant: Variant): void {
  beforeAll(async () => {
    own = await startRedis({ baseDir: servers().tmpBase, password: servers().redis.password, ...(variant.newer ? { root: servers().image.root } : {}) });
    client = await RespClient.connect({ host: own.host, port: own.port });
    await client.auth({ password: own.password });
  });
  afterAll(async () => {
    client?.close();
    await own?.stop();
  });
}

const component = (name: string, extra: Record<string, unknown> = {}) => ({
  name,
  type: 'redis',
  host: own.host,
  port: own.port,
  credentials: { secretName: 'redis' },
  ...extra,
});

const BINARY = Buffer.from(Array.from({ length: 256 }, (_, i) => i));

/** One of each type under a prefix, in db 0 and db 1, a TTL key and a binary value. */
async function seed(prefix: string): Promise<void> {
  await client.call('SELECT', 0);
  const replies = await client.pipeline([
    ['SET', `${prefix}:str`, 'hello é 😀'],
    ['SET', Buffer.concat([Buffer.from(`${prefix}:bin:`), Buffer.from([0, 255, 10])]), BINARY],
    ['SET', `${prefix}:num`, 42],
    ['HSET', `${prefix}:hash`, 'a', '1', 'b', BINARY, 'c', 'three'],
    ['RPUSH', `${prefix}:list`, 'x', 'y', 'x', BINARY],
    ['SADD', `${prefix}:set`, 'm1', 'm2', 'm3'],
    ['ZADD', `${prefix}:zset`, '1.5', 'one', '-2', 'two', 'inf', 'top'],
    ['XADD', `${prefix}:stream`, '1-1', 'f', 'v1'],
    ['XADD', `${prefix}:stream`, '2-0', 'f', 'v2', 'g', BINARY],
    ['SET', `${prefix}:ttl`, 'expires', 'EX', 3600],
    ['HSET', `${prefix}:big`, ...Array.from({ length: 500 }, (_, i) => [`field${i}`, `value ${i} ${'z'.repeat(i % 50)}`]).flat()],
    ['SELECT', 1],
    ['SET', `${prefix}:db1`, 'in db one'],
    ['SADD', `${prefix}:db1set`, ...Array.from({ length: 200 }, (_, i) => `member${i}`)],
    ['SELECT', 0],
  ]);
  expect(replies.filter((r) => r instanceof RespError)).toEqual([]);
}

const b64 = (v: RespValue): unknown => (Buffer.isBuffer(v) ? v.toString('base64') : Array.isArray(v) ? v.map(b64) : v);

/** Every key under the prefix in one database: type, content (base64, order-free where the type is) and whether it has a TTL. */
async function snapshotDb(prefix: string, db: number): Promise<Record<string, unknown>> {
  const out: Record<string, unknown> = {};
  await client.call('SELECT', db);
  let cursor = '0';
  const keys: Buffer[] = [];
  do {
    const [next, batch] = (await client.call('SCAN', cursor, 'MATCH', `${prefix}:*`, 'COUNT', 1000)) as [Buffer, Buffer[]];
    cursor = next.toString();
    keys.push(...batch);
  } while (cursor !== '0');
  for (const k of keys) {
    const type = String(await client.call('TYPE', k));
    let value = b64(await client.call(...readCommand(k, type)!));
    if (type === 'hash')
      value = JSON.stringify(
        Object.fromEntries(((value as string[]).flatMap((_, i, a) => (i % 2 ? [] : [[a[i], a[i + 1]]])) as Array<[string, string]>).sort()),
      );
    if (type === 'set') value = (value as string[]).sort();
    const ttl = Number(await client.call('PTTL', k));
    out[k.toString('base64')] = { type, value, ttl: ttl > 0 ? 'yes' : ttl };
  }
  await client.call('SELECT', 0);
  return out;
}

/** Every key under the prefix in dbs 0–2, named db/key. */
async function snapshot(prefix: string): Promise<Record<string, unknown>> {
  const out: Record<string, unknown> = {};
  for (const db of [0, 1, 2]) for (const [k, v] of Object.entries(await snapshotDb(prefix, db))) out[`${db}/${k}`] = v;
  return out;
}

async function mutate(prefix: string): Promise<void> {
  const replies = await client.pipeline([
    ['SELECT', 0],
    ['DEL', `${prefix}:str`, `${prefix}:hash`],
    ['SET', `${prefix}:num`, 'changed'],
    ['RPUSH', `${prefix}:list`, 'extra'],
    ['PERSIST', `${prefix}:ttl`],
    ['SET', `${prefix}:new`, 'written after the backup'],
    ['SELECT', 1],
    ['DEL', `${prefix}:db1`],
    ['SELECT', 2],
    ['SET', `${prefix}:db2`, 'only after the backup'],
    ['SELECT', 0],
  ]);
  expect(replies.filter((r) => r instanceof RespError)).toEqual([]);
}

/** No temporary redis-server of this app is left running, and its directory is gone. */
function assertCleanedUp(scratch: string): void {
  expect(readdirSync(scratch).filter((f) => f.startsWith('redis-'))).toEqual([]);
  const running = readdirSync('/proc')
    .filter((p) => /^\d+$/.test(p))
    .flatMap((p) => {
      try {
        return [readFileSync(`/proc/${p}/cmdline`, 'utf8')];
      } catch {
        return [];
      }
    })
    .filter((cmd) => cmd.includes(scratch));
  expect(running).toEqual([]);
}

describe.each(rows('redis'))("redis round trip (%s, the image's clients, restic 0.18)", (_name, variant) => {
  onVariant(variant);
  usePrivateServer(variant);
  for (const where of ['local', 's3'] as const) {
    it(`restores every key of dbs 0 and 1 with types, binary values and TTLs (${where} repository, merge)`, async () => {
      const prefix = uniqueName('rt');
      await seed(prefix);
      const before = await snapshot(prefix);
      expect(Object.keys(before)).toHaveLength(12);
      expect(before).toMatchObject({ [`0/${Buffer.from(`${prefix}:ttl`).toString('base64')}`]: { ttl: 'yes' } });
      const app = await makeApp({
        repo: where === 's3' ? s3Repository(uniqueName('rdrt')) : undefined,
        values: { components: [component('cache')], restore: { snapshot: 'latest' } },
      });
      const lib = `lib${prefix}`;
      await client.call('FUNCTION', 'LOAD', 'REPLACE', `#!lua name=${lib}\nredis.register_function('${lib}_hello', function() return 'hi from ${lib}' end)`);
      const report = await backup(app.ctx());
      await client.call('FUNCTION', 'DELETE', lib);
      expect(report.status).toBe('good');
      expect(report.components[0]).toMatchObject({
        type: 'redis',
        fileName: 'cache.rdb',
        clientVersion: expect.stringMatching(/^8\./),
        serverVersion: expect.stringMatching(majorPattern(variant)),
      });

      await mutate(prefix);
      expect(await snapshot(prefix)).not.toEqual(before);
      await restore(app.ctx());
      const after = await snapshot(prefix);
      // Merge: every key of the dump is back as it was; keys written after the backup stay.
      const added = [`0/${Buffer.from(`${prefix}:new`).toString('base64')}`, `2/${Buffer.from(`${prefix}:db2`).toString('base64')}`];
      expect(Object.fromEntries(Object.entries(after).filter(([k]) => !added.includes(k)))).toEqual(before);
      for (const k of added) expect(after[k]).toBeDefined();
      await client.call('SELECT', 0);
      const ttl = Number(await client.call('PTTL', `${prefix}:ttl`));
      expect(ttl).toBeGreaterThan(3_500_000);
      expect(ttl).toBeLessThanOrEqual(3_600_000);
      expect(String(await client.call('FCALL', `${lib}_hello`, 0))).toBe(`hi from ${lib}`);
      assertCleanedUp(join(app.dir, 'scratch'));
    });
  }

  it("copies by type (for targets older than the runner's redis-server): every type, binary values and TTLs", async () => {
    const prefix = uniqueName('bytype');
    await seed(prefix);
    const source = await RespClient.connect({ host: own.host, port: own.port });
    const target = await RespClient.connect({ host: own.host, port: own.port });
    try {
      await source.auth({ password: own.password });
      await target.auth({ password: own.password });
      await target.call('SELECT', 3);
      const [, keys] = (await source.call('SCAN', 0, 'MATCH', `${prefix}:*`, 'COUNT', 10_000)) as [Buffer, Buffer[]];
      expect(await copyByType(source, target, keys, 3)).toBe(10);
      await target.call('SET', `${prefix}:str`, 'overwritten'); // a second copy replaces keys atomically
      expect(await copyByType(source, target, keys, 3)).toBe(10);
    } finally {
      source.close();
      target.close();
    }
    expect(await snapshotDb(prefix, 3)).toEqual(await snapshotDb(prefix, 0));
  });

  it('restoreMode flush empties the server first: keys written after the backup are gone', async () => {
    const prefix = uniqueName('fl');
    await seed(prefix);
    const app = await makeApp({ values: { components: [component('cache', { restoreMode: 'flush' })], restore: { snapshot: 'latest' } } });
    await backup(app.ctx());
    const whole = await snapshot(prefix);
    await mutate(prefix);
    const plan = await restore(app.ctx(), { planOnly: true });
    expect(plan.steps.join('\n')).toMatch(/flushed first/);
    await restore(app.ctx());
    expect(await snapshot(prefix)).toEqual(whole);
    await client.call('SELECT', 2);
    expect(await client.call('EXISTS', `${prefix}:db2`)).toBe(0);
    await client.call('SELECT', 0);
    expect(await client.call('EXISTS', `${prefix}:new`)).toBe(0);
    assertCleanedUp(join(app.dir, 'scratch'));
  });

  it('a target that refuses RESTORE stops the restore before FLUSHALL; nothing changes, the temporary server is stopped', async () => {
    const prefix = uniqueName('ref');
    await seed(prefix);
    const app = await makeApp({ values: { components: [component('cache', { restoreMode: 'flush' })], restore: { snapshot: 'latest' } } });
    await backup(app.ctx());
    await mutate(prefix);
    const changed = await snapshot(prefix);
    await client.call('ACL', 'SETUSER', 'default', '-restore');
    try {
      await expect(restore(app.ctx())).rejects.toThrow(/refuses RESTORE.*NOPERM.*nothing was changed/s);
    } finally {
      await client.call('ACL', 'SETUSER', 'default', '+restore');
    }
    expect(await snapshot(prefix)).toEqual(changed);
    assertCleanedUp(join(app.dir, 'scratch'));
  });

  it("a wrong password fails the backup with redis-cli's own message, never showing the password", async () => {
    const app = await makeApp({ values: { components: [component('cache')] } });
    const wrong = 'wrong-redis-password-0815';
    writeFileSync(join(app.secretsDir, 'redis', 'password'), wrong);
    const err = await backup(app.ctx()).catch((e: Error) => e);
    // The preflight connects before anything is dumped and names the field to fix.
    expect((err as Error).message).toMatch(
      /backup refused before any dump[^]*components\[0\] \(cache\): the Redis server refused the password from components\[0\]\.credentials/,
    );
    expect((err as Error).message).toMatch(/WRONGPASS|NOAUTH|AUTH failed/);
    expect((err as Error).message).not.toContain(wrong);
  });
});
