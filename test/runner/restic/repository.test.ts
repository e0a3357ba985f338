// S3 without static keys (issue 13): the runner hands restic the platform's identity environment and reads no key Secret.
// No STS or metadata server runs on this machine: what restic does with these variables is not exercised here.
import { mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { identityEnv, repoAccess } from '../../../src/runner/restic/repository.js';
import { SecretStore } from '../../../src/runner/secrets.js';
import { parseValues } from '../../../src/values/load.js';

function secrets(files: Record<string, string>): SecretStore {
  const dir = mkdtempSync(join(tmpdir(), 'secrets-'));
  for (const [path, value] of Object.entries(files)) {
    mkdirSync(join(dir, path, '..'), { recursive: true });
    writeFileSync(join(dir, path), value);
  }
  return new SecretStore(dir);
}

const repository = (credentials: string) =>
  parseValues(
    `name: shop\nnamespace: prod\nschedule: "0 2 * * *"\nrepository:\n  s3: { endpoint: "https://s3.eu-central-1.amazonaws.com", bucket: backups, region: eu-central-1${credentials} }\n  password: { secretName: restic }\ncomponents:\n  - { name: db, type: postgres, host: pg, database: shop, credentials: { secretName: db } }\n`,
    'shop.yaml',
  ).repository;

const PLATFORM = {
  AWS_WEB_IDENTITY_TOKEN_FILE: '/var/run/secrets/eks.amazonaws.com/serviceaccount/token',
  AWS_ROLE_ARN: 'arn:aws:iam::123456789012:role/shop-backup',
  AWS_CONTAINER_CREDENTIALS_FULL_URI: 'http://169.254.170.23/v1/credentials',
  AWS_CONTAINER_AUTHORIZATION_TOKEN_FILE: '/var/run/secrets/pods.eks.amazonaws.com/serviceaccount/eks-pod-identity-token',
  PATH: '/usr/bin',
  UNRELATED: 'x',
};

describe('repoAccess and workload identity', () => {
  it('without credentials: no static keys, the identity variables the platform injected are passed on', () => {
    const store = secrets({ 'restic/password': 'pw' });
    const access = repoAccess(repository(''), store, '/tmp/scratch', 'backup', PLATFORM);
    expect(access.env.AWS_ACCESS_KEY_ID).toBeUndefined();
    expect(access.env.AWS_SECRET_ACCESS_KEY).toBeUndefined();
    expect(access.env).toMatchObject({
      AWS_WEB_IDENTITY_TOKEN_FILE: PLATFORM.AWS_WEB_IDENTITY_TOKEN_FILE,
      AWS_ROLE_ARN: PLATFORM.AWS_ROLE_ARN,
      AWS_CONTAINER_CREDENTIALS_FULL_URI: PLATFORM.AWS_CONTAINER_CREDENTIALS_FULL_URI,
      AWS_CONTAINER_AUTHORIZATION_TOKEN_FILE: PLATFORM.AWS_CONTAINER_AUTHORIZATION_TOKEN_FILE,
      AWS_DEFAULT_REGION: 'eu-central-1',
    });
    expect(access.env.UNRELATED).toBeUndefined();
    expect(identityEnv({})).toEqual({});
  });

  it('with credentials: the keys come from the mounted Secret', () => {
    const store = secrets({ 'restic/password': 'pw', 's3/AWS_ACCESS_KEY_ID': 'AKIAEXAMPLE', 's3/AWS_SECRET_ACCESS_KEY': 'sekrit\n' });
    const access = repoAccess(repository(', credentials: { secretName: s3 }'), store, '/tmp/scratch', 'backup', PLATFORM);
    expect(access.env).toMatchObject({ AWS_ACCESS_KEY_ID: 'AKIAEXAMPLE', AWS_SECRET_ACCESS_KEY: 'sekrit' });
    expect(access.env.AWS_ROLE_ARN).toBeUndefined();
  });
});
