// Certificates for TLS tests, made with openssl: a CA, a server certificate for 127.0.0.1/localhost, a client
// certificate, and a second CA that signed none of them (the "wrong CA").
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { bin, run } from './servers.js';

export interface TestCerts {
  readonly dir: string;
  readonly caFile: string;
  readonly wrongCaFile: string;
  readonly serverCertFile: string;
  readonly serverKeyFile: string;
  /** CN = `clientName`. */
  readonly clientCertFile: string;
  readonly clientKeyFile: string;
}

const openssl = (args: string[]) => run(bin('openssl'), args);
const ecKey = ['-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes'];

async function selfSignedCa(dir: string, name: string): Promise<{ cert: string; key: string }> {
  const [cert, key] = [join(dir, `${name}.crt`), join(dir, `${name}.key`)];
  await openssl([
    'req',
    '-x509',
    ...ecKey,
    '-keyout',
    key,
    '-out',
    cert,
    '-days',
    '30',
    '-subj',
    `/CN=${name}`,
    '-addext',
    'basicConstraints=critical,CA:TRUE',
    '-addext',
    'keyUsage=critical,keyCertSign,cRLSign',
  ]);
  return { cert, key };
}

async function signed(dir: string, name: string, ca: { cert: string; key: string }, subject: string, ext: string): Promise<{ cert: string; key: string }> {
  const [cert, key, csr, extFile] = ['crt', 'key', 'csr', 'ext'].map((x) => join(dir, `${name}.${x}`));
  await openssl(['req', '-new', ...ecKey, '-keyout', key, '-out', csr, '-subj', subject]);
  await writeFile(extFile, `${ext}\n`);
  await openssl([
    'x509',
    '-req',
    '-in',
    csr,
    '-CA',
    ca.cert,
    '-CAkey',
    ca.key,
    '-set_serial',
    String(Date.now() * 1000 + Math.floor(Math.random() * 1000)),
    '-out',
    cert,
    '-days',
    '30',
    '-extfile',
    extFile,
  ]);
  return { cert, key };
}

/** Everything a TLS test needs, in `dir`. */
export async function makeTestCerts(dir: string, clientName = 'tlsclient'): Promise<TestCerts> {
  const [ca, wrong] = await Promise.all([selfSignedCa(dir, 'test-ca'), selfSignedCa(dir, 'wrong-ca')]);
  const [server, client] = await Promise.all([
    signed(dir, 'server', ca, '/CN=localhost', 'subjectAltName=IP:127.0.0.1,DNS:localhost\nextendedKeyUsage=serverAuth'),
    signed(dir, 'client', ca, `/CN=${clientName}`, 'extendedKeyUsage=clientAuth'),
  ]);
  return {
    dir,
    caFile: ca.cert,
    wrongCaFile: wrong.cert,
    serverCertFile: server.cert,
    serverKeyFile: server.key,
    clientCertFile: client.cert,
    clientKeyFile: client.key,
  };
}
