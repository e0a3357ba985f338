// TLS of database connections: the CA bundle and the client certificate as Secret references, never inline.
import { z } from 'zod';
import { dnsSubdomain } from './formats.js';
import { secretKey, secretKeyRef } from './secrets.js';

/** A client certificate and its key in one Secret: the keys of a kubernetes.io/tls Secret (cert-manager writes these). */
export const clientCertRef = z.strictObject({
  secretName: dnsSubdomain,
  certKey: secretKey.default('tls.crt'),
  keyKey: secretKey.default('tls.key'),
});
export type ClientCertRef = z.output<typeof clientCertRef>;

export const databaseTls = z.strictObject({
  /** CA bundle that signed the server's certificate: needed by sslMode verify-ca / verify-full. */
  caCert: secretKeyRef('ca.crt').optional(),
  /** Client certificate authentication (CockroachDB's usual login; PostgreSQL `cert`, MariaDB `REQUIRE X509`). */
  clientCert: clientCertRef.optional(),
});
export type DatabaseTls = z.output<typeof databaseTls>;

/** sslMode values that check the server's certificate against a CA. */
export const VERIFYING_SSL_MODES: readonly string[] = ['verify-ca', 'verify-full'];

/** A verifying sslMode with no CA to verify against can never connect in a pod (libpq would look for ~/.postgresql/root.crt). */
export function tlsIssues(
  components: ReadonlyArray<{ type: string; sslMode?: string; tls?: DatabaseTls }>,
): Array<{ path: (string | number)[]; message: string }> {
  return components.flatMap((c, i) =>
    c.sslMode && VERIFYING_SSL_MODES.includes(c.sslMode) && !c.tls?.caCert
      ? [
          {
            path: ['components', i, 'tls', 'caCert'],
            message: `sslMode ${c.sslMode} checks the server's certificate against a CA: set tls.caCert: { secretName: <Secret with the CA bundle>, key: ca.crt } (or a weaker sslMode such as require)`,
          },
        ]
      : [],
  );
}
