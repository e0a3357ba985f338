// Secret references: values files name Secrets, never hold credentials.
import { z } from 'zod';
import { credentialsInArgv, credentialsInText, isCredentialName, SENSITIVE_NAME, type CredentialKind } from './credential-patterns.js';
import { dnsSubdomain } from './formats.js';
import { formatSecretHint, secretHintFor } from './secret-hints.js';

export const secretKey = z.string().regex(/^[-._a-zA-Z0-9]+$/, 'must be a Secret data key ([-._a-zA-Z0-9]+)');

/** `{ secretName, key }` with a default key. */
export const secretKeyRef = (defaultKey: string) => z.strictObject({ secretName: dnsSubdomain, key: secretKey.default(defaultKey) });
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
      data: z.array(z.strictObject({ secretKey, remoteKey: z.string().min(1), property: z.string().optional() })).min(1),
    })
    .optional(),
  sealedSecret: z
    .strictObject({
      encryptedData: z.record(secretKey, z.string().regex(/^[A-Za-z0-9+/=]{16,}$/, 'must be kubeseal output (base64)')),
    })
    .optional(),
});

/** Keys whose scalar value can only be a credential. */
const CREDENTIAL_KEY =
  /^(password|passwd|pwd|pass|token|secret|apikey|api[-_]key|accesskey|access[-_]key|access[-_]key[-_]id|accesskeyid|secretaccesskey|secret[-_]access[-_]key|aws[-_]secret[-_]access[-_]key|aws[-_]access[-_]key[-_]id|privatekey|private[-_]key|credentials|auth|authorization|bearer)$/i;

export interface InlineSecret {
  readonly path: (string | number)[];
  readonly kind: CredentialKind;
  readonly message: string;
}

/** Fields whose text is the user's own data, never a credential: kubeseal ciphertext, ExternalSecret remote keys. */
function exempt(path: readonly (string | number)[], key: string | number): boolean {
  return (key === 'encryptedData' && path[path.length - 1] === 'sealedSecret') || (key === 'remoteKey' && path.includes('externalSecret'));
}

/**
 * Finds credentials written inline anywhere in a parsed values document: fields named like a
 * credential, credential-bearing header values, and inside every string (lists included) URLs
 * with passwords or tokens, NAME=secret assignments, header lines, `-p<password>`, cloud keys.
 * Each finding says which Secret reference to write instead.
 */
export function findInlineSecrets(doc: unknown): InlineSecret[] {
  const out: InlineSecret[] = [];
  const report = (path: (string | number)[], kind: CredentialKind, what: string) => {
    const hint = formatSecretHint(secretHintFor(doc, path));
    out.push({ path, kind, message: `${what} must not be written in a values file (it would reach the ConfigMap, argv and logs); ${hint}` });
  };
  const walk = (x: unknown, path: (string | number)[]) => {
    if (typeof x === 'string') {
      const found = credentialsInText(x);
      if (found.length) report(path, found[0].kind, found.map((f) => f.what).join(' and '));
      return;
    }
    if (Array.isArray(x)) {
      const inArgv = new Map(credentialsInArgv(x).map((f) => [f.index, f]));
      x.forEach((v, i) => {
        const f = inArgv.get(i);
        if (f && !credentialsInText(String(v)).length) report([...path, i], f.kind, f.what);
        else walk(v, [...path, i]);
      });
      return;
    }
    if (!x || typeof x !== 'object') return;
    // extraEnv: [{ name: DB_PASSWORD, value: literal }] — the name says what the value is.
    const env = x as { name?: unknown; value?: unknown };
    if (path[path.length - 2] === 'extraEnv' && typeof env.name === 'string' && typeof env.value === 'string' && env.value && isCredentialName(env.name)) {
      report([...path, 'value'], 'credential-field', `a credential ("${env.name}")`);
      return;
    }
    for (const [k, v] of Object.entries(x)) {
      const here = [...path, k];
      if (exempt(path, k)) continue;
      const scalar = typeof v === 'string' || typeof v === 'number';
      // headers: { Name: "literal" } or { Name: { value: "literal" } } for a credential-bearing header name.
      const headerName =
        path[path.length - 1] === 'headers' ? k : path[path.length - 2] === 'headers' && k === 'value' ? String(path[path.length - 1]) : undefined;
      if (headerName !== undefined && SENSITIVE_NAME.test(headerName) && typeof v === 'string') report(here, 'header', `the "${headerName}" header value`);
      else if (scalar && (CREDENTIAL_KEY.test(k) || (path[path.length - 1] === 'env' && isCredentialName(k))))
        report(here, 'credential-field', `a credential ("${k}")`);
      else walk(v, here);
    }
  };
  walk(doc, []);
  return out;
}
