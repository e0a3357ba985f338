// Where the Secret reference goes instead of an inline credential: a field that exists in the schema, with an example.
import { formatPath } from './paths.js';

type Path = ReadonlyArray<string | number>;

export interface SecretHint {
  /** Where to write the reference, as a values path; absent when no field can take the credential. */
  readonly at?: Path;
  /** The reference to write there (valid against the schema: test/values/inline-credentials.test.ts applies it). */
  readonly example?: Record<string, unknown>;
  /** Said instead of (or after) the example. */
  readonly note?: string;
}

const ref = (key: string) => ({ secretName: 'my-secret', key });

function at(doc: unknown, path: Path): unknown {
  let cur = doc;
  for (const k of path) cur = cur && typeof cur === 'object' ? (cur as Record<string | number, unknown>)[k] : undefined;
  return cur;
}

/** The hook a path is inside of: hooks.<phase>[i] or drill.checks[i].hook. */
function hookPath(path: Path): Path | undefined {
  if (path[0] === 'hooks' && typeof path[2] === 'number') return path.slice(0, 3);
  if (path[0] === 'drill' && path[1] === 'checks' && path[3] === 'hook') return path.slice(0, 4);
  return undefined;
}

function hookHint(doc: unknown, hook: Path): SecretHint {
  const type = (at(doc, hook) as { type?: unknown } | undefined)?.type;
  if (type === 'http') return { at: [...hook, 'headers'], example: { Authorization: ref('authorization') } };
  if (type === 'exec') {
    return {
      note: 'an exec hook runs in the application\'s container: use a credential that container already holds, e.g. ["sh", "-c", "mysqldump -p\\"$MYSQL_PWD\\" shop"]',
    };
  }
  return {
    at: [...hook, 'env'],
    example: { PGPASSWORD: ref('password') },
    note: 'the program reads it from its environment (PGPASSWORD, MYSQL_PWD, REDISCLI_AUTH, AWS_SECRET_ACCESS_KEY…)',
  };
}

/** The Secret reference to write instead of a credential found at `path` of the raw document. */
export function secretHintFor(doc: unknown, path: Path): SecretHint {
  const hook = hookPath(path);
  if (hook) return hookHint(doc, hook);
  if (path[0] === 'repository' && path[1] === 's3' && path[2] !== 'caCert') {
    return {
      at: ['repository', 's3', 'credentials'],
      example: { secretName: 'my-secret', accessKeyIdKey: 'AWS_ACCESS_KEY_ID', secretAccessKeyKey: 'AWS_SECRET_ACCESS_KEY' },
    };
  }
  if (path[0] === 'repository') return { at: ['repository', 'password'], example: ref('password') };
  if (path[0] === 'components' && typeof path[1] === 'number') {
    const type = (at(doc, path.slice(0, 2)) as { type?: unknown } | undefined)?.type;
    if (type === 'redis') return { at: [...path.slice(0, 2), 'credentials'], example: { secretName: 'my-secret', passwordKey: 'password' } };
    if (type === 'postgres' || type === 'mysql' || type === 'cockroachdb') {
      return { at: [...path.slice(0, 2), 'credentials'], example: { secretName: 'my-secret', usernameKey: 'username', passwordKey: 'password' } };
    }
  }
  if (path[0] === 'drill' && path[1] === 'targets' && path.length >= 3) {
    return { at: [...path.slice(0, 3), 'credentials'], example: { secretName: 'my-secret', passwordKey: 'password' } };
  }
  const envAt = path.lastIndexOf('extraEnv');
  if (envAt >= 0 && typeof path[envAt + 1] === 'number') {
    return { at: path.slice(0, envAt + 2), example: { name: 'NAME', valueFrom: { secretKeyRef: { name: 'my-secret', key: 'key' } } } };
  }
  if (path[0] === 'monitoring')
    return { note: 'safehold sends no credential to the Pushgateway: put an authenticating proxy or a NetworkPolicy in front of it' };
  return { note: 'reference a Secret with a secretName field where the schema offers one' };
}

function flow(x: unknown): string {
  if (x && typeof x === 'object')
    return `{ ${Object.entries(x)
      .map(([k, v]) => `${k}: ${flow(v)}`)
      .join(', ')} }`;
  return String(x);
}

/** `write repository.password: { secretName: my-secret, key: password } instead`, plus the note. */
export function formatSecretHint(h: SecretHint): string {
  const write = h.at && h.example ? `write ${formatPath(h.at)}: ${flow(h.example)} instead` : '';
  return [write, h.note].filter(Boolean).join('; ');
}
