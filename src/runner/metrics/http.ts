// HTTP(S) to the Pushgateway with an optional CA bundle: fetch() takes no per-request CA, node:https does.
import http from 'node:http';
import https from 'node:https';

export interface HttpAnswer {
  readonly status: number;
  readonly ok: boolean;
  readonly text: string;
}

export interface HttpOptions {
  readonly method?: string;
  readonly body?: string;
  readonly headers?: Readonly<Record<string, string>>;
  /** PEM CA bundle trusted for https (instead of the system's CAs). */
  readonly ca?: Buffer;
  readonly timeoutMs: number;
}

export function httpRequest(url: string, o: HttpOptions): Promise<HttpAnswer> {
  const u = new URL(url);
  const send = u.protocol === 'https:' ? https.request : http.request;
  return new Promise((resolve, reject) => {
    const req = send(u, { method: o.method ?? 'GET', headers: o.headers, ...(o.ca ? { ca: o.ca } : {}), signal: AbortSignal.timeout(o.timeoutMs) }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('error', reject);
      res.on('end', () => {
        const status = res.statusCode ?? 0;
        resolve({ status, ok: status >= 200 && status < 300, text: Buffer.concat(chunks).toString('utf8') });
      });
    });
    req.on('error', reject);
    req.end(o.body);
  });
}
