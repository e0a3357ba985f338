// Copying keys from the temporary Redis server into the target: DUMP/RESTORE, or by type when the target cannot read the payloads.
// I/O: copyByDump and copyByType (network, through RespClient); the command builders are pure.
import { SafeholdError } from '../../errors.js';
import { RespError, type RespClient, type RespValue } from './resp.js';

export type Command = Array<string | Buffer | number>;

/** RESTORE of one key from its DUMP payload and PTTL (-1: no expiry → 0); undefined when the key is gone. */
export function restoreCommand(key: Buffer, pttl: RespValue, payload: RespValue): Command | undefined {
  if (!Buffer.isBuffer(payload) || typeof pttl !== 'number' || pttl === -2) return undefined;
  return ['RESTORE', key, pttl > 0 ? pttl : 0, payload, 'REPLACE'];
}

/** How each type is read on the source. */
export function readCommand(key: Buffer, type: string): Command | undefined {
  const read: Record<string, Command> = {
    string: ['GET', key],
    hash: ['HGETALL', key],
    list: ['LRANGE', key, 0, -1],
    set: ['SMEMBERS', key],
    zset: ['ZRANGE', key, 0, -1, 'WITHSCORES'],
    stream: ['XRANGE', key, '-', '+'],
  };
  return read[type];
}

const CHUNK = 512;
const chunks = <T>(xs: T[], n: number): T[][] => Array.from({ length: Math.ceil(xs.length / n) }, (_, i) => xs.slice(i * n, i * n + n));

/**
 * The commands that rebuild one key from what readCommand returned, in one MULTI/EXEC (the key is
 * replaced atomically), then its TTL. Streams keep their entries, not their consumer groups.
 */
export function writeCommands(key: Buffer, type: string, value: RespValue, pttl: number): Command[] {
  const items = (Array.isArray(value) ? value : []) as Buffer[];
  const pairs = chunks(items, 2 * CHUNK);
  let body: Command[];
  switch (type) {
    case 'string':
      body = [['SET', key, value as Buffer]];
      break;
    case 'hash':
      body = pairs.map((c) => ['HSET', key, ...c]);
      break;
    case 'list':
      body = chunks(items, CHUNK).map((c) => ['RPUSH', key, ...c]);
      break;
    case 'set':
      body = chunks(items, CHUNK).map((c) => ['SADD', key, ...c]);
      break;
    case 'zset': // ZRANGE … WITHSCORES gives member, score; ZADD wants score, member
      body = pairs.map((c) => ['ZADD', key, ...c.flatMap((_, i) => (i % 2 ? [c[i], c[i - 1]] : []))]);
      break;
    case 'stream':
      body = (value as Array<[Buffer, Buffer[]]>).map(([id, fields]) => ['XADD', key, id, ...fields]);
      break;
    default:
      throw new SafeholdError(`cannot copy a key of type ${type} without DUMP/RESTORE (module types need a target that reads the runner's RDB format)`);
  }
  return [['MULTI'], ['DEL', key], ...body, ...(pttl > 0 ? [['PEXPIRE', key, pttl] as Command] : []), ['EXEC']];
}

function refused(db: number, how: string, results: RespValue[]): SafeholdError | undefined {
  const errors = results.flatMap((r) => (r instanceof RespError ? [r] : Array.isArray(r) ? r.filter((x): x is RespError => x instanceof RespError) : []));
  if (!errors.length) return undefined;
  return new SafeholdError(
    `redis restore failed in database ${db}: ${how} answered ${errors[0].message} (${errors.length} errors in this batch); keys restored before this batch stay`,
  );
}

/** DUMP + PTTL a group of keys, RESTORE them into the target (pipelined); returns how many were written. */
export async function copyByDump(source: RespClient, target: RespClient, keys: Buffer[], db: number, rename = (k: Buffer) => k): Promise<number> {
  const replies = await source.pipeline(
    keys.flatMap((k) => [
      ['PTTL', k],
      ['DUMP', k],
    ]),
  );
  const cmds = keys.map((k, i) => restoreCommand(rename(k), replies[2 * i], replies[2 * i + 1])).filter((c): c is Command => !!c);
  const problem = refused(db, 'RESTORE', await target.pipeline(cmds));
  if (problem) throw problem;
  return cmds.length;
}

/** TYPE + PTTL, read each key by its type, rebuild it on the target; for targets older than the runner's redis-server. */
export async function copyByType(source: RespClient, target: RespClient, keys: Buffer[], db: number, rename = (k: Buffer) => k): Promise<number> {
  const meta = await source.pipeline(
    keys.flatMap((k) => [
      ['TYPE', k],
      ['PTTL', k],
    ]),
  );
  const live = keys.map((k, i) => ({ k, type: String(meta[2 * i]), pttl: Number(meta[2 * i + 1]) })).filter((x) => x.type !== 'none' && x.pttl !== -2);
  const values = await source.pipeline(live.map((x) => readCommand(x.k, x.type) ?? ['TYPE', x.k]));
  const cmds = live.flatMap((x, i) => (values[i] === null ? [] : writeCommands(rename(x.k), x.type, values[i], x.pttl)));
  const problem = refused(db, 'MULTI/EXEC', await target.pipeline(cmds));
  if (problem) throw problem;
  return live.length;
}
