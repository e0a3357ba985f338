// A TLS proxy in front of s3rver that answers 503 SlowDown (as AWS S3 does when throttling) while switched on.
import { readFile } from 'node:fs/promises';
import https from 'node:https';
import { dirname, join } from 'node:path';

export interface ThrottlingProxy {
  readonly endpoint: string;
  /** Requests answered 503 SlowDown, and requests passed through. */
  readonly counts: { slowDown: number; passed: number };
  throttle(on: boolean): void;
  stop(): Promise<void>;
}

/** `target` is an s3rver endpoint whose key.pem and cert.pem sit beside `caCertFile` (test/support/servers.ts). */
export async function startThrottlingProxy(target: string, caCertFile: string): Promise<ThrottlingProxy> {
  const [key, cert] = await Promise.all([readFile(join(dirname(caCertFile), 'key.pem')), readFile(caCertFile)]);
  const upstream = new URL(target);
  const counts = { slowDown: 0, passed: 0 };
  let throttled = false;
  const server = https.createServer({ key, cert }, (req, res) => {
    if (throttled) {
      counts.slowDown++;
      req.resume();
      res.writeHead(503, { 'Content-Type': 'application/xml', 'Retry-After': '1' });
      res.end(
        `<?xml version="1.0" encoding="UTF-8"?>\n<Error><Code>SlowDown</Code><Message>Please reduce your request rate.</Message><Resource>${req.url}</Resource><RequestId>throttle-${counts.slowDown}</RequestId></Error>`,
      );
      return;
    }
    counts.passed++;
    const out = https.request({ host: upstream.hostname, port: upstream.port, method: req.method, path: req.url, headers: req.headers, ca: cert }, (up) => {
      res.writeHead(up.statusCode ?? 502, up.headers);
      up.pipe(res);
    });
    out.on('error', () => res.destroy());
    req.pipe(out);
  });
  await new Promise<void>((r) => server.listen(0, upstream.hostname, r));
  const port = (server.address() as { port: number }).port;
  return {
    endpoint: `https://${upstream.hostname}:${port}`,
    counts,
    throttle: (on) => void (throttled = on),
    stop: () =>
      new Promise<void>((r) => {
        server.closeAllConnections();
        server.close(() => r());
      }),
  };
}
