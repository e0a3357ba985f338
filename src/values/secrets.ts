// Secret references: values files name Secrets, never hold credentials.
import { z } from 'zod';
import { dnsSubdomain } from './formats.js';

const secretKey = z.string().regex(/^[-._a-zA-Z0-9]+$/, 'must be a Secret data key ([-._a-zA-Z0-9]+)');

/** `{ secretName, key }` with a default key. */
export const secretKeyRef = (defaultKey: string) =>
  z.strictObject({ secretName: dnsSubdomain, key: secretKey.default(defaultKey) });
export type SecretKeyRef = z.output<ReturnType<typeof secretKeyRef>>;

/** Database login: one Secret with a username and a password key. */
export const loginRef = z.strictObject({
  secretName: dnsSubdomain,
  usernameKey: secretKey.default('username'),
  passwordKey: secretKey.default('password'),
});
export type LoginRef = z.output<typeof loginRef>;

/** Password-only login (Redis). */
export const passwordRef = z.strictObject({ secretName: dnsSubdomain, passwordKey: secretKey.default('password') });

export const s3CredentialsRef = z.strictObject({
  secretName: dnsSubdomain,
  accessKeyIdKey: secretKey.default('AWS_ACCESS_KEY_ID'),
  secretAccessKeyKey: secretKey.default('AWS_SECRET_ACCESS_KEY'),
});

/** Secrets safehold may emit for the user: an ExternalSecret or a SealedSecret, never a plain Secret. */
export const emittedSecret = z.strictObject({
  name: dnsSubdomain,
  externalSecret: z
    .strictObject({
      secretStore: z.strictObject({ name: dnsSubdomain, kind: z.enum(['SecretStore', 'ClusterSecretStore']).default('SecretStore') }),
      refreshInterval: z.string().default('1h'),
      data: z
        .array(z.strictObject({ secretKey, remoteKey: z.string().min(1), property: z.string().optional() }))
        .min(1),
    })
    .optional(),
  sealedSecret: z
    .strictObject({
      encryptedData: z.record(secretKey, z.string().regex(/^[A-Za-z0-9+/=]{16,}$/, 'must be kubeseal output (base64)')),
    })
    .optional(),
});

/** Keys whose scalar value can only be a credential. */
const CREDENTIAL_KEY = /^(password|passwd|pwd|pass|token|secret|apikey|api[-_]key|accesskey|access[-_]key|access[-_]key[-_]id|accesskeyid|secretaccesskey|secret[-_]access[-_]key|aws[-_]secret[-_]access[-_]key|aws[-_]access[-_]key[-_]id|privatekey|private[-_]key|credentials|auth|authorization|bearer)$/i;
/** A URL with a password in it: scheme://user:pass@host. */
const URL_WITH_PASSWORD = /^[a-z][a-z0-9+.-]*:\/\/[^/\s:@]+:[^/\s@]+@/i;
/** Header names and URL query parameters that carry credentials (Authorization, X-Vault-Token, PRIVATE-TOKEN, ?access_token=). */
const SENSITIVE_NAME = /(auth|token|key|secret|cookie|session|passw|signature)/i;

function urlWithCredentialQuery(v: string): boolean {
  if (!/^https?:\/\//i.test(v)) return false;
  try {
    return [...new URL(v).searchParams].some(([name, value]) => value !== '' && SENSITIVE_NAME.test(name));
  } catch {
    return false;
  }
}

const URL_MESSAGE = 'a URL must not carry a password or token; put the credential in a Secret and reference it (http hooks: headers from secrets)';

export interface InlineSecret {
  readonly path: (string | number)[];
  readonly message: string;
}

/** Finds credentials written inline anywhere in a parsed values document. */
export function findInlineSecrets(doc: unknown, path: (string | number)[] = []): InlineSecret[] {
  const out: InlineSecret[] = [];
  // A string anywhere, list elements included (a hook's command line): no URL with a password or token.
  if (typeof doc === 'string') {
    if (URL_WITH_PASSWORD.test(doc) || urlWithCredentialQuery(doc)) out.push({ path, message: URL_MESSAGE });
  } else if (Array.isArray(doc)) {
    doc.forEach((v, i) => out.push(...findInlineSecrets(v, [...path, i])));
  } else if (doc && typeof doc === 'object') {
    for (const [k, v] of Object.entries(doc)) {
      const here = [...path, k];
      // kubeseal output: keys are Secret keys (often "password"), values are ciphertext.
      if (k === 'encryptedData' && path[path.length - 1] === 'sealedSecret') continue;
      const scalar = typeof v === 'string' || typeof v === 'number';
      // headers: { Name: "literal" } or { Name: { value: "literal" } } for a credential-bearing header name.
      const headerName = path[path.length - 1] === 'headers' ? k : path[path.length - 2] === 'headers' && k === 'value' ? String(path[path.length - 1]) : undefined;
      const isHeaderValue = headerName !== undefined && SENSITIVE_NAME.test(headerName) && typeof v === 'string';
      if ((scalar && CREDENTIAL_KEY.test(k)) || isHeaderValue) {
        out.push({
          path: here,
          message: `a credential must not be written in a values file; reference a Secret instead, e.g. ${k}: { secretName: my-secret, key: ${k} }`,
        });
      } else {
        out.push(...findInlineSecrets(v, here));
      }
    }
  }
  return out;
}
