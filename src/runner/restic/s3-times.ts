// When the storage received each snapshot file: S3's LastModified, set by the server, which no client can forge.
import { createHash, createHmac } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { request } from 'node:https';
import { request as httpRequest } from 'node:http';
import type { Repository } from '../../values/schema.js';
import type { SecretStore } from '../secrets.js';
import { RepositoryError } from '../../errors.js';

type S3 = NonNullable<Repository['s3']>;

const sha256 = (s: string) => createHash('sha256').update(s).digest('hex');
const hmac = (key: Buffer | string, s: string) => createHmac('sha256', key).update(s).digest();
/** RFC 3986 encoding, as SigV4 wants it. */
const enc = (s: string) => encodeURIComponent(s).replace(/[!'()*]/g, (c) => `%${c.charCodeAt(0).toString(16).toUpperCase()}`);

export interface S3Keys {
  readonly accessKeyId: string;
  readonly secretAccessKey: string;
}

/** The headers of a SigV4-signed GET on a path-style URL (pure, for a given clock). */
export function signedGetHeaders(url: URL, region: string, keys: S3Keys, now: Date): Record<string, string> {
  const amzDate = now
    .toISOString()
    .replace(/[-:]/g, '')
    .replace(/\.\d+Z$/, 'Z');
  const day = amzDate.slice(0, 8);
  const payload = sha256('');
  const query = [...url.searchParams]
    .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))
    .map(([k, v]) => `${enc(k)}=${enc(v)}`)
    .join('&');
  const headers = `host:${url.host}\nx-amz-content-sha256:${payload}\nx-amz-date:${amzDate}\n`;
  const signed = 'host;x-amz-content-sha256;x-amz-date';
  const canonical = ['GET', url.pathname, query, headers, signed, payload].join('\n');
  const scope = `${day}/${region}/s3/aws4_request`;
  const toSign = ['AWS4-HMAC-SHA256', amzDate, scope, sha256(canonical)].join('\n');
  const key = hmac(hmac(hmac(hmac(`AWS4${keys.secretAccessKey}`, day), region), 's3'), 'aws4_request');
  const signature = createHmac('sha256', key).update(toSign).digest('hex');
  return {
    'x-amz-date': amzDate,
    'x-amz-content-sha256': payload,
    authorization: `AWS4-HMAC-SHA256 Credential=${keys.accessKeyId}/${scope}, SignedHeaders=${signed}, Signature=${signature}`,
  };
}

function get(url: URL, headers: Record<string, string>, ca: Buffer | undefined, insecure: boolean): Promise<{ status: number; body: string }> {
  return new Promise((resolve, reject) => {
    const opts = { method: 'GET', headers, ...(url.protocol === 'https:' ? { ca, rejectUnauthorized: !insecure } : {}), timeout: 60_000 };
    const req = (url.protocol === 'https:' ? request : httpRequest)(url, opts, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body: Buffer.concat(chunks).toString('utf8') }));
      res.on('error', reject);
    });
    req.on('timeout', () => req.destroy(new Error('S3 listing timed out')));
    req.on('error', reject);
    req.end();
  });
}

const tag = (xml: string, name: string) => new RegExp(`<${name}>([^<]*)</${name}>`).exec(xml)?.[1];

/** Snapshot id → when S3 stored its file (ListObjectsV2 of `<prefix>/snapshots/`). */
export async function snapshotStoredTimes(s3: S3, keys: S3Keys, secrets: SecretStore, now = () => new Date()): Promise<Map<string, Date>> {
  const ca = s3.caCert ? readFileSync(secrets.path(s3.caCert.secretName, s3.caCert.key)) : undefined;
  const prefix = `${s3.prefix ? `${s3.prefix}/` : ''}snapshots/`;
  const out = new Map<string, Date>();
  let token: string | undefined;
  do {
    const url = new URL(`${s3.endpoint}/${s3.bucket}`);
    url.searchParams.set('list-type', '2');
    url.searchParams.set('prefix', prefix);
    if (token) url.searchParams.set('continuation-token', token);
    const res = await get(url, signedGetHeaders(url, s3.region, keys, now()), ca, s3.insecure);
    if (res.status !== 200)
      throw new RepositoryError(`listing ${prefix} in bucket ${s3.bucket} failed: HTTP ${res.status} ${tag(res.body, 'Code') ?? ''}`.trim());
    for (const [, item] of res.body.matchAll(/<Contents>([\s\S]*?)<\/Contents>/g)) {
      const key = tag(item, 'Key');
      const modified = tag(item, 'LastModified');
      if (key && modified) out.set(key.slice(prefix.length), new Date(modified));
    }
    token = tag(res.body, 'IsTruncated') === 'true' ? tag(res.body, 'NextContinuationToken') : undefined;
  } while (token);
  return out;
}
