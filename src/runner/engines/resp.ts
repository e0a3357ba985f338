// A small RESP2 client over node:net: commands as arrays of bulk strings, replies parsed incrementally (binary-safe).
// I/O: RespClient (a socket); encodeCommand, parseReply and ReplyReader are pure.
import net from 'node:net';

export type RespValue = string | number | Buffer | null | RespError | RespValue[];

/** An error reply (-ERR …): a value, not a thrown error, so a pipeline's replies stay aligned. */
export class RespError {
  constructor(readonly message: string) {}
}

const CRLF = Buffer.from('\r\n');

/** Encodes one command as a RESP array of bulk strings. */
export function encodeCommand(args: ReadonlyArray<string | Buffer | number>): Buffer {
  const parts: Buffer[] = [Buffer.from(`*${args.length}\r\n`)];
  for (const a of args) {
    const b = Buffer.isBuffer(a) ? a : Buffer.from(String(a), 'utf8');
    parts.push(Buffer.from(`$${b.length}\r\n`), b, CRLF);
  }
  return Buffer.concat(parts);
}

/** One parsed reply and where the next starts, or how many bytes (in total) are needed before trying again. */
export type ParseResult = { value: RespValue; next: number } | { need: number };

/** Parses one reply starting at `pos`. Bulk strings stay Buffers (DUMP payloads are binary). */
export function parseReply(buf: Buffer, pos = 0): ParseResult {
  const eol = buf.indexOf(CRLF, pos);
  if (eol < 0) return { need: buf.length + 1 };
  const type = String.fromCharCode(buf[pos]);
  const line = buf.toString('utf8', pos + 1, eol);
  const after = eol + 2;
  switch (type) {
    case '+':
      return { value: line, next: after };
    case '-':
      return { value: new RespError(line), next: after };
    case ':':
      return { value: Number(line), next: after };
    case '$': {
      const len = Number(line);
      if (len < 0) return { value: null, next: after };
      const end = after + len;
      if (buf.length < end + 2) return { need: end + 2 };
      return { value: buf.subarray(after, end), next: end + 2 };
    }
    case '*': {
      const n = Number(line);
      if (n < 0) return { value: null, next: after };
      const items: RespValue[] = [];
      let p = after;
      for (let i = 0; i < n; i++) {
        const r = parseReply(buf, p);
        if ('need' in r) return r;
        items.push(r.value);
        p = r.next;
      }
      return { value: items, next: p };
    }
    default:
      throw new Error(`RESP: unexpected reply type ${JSON.stringify(type)}`);
  }
}

/** Accumulates chunks; copies them together only when a whole reply can be complete (big payloads arrive in many chunks). */
export class ReplyReader {
  private chunks: Buffer[] = [];
  private size = 0;
  private need = 1;

  /** Adds a chunk and returns every reply now complete. */
  push(chunk: Buffer): RespValue[] {
    this.chunks.push(chunk);
    this.size += chunk.length;
    if (this.size < this.need) return [];
    let buf = this.chunks.length === 1 ? this.chunks[0] : Buffer.concat(this.chunks, this.size);
    const out: RespValue[] = [];
    let pos = 0;
    for (;;) {
      if (pos >= buf.length) {
        this.need = 1;
        break;
      }
      const r = parseReply(buf, pos);
      if ('need' in r) {
        this.need = r.need - pos;
        break;
      }
      out.push(r.value);
      pos = r.next;
    }
    buf = buf.subarray(pos);
    this.chunks = buf.length ? [buf] : [];
    this.size = buf.length;
    return out;
  }
}

export type RespAddress = { path: string } | { host: string; port: number };

export interface RespAuth {
  readonly username?: string;
  readonly password?: string;
}

/** A connection that sends commands in order and resolves replies in order; pipelining is writing before reading. */
export class RespClient {
  private readonly reader = new ReplyReader();
  private readonly pending: Array<{ resolve: (v: RespValue) => void; reject: (e: Error) => void }> = [];
  private closed: Error | undefined;

  private constructor(private readonly socket: net.Socket) {
    socket.on('data', (chunk: Buffer) => {
      let replies: RespValue[];
      try {
        replies = this.reader.push(chunk);
      } catch (e) {
        this.fail(e as Error);
        return;
      }
      for (const r of replies) this.pending.shift()?.resolve(r);
    });
    socket.on('error', (e) => this.fail(e));
    socket.on('close', () => this.fail(new Error('connection closed')));
  }

  static connect(to: RespAddress, timeoutMs = 15_000): Promise<RespClient> {
    return new Promise((resolve, reject) => {
      const socket = 'path' in to ? net.connect({ path: to.path }) : net.connect({ host: to.host, port: to.port });
      const timer = setTimeout(() => socket.destroy(new Error(`connect timed out after ${timeoutMs} ms`)), timeoutMs);
      socket.once('connect', () => {
        clearTimeout(timer);
        socket.removeAllListeners('error');
        resolve(new RespClient(socket));
      });
      socket.once('error', (e) => {
        clearTimeout(timer);
        reject(e);
      });
    });
  }

  /** Sends commands back to back, then collects every reply (error replies included, as RespError). */
  pipeline(commands: ReadonlyArray<ReadonlyArray<string | Buffer | number>>): Promise<RespValue[]> {
    if (this.closed) return Promise.reject(this.closed);
    const replies = commands.map(
      () =>
        new Promise<RespValue>((resolve, reject) => {
          this.pending.push({ resolve, reject });
        }),
    );
    this.socket.write(Buffer.concat(commands.map(encodeCommand)));
    return Promise.all(replies);
  }

  /** One command; an error reply rejects. */
  async call(...args: Array<string | Buffer | number>): Promise<RespValue> {
    const [r] = await this.pipeline([args]);
    if (r instanceof RespError) throw new Error(r.message);
    return r;
  }

  /** AUTH with the ACL user when there is one. Only the reply is reported, never the arguments. */
  async auth(a: RespAuth): Promise<void> {
    if (a.password === undefined || a.password === '') return;
    const [r] = await this.pipeline([a.username ? ['AUTH', a.username, a.password] : ['AUTH', a.password]]);
    if (r instanceof RespError) throw new Error(r.message);
  }

  close(): void {
    this.socket.destroy();
  }

  private fail(e: Error): void {
    this.closed ??= e;
    for (const p of this.pending.splice(0)) p.reject(e);
    this.socket.destroy();
  }
}
