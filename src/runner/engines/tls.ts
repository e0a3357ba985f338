// TLS for database connections: which files each client tool gets (paths only; key material never in argv or logs).
// I/O: tlsFiles writes a 0600 copy of a client key (SecretStore.privateCopy); the env and argv builders are pure.
import type { DatabaseTls } from '../../values/tls.js';
import type { SecretStore } from '../secrets.js';
import type { Endpoint } from './types.js';

/** Files of an endpoint's TLS settings: a CA bundle, a client certificate and its private key (a 0600 copy). */
export interface TlsFiles {
  readonly caFile?: string;
  readonly certFile?: string;
  readonly keyFile?: string;
}

/** Resolves a component's `tls` references to mounted files; the key is copied to 0600 as libpq requires. */
export function tlsFiles(tls: DatabaseTls | undefined, secrets: SecretStore): TlsFiles | undefined {
  if (!tls?.caCert && !tls?.clientCert) return undefined;
  return {
    ...(tls.caCert ? { caFile: secrets.path(tls.caCert.secretName, tls.caCert.key) } : {}),
    ...(tls.clientCert
      ? {
          certFile: secrets.path(tls.clientCert.secretName, tls.clientCert.certKey),
          keyFile: secrets.privateCopy(tls.clientCert.secretName, tls.clientCert.keyKey),
        }
      : {}),
  };
}

/** libpq (psql, pg_dump, pg_restore; CockroachDB through psql): sslmode and the files, in the environment. */
export function pgTlsEnv(e: Endpoint): Record<string, string> {
  const env: Record<string, string> = {};
  if (e.sslMode) env.PGSSLMODE = e.sslMode;
  if (e.tls?.caFile) env.PGSSLROOTCERT = e.tls.caFile;
  if (e.tls?.certFile) env.PGSSLCERT = e.tls.certFile;
  if (e.tls?.keyFile) env.PGSSLKEY = e.tls.keyFile;
  return env;
}

/**
 * mariadb/mariadb-dump flags. sslMode absent leaves the client's default; `require` encrypts without checking
 * the certificate; `verify-full` checks it against the CA and the host name (--ssl-verify-server-cert).
 */
export function mysqlTlsArgs(e: Endpoint): string[] {
  const files = [
    ...(e.tls?.caFile ? [`--ssl-ca=${e.tls.caFile}`] : []),
    ...(e.tls?.certFile ? [`--ssl-cert=${e.tls.certFile}`] : []),
    ...(e.tls?.keyFile ? [`--ssl-key=${e.tls.keyFile}`] : []),
  ];
  switch (e.sslMode) {
    case 'disable':
      return ['--skip-ssl'];
    case 'require':
      return ['--ssl', '--skip-ssl-verify-server-cert', ...files];
    case 'verify-full':
      return ['--ssl', '--ssl-verify-server-cert', ...files];
    default:
      return files.length ? ['--ssl', ...files] : [];
  }
}

const UNTRUSTED =
  /certificate verify failed|self[- ]signed certificate|unable to get local issuer certificate|unknown ca|certificate is not trusted|tlsv1 alert unknown ca|SSL certificate (?:validation|verification) fail|certificate signature failure/i;
const WRONG_NAME =
  /does not match host name|server certificate for "[^"]*" does not match|hostname mismatch|Validation of SSL server certificate failed|IP address mismatch/i;
const NO_CA_FILE = /root certificate file "[^"]*" does not exist|could not read root certificate file/i;
const CLIENT_CERT =
  /certificate authentication failed|connection requires a valid client certificate|private key file "[^"]*" has group or world access|could not load private key|certificate required/i;

/**
 * A clear message for a TLS failure in a client tool's stderr: which component, which server, what failed
 * and which field to fix; undefined when the failure is not about TLS.
 */
export function tlsProblem(where: string, field: string, server: string, stderr: string): string | undefined {
  const first = stderr
    .split('\n')
    .find((l) => UNTRUSTED.test(l) || WRONG_NAME.test(l) || NO_CA_FILE.test(l) || CLIENT_CERT.test(l))
    ?.trim();
  if (!first) return undefined;
  if (NO_CA_FILE.test(first))
    return `${where}: no CA bundle to verify the certificate of ${server}: set ${field}.tls.caCert: { secretName: <Secret>, key: ca.crt } (${first})`;
  if (WRONG_NAME.test(first))
    return `${where}: the certificate of ${server} does not name that host: connect by a name the certificate holds (${field}.host), or use sslMode verify-ca (${first})`;
  if (UNTRUSTED.test(first))
    return `${where}: the certificate of ${server} was not trusted: ${field}.tls.caCert must hold the CA bundle that signed the server's certificate (${first})`;
  return `${where}: ${server} refused the client certificate: check ${field}.tls.clientCert (a kubernetes.io/tls Secret: tls.crt, tls.key) (${first})`;
}
