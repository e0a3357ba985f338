// Redis: the RDB snapshot streamed by `redis-cli --rdb -`; restored key by key into the running target server.
// I/O: only redis.restoreFromFile (a temporary directory and server, sockets to it and to the target); every builder is pure.
//
// Restore path (works against a live server, no file access to it, no restart):
//   1. the spooled RDB (sha256 already checked against the manifest, redis-check-rdb passed) is
//      linked into a private directory, and a temporary `redis-server` loads it there: no TCP port
//      (--port 0), a unix socket only, no saving, no AOF;
//   2. a probe: one DUMP payload from it is RESTOREd into the target under a throw-away key and
//      deleted again. A target that refuses RESTORE (ACL, read-only replica) stops the restore here,
//      before anything was flushed or overwritten. A target that only cannot read the payloads'
//      RDB format (older than the runner's redis-server, e.g. Redis 7.2 vs the image's 8.0) is
//      restored by type instead: each key read with GET/HGETALL/LRANGE/SMEMBERS/ZRANGE/XRANGE and
//      rebuilt in one MULTI/EXEC (streams lose their consumer groups; module types cannot be copied);
//   3. restoreMode flush: FLUSHALL on the target (the component is the whole server);
//   4. for every non-empty database: SCAN the temporary server, DUMP + PTTL each key (pipelined),
//      RESTORE key ttl payload REPLACE into the same database number on the target (pipelined);
//      keys keep their type, encoding and remaining TTL; keys not in the dump are left alone
//      (merge); Redis functions (7.0+) are loaded from their code with FUNCTION LOAD REPLACE;
//   5. the temporary server is always stopped and its directory removed (finally), even on failure.
// The runner needs memory for the dataset while the temporary server holds it.
import { link, mkdtemp, readFile, rm, stat, symlink } from 'node:fs/promises';
import { join } from 'node:path';
import { SafeholdError } from '../../errors.js';
import { BINARIES } from '../binaries.js';
import type { ProcessSpec, Running } from '../process/spawn.js';
import { copyByDump, copyByType } from './redis-copy.js';
import { RespClient, RespError } from './resp.js';
import type { Endpoint, RestoreIO, RestoreOptions, StreamEngine, VersionVerdict } from './types.js';
import { parseVersion } from './version.js';

export function redisEnv(e: Endpoint): Record<string, string> {
  return e.password ? { REDISCLI_AUTH: e.password } : {};
}

const cli = (e: Endpoint): string[] => ['-h', e.host, '-p', String(e.port), ...(e.username ? ['--user', e.username] : [])];

/** The runner's redis-server must read the server's RDB format: checks and restores load it. */
export function redisVerdict(clientOut: string, serverOut: string): VersionVerdict {
  const client = parseVersion(clientOut);
  const server = parseVersion(serverOut);
  const texts = { client: client?.text ?? clientOut.trim(), server: server?.text ?? serverOut.trim() };
  if (client && server && (client.major < server.major || (client.major === server.major && client.minor < server.minor))) {
    return {
      ...texts,
      warn: `the runner's redis-server ${client.text} is older than the server ${server.text} and may not read its RDB format: the stored dump would fail its check (the set is then flagged suspicious) and could not be restored by this runner; use a runner image whose redis-server is at least ${server.major}.${server.minor}`,
    };
  }
  return texts;
}

/** redis-check-rdb prints its findings on stdout; the line after the banner says what is wrong. */
function rdbProblem(_code: number | null, out: string): string | undefined {
  const lines = out.split('\n');
  const i = lines.findIndex((l) => l.includes('RDB ERROR DETECTED'));
  return i >= 0 ? lines[i + 1]?.replace(/^\[offset \d+\]\s*/, '').trim() || undefined : undefined;
}

export const TEMP_SOCKET = 'redis.sock';
export const TEMP_RDB = 'dump.rdb';
/** More than any real server's `databases`: the temporary server must accept every SELECTDB of the file. */
export const TEMP_DATABASES = 256;

/** The temporary server that loads a stored RDB: unix socket only, nothing written back. */
export function tempServer(dir: string): ProcessSpec {
  return {
    cmd: BINARIES.redisServer,
    args: [
      '--port',
      '0',
      '--unixsocket',
      join(dir, TEMP_SOCKET),
      '--unixsocketperm',
      '700',
      '--dir',
      dir,
      '--dbfilename',
      TEMP_RDB,
      '--save',
      '',
      '--appendonly',
      'no',
      '--databases',
      String(TEMP_DATABASES),
      '--logfile',
      join(dir, 'redis.log'),
      '--daemonize',
      'no',
    ],
  };
}

/** "db0:keys=3,expires=1,avg_ttl=0" lines of INFO keyspace → the non-empty databases. */
export function parseKeyspace(info: string): Array<{ db: number; keys: number }> {
  return [...info.matchAll(/^db(\d+):keys=(\d+)/gm)].map((m) => ({ db: Number(m[1]), keys: Number(m[2]) }));
}

export const redis: StreamEngine = {
  type: 'redis',
  fileName: (name) => `${name}.rdb`,
  dump: (e) => ({ cmd: BINARIES.redisCli, args: [...cli(e), '--rdb', '-'], env: redisEnv(e) }),
  versions: (e) => ({
    client: { cmd: BINARIES.redisServer, args: ['--version'] },
    server: { cmd: BINARIES.redisCli, args: [...cli(e), '-e', 'INFO', 'server'], env: redisEnv(e) },
    judge: redisVerdict,
  }),
  checkFile: (file) => ({ cmd: BINARIES.redisCheckRdb, args: [file], diagnosticsOnStdout: true, meaning: rdbProblem }),
  // No process list can restore into a live server: restoreFromFile does (see the top of this file).
  restore: () => [],
  restoreFromFile: (e, file, opts, io) => restoreRdb(e, file, opts, io),
};

const GROUP = 64;
const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));

async function restoreRdb(e: Endpoint, file: string, opts: RestoreOptions, io: RestoreIO): Promise<void> {
  const dir = await mkdtemp(join(io.scratchDir, 'redis-'));
  let server: Running | undefined;
  const clients: RespClient[] = [];
  try {
    await link(file, join(dir, TEMP_RDB)).catch(() => symlink(file, join(dir, TEMP_RDB)));
    server = io.start(tempServer(dir), { stdin: 'ignore', stdout: 'ignore' });
    const { size } = await stat(file);
    const source = await waitLoaded(server, dir, 60_000 + Math.ceil(size / 20_000)); // ≥ 20 MB/s
    clients.push(source);
    const target = await RespClient.connect({ host: e.host, port: e.port });
    clients.push(target);
    await target.auth({ username: e.username, password: e.password }).catch((err: Error) => {
      throw new SafeholdError(`redis target ${e.host}:${e.port}: ${err.message}; nothing was changed`);
    });
    const dbs = parseKeyspace(String(await source.call('INFO', 'keyspace')));
    const mode = await probe(source, target, dbs, e);
    if (mode === 'type')
      io.log.warn(
        "redis: the target cannot read DUMP payloads of the runner's redis-server (older RDB format); copying key by key by type (stream consumer groups are not copied)",
        { target: `${e.host}:${e.port}` },
      );
    const copy = mode === 'dump' ? copyByDump : copyByType;
    if (opts.flush) {
      io.log.warn('redis: FLUSHALL on the target before loading (restoreMode flush)', { target: `${e.host}:${e.port}` });
      await target.call('FLUSHALL');
    }
    if (!opts.match) await copyFunctions(source, target);
    let copied = 0;
    const progress = io.log.progress('redis restore', { target: `${e.host}:${e.port}` });
    // A partial restore (restore.only) scans once per pattern; a key two patterns match is written twice, the same.
    const matches = opts.match?.length ? opts.match.map((m) => ['MATCH', m]) : [[]];
    const rename = opts.keyPrefix === undefined ? undefined : (k: Buffer) => Buffer.concat([Buffer.from(opts.keyPrefix!), k]);
    for (const { db } of dbs) {
      await source.call('SELECT', db);
      await target.call('SELECT', db);
      for (const match of matches) {
        let cursor = '0';
        do {
          const [next, keys] = (await source.call('SCAN', cursor, ...match, 'COUNT', 1000)) as [Buffer, Buffer[]];
          cursor = next.toString();
          for (let i = 0; i < keys.length; i += GROUP) {
            copied += await copy(source, target, keys.slice(i, i + GROUP), db, rename);
            progress(copied);
          }
        } while (cursor !== '0');
      }
    }
    io.log.info('redis: keys restored', {
      keys: copied,
      databases: dbs.map((d) => d.db),
      flushed: !!opts.flush,
      by: mode,
      ...(opts.match ? { only: opts.match } : {}),
    });
  } finally {
    for (const c of clients) c.close();
    if (server) await stop(server);
    await rm(dir, { recursive: true, force: true });
  }
}

/** Connects to the temporary server once it has loaded the file; fails with its log when it exits or times out. */
async function waitLoaded(server: Running, dir: string, timeoutMs: number): Promise<RespClient> {
  let exited = false;
  void server.exit.then(() => (exited = true));
  const deadline = Date.now() + timeoutMs;
  const why = async (what: string) => {
    const log = await readFile(join(dir, 'redis.log'), 'utf8').catch(() => '');
    const tail = `${log}\n${(await Promise.race([server.exit, sleep(0).then(() => undefined)]))?.stderr ?? ''}`.trim().split('\n').slice(-5).join('\n  ');
    return new SafeholdError(`the temporary redis-server that loads the stored RDB ${what}; nothing was changed${tail ? `:\n  ${tail}` : ''}`);
  };
  for (;;) {
    if (exited) throw await why('exited');
    if (Date.now() > deadline) throw await why(`did not load it within ${Math.round(timeoutMs / 1000)} s`);
    const c = await RespClient.connect({ path: join(dir, TEMP_SOCKET) }, 2000).catch(() => undefined);
    if (c) {
      const [pong] = await c.pipeline([['PING']]).catch(() => [undefined]);
      if (pong === 'PONG') return c;
      c.close();
    }
    await sleep(50);
  }
}

async function stop(server: Running): Promise<void> {
  server.kill('SIGTERM');
  const timer = setTimeout(() => server.kill('SIGKILL'), 10_000);
  await server.exit;
  clearTimeout(timer);
}

/**
 * RESTOREs one payload under a throw-away key (deleted at once; 60 s TTL should the delete not run):
 * 'dump' when the target takes it, 'type' when it only cannot read the RDB format; any other
 * refusal stops the restore before anything is flushed or replaced.
 */
async function probe(source: RespClient, target: RespClient, dbs: Array<{ db: number }>, e: Endpoint): Promise<'dump' | 'type'> {
  if (!dbs.length) return 'dump';
  await source.call('SELECT', dbs[0].db);
  const key = await source.call('RANDOMKEY');
  const payload = Buffer.isBuffer(key) ? await source.call('DUMP', key) : null;
  if (!Buffer.isBuffer(payload)) return 'dump';
  const probeKey = `safehold:restore-probe:${process.pid}:${Date.now()}`;
  const [r] = await target.pipeline([['RESTORE', probeKey, 60_000, payload, 'REPLACE']]);
  await target.pipeline([['DEL', probeKey]]);
  if (!(r instanceof RespError)) return 'dump';
  if (/payload version|checksum/i.test(r.message)) return 'type';
  throw new SafeholdError(`redis target ${e.host}:${e.port} refuses RESTORE of the stored keys: ${r.message}; nothing was changed`);
}

/** Redis functions (7.0+) by their source code: FUNCTION LOAD REPLACE reads in every version, unlike FUNCTION RESTORE payloads. */
async function copyFunctions(source: RespClient, target: RespClient): Promise<void> {
  const [list] = await source.pipeline([['FUNCTION', 'LIST', 'WITHCODE']]);
  if (!Array.isArray(list)) return; // a redis-server before 7.0: no functions
  for (const lib of list as Buffer[][]) {
    const i = lib.findIndex((x) => Buffer.isBuffer(x) && x.toString() === 'library_code');
    if (i >= 0) await target.call('FUNCTION', 'LOAD', 'REPLACE', lib[i + 1]);
  }
}
