// What an inline credential looks like inside a string or an argument list (pure: text in, findings out).

/** The kinds of inline credential the loader refuses; each names a Secret reference to write instead. */
export type CredentialKind =
  | 'credential-field'
  | 'header'
  | 'url-userinfo'
  | 'url-query'
  | 'assignment'
  | 'password-flag'
  | 'mysql-short-password'
  | 'authorization'
  | 'basic-auth-user'
  | 'cloud-key';

export interface CredentialFinding {
  readonly kind: CredentialKind;
  /** What was found, without the credential itself. */
  readonly what: string;
}

/** Names whose value can only be a credential: password, PGPASSWORD, MYSQL_PWD, api-key, AWS_SECRET_ACCESS_KEY, clientSecret… */
const CREDENTIAL_NAME = [
  /(password|passwd|passphrase)$/i,
  /(^|[-_.])(pwd|pass|token|secret|api[-_]?key|access[-_]?key|secret[-_]?key|private[-_]?key|client[-_]?secret|credentials?)$/i,
  /[a-z](Token|Secret|ApiKey|AccessKey|SecretKey|PrivateKey|Pwd)$/,
];
/** A value that references something else instead of holding the credential: $VAR, ${VAR}, {{placeholder}}, empty. */
const REFERENCE = /^(\$\{?[A-Za-z_][A-Za-z0-9_]*\}?|\{\{.*\}\}|)$/;
/** Header names and URL query parameters that carry credentials (Authorization, X-Vault-Token, PRIVATE-TOKEN, ?access_token=). */
export const SENSITIVE_NAME = /(auth|token|key|secret|cookie|session|passw|signature)/i;

/** scheme://user:pass@host, or redis://:pass@host, anywhere in a string. */
const URL_USERINFO = /\b[a-z][a-z0-9+.-]*:\/\/[^/\s:@]*:[^/\s@]+@/i;
const URL_ANYWHERE = /\bhttps?:\/\/[^\s'"<>]+/gi;
/** NAME=value, or --name=value, where NAME is a credential: PGPASSWORD=x, password=x in a libpq string, --password=x. */
const ASSIGNMENT = /(?:^|[\s;,&?'"(])(?:--?)?([A-Za-z][A-Za-z0-9_.-]*)=([^\s;,&'"]*)/g;
/** `Authorization: Bearer x`, `X-Api-Key: x` — a header line in an argument (curl -H) or a script. */
const HEADER_LINE = /(?:^|[\s'"])([A-Za-z][A-Za-z0-9-]*)\s*:\s+([^\s'"]+)/g;
/** A token after Bearer/Basic: at least 8 characters with a digit or symbol ("Bearer token" in prose is not one). */
const BEARER = /\b(Bearer|Basic|bearer)\s+(?=[A-Za-z0-9._~+/=-]*[0-9=._~+/-])[A-Za-z0-9._~+/=-]{8,}/;
/** mysql, mariadb, mysqldump, mariadb-dump, mysqladmin…: where `-pSECRET` is a password, not a port. */
const MYSQL_CLIENT = /(^|[\s/'"])(mysql|mariadb)[a-z-]*(\s|$)/i;
const MYSQL_SHORT_PASSWORD = /(?:^|\s)-p(?!\s)([^\s'"]+)/;
/** Flags whose next argument is the credential: `--password x`, `--token x`. */
const PASSWORD_FLAG = /^--?(password|passwd|pass|pwd|token|secret|api-key|apikey|access-key|secret-key|auth-token)$/i;
/** curl/wget style `-u user:pass`, `--user user:pass`, `--user=user:pass`. */
const USER_FLAG = /^(-u|--user|--proxy-user)$/;

const CLOUD_KEYS: ReadonlyArray<[RegExp, string]> = [
  [/\b(AKIA|ASIA)[0-9A-Z]{16}\b/, 'an AWS access key id'],
  [/-----BEGIN [A-Z ]*PRIVATE KEY-----/, 'a private key (a GCP service account key, TLS or SSH key)'],
  [/"type"\s*:\s*"service_account"/, 'a GCP service account key'],
  [/\bAIza[0-9A-Za-z_-]{35}\b/, 'a Google API key'],
  [/\bgh[pousr]_[A-Za-z0-9]{36}\b/, 'a GitHub token'],
  [/\bglpat-[A-Za-z0-9_-]{20}\b/, 'a GitLab token'],
  [/\bxox[abprs]-[A-Za-z0-9-]{10,}/, 'a Slack token'],
];

/** Whether a field or variable name holds a credential (password, PGPASSWORD, secretAccessKey), never a reference to one. */
export function isCredentialName(name: string): boolean {
  return CREDENTIAL_NAME.some((re) => re.test(name));
}

function urlQueryToken(url: string): string | undefined {
  try {
    const found = [...new URL(url.replace(/[).,]+$/, '')).searchParams].find(
      ([name, value]) => value !== '' && !REFERENCE.test(value) && SENSITIVE_NAME.test(name),
    );
    return found?.[0];
  } catch {
    return undefined;
  }
}

/** Credentials written inside one string: URLs, assignments, header lines, mysql -p, cloud keys. */
export function credentialsInText(text: string): CredentialFinding[] {
  const out: CredentialFinding[] = [];
  if (URL_USERINFO.test(text)) out.push({ kind: 'url-userinfo', what: 'a URL with a password (scheme://user:password@host)' });
  for (const [url] of text.matchAll(URL_ANYWHERE)) {
    const name = urlQueryToken(url);
    if (name) out.push({ kind: 'url-query', what: `a URL with a "${name}" query parameter` });
  }
  for (const [, name, value] of text.matchAll(ASSIGNMENT)) {
    if (isCredentialName(name) && !REFERENCE.test(value)) out.push({ kind: 'assignment', what: `${name}=…` });
  }
  for (const [, name, value] of text.matchAll(HEADER_LINE)) {
    if (SENSITIVE_NAME.test(name) && !REFERENCE.test(value)) out.push({ kind: 'authorization', what: `a "${name}:" header` });
  }
  if (!out.some((f) => f.kind === 'authorization') && BEARER.test(text)) out.push({ kind: 'authorization', what: 'a Bearer/Basic credential' });
  if (MYSQL_CLIENT.test(text)) {
    const m = MYSQL_SHORT_PASSWORD.exec(text);
    if (m && !REFERENCE.test(m[1])) out.push({ kind: 'mysql-short-password', what: 'a MySQL/MariaDB -p<password>' });
  }
  for (const [re, what] of CLOUD_KEYS) if (re.test(text)) out.push({ kind: 'cloud-key', what });
  return out;
}

/** Credentials an argument list carries across its elements: `--password x`, `-u user:pass`, `mysql … -pSECRET`. */
export function credentialsInArgv(argv: readonly unknown[]): Array<CredentialFinding & { readonly index: number }> {
  const out: Array<CredentialFinding & { readonly index: number }> = [];
  const strings = argv.map((a) => (typeof a === 'string' ? a : ''));
  const mysql = strings.some((s) => MYSQL_CLIENT.test(` ${s.split('/').pop()} `));
  strings.forEach((s, i) => {
    const next = strings[i + 1];
    if (PASSWORD_FLAG.test(s) && next !== undefined && !REFERENCE.test(next)) out.push({ index: i + 1, kind: 'password-flag', what: `the value of ${s}` });
    if (USER_FLAG.test(s) && next?.includes(':')) out.push({ index: i + 1, kind: 'basic-auth-user', what: `user:password after ${s}` });
    const user = /^--(user|proxy-user)=(.*:.*)$/.exec(s);
    if (user) out.push({ index: i, kind: 'basic-auth-user', what: `--${user[1]}=user:password` });
    const short = /^-p(.+)$/.exec(s);
    if (mysql && short && !REFERENCE.test(short[1])) out.push({ index: i, kind: 'mysql-short-password', what: 'a MySQL/MariaDB -p<password>' });
  });
  return out;
}
