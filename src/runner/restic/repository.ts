// Where the repository is and how restic reaches it: URL, options and environment from values + mounted secrets.
import { join } from 'node:path';
import { PVC_REPO_MOUNT, s3CredentialsFor, type Operation } from '../../contract/layout.js';
import type { Repository } from '../../values/schema.js';
import type { SecretStore } from '../secrets.js';

export interface RepoAccess {
  /** For logs and plans: the repository location without credentials. */
  readonly location: string;
  readonly globalArgs: readonly string[];
  readonly env: Readonly<Record<string, string>>;
}

/**
 * What the platform injects for workload identity (EKS IRSA and Pod Identity, ECS/container credentials, shared config):
 * handed to restic explicitly when the repository has no static keys. Values are never logged.
 */
export const IDENTITY_ENV = [
  'AWS_WEB_IDENTITY_TOKEN_FILE',
  'AWS_ROLE_ARN',
  'AWS_ROLE_SESSION_NAME',
  'AWS_CONTAINER_CREDENTIALS_FULL_URI',
  'AWS_CONTAINER_CREDENTIALS_RELATIVE_URI',
  'AWS_CONTAINER_AUTHORIZATION_TOKEN_FILE',
  'AWS_STS_REGIONAL_ENDPOINTS',
  'AWS_REGION',
  'AWS_PROFILE',
  'AWS_SHARED_CREDENTIALS_FILE',
  'AWS_CONFIG_FILE',
] as const;

export function identityEnv(platformEnv: NodeJS.ProcessEnv): Record<string, string> {
  return Object.fromEntries(IDENTITY_ENV.flatMap((k) => (platformEnv[k] ? [[k, platformEnv[k]!]] : [])));
}

/** `op: 'maintenance'` uses the protected repository's delete-capable keys; every other operation the append-only ones. */
export function repoAccess(r: Repository, secrets: SecretStore, scratchDir: string, op?: Operation, platformEnv: NodeJS.ProcessEnv = process.env): RepoAccess {
  const env: Record<string, string> = {
    RESTIC_PASSWORD_FILE: secrets.path(r.password.secretName, r.password.key),
    RESTIC_CACHE_DIR: join(scratchDir, '.cache', 'restic'),
    RESTIC_PROGRESS_FPS: '0.2',
  };
  const args: string[] = [];
  let location: string;
  if (r.s3) {
    const s3 = r.s3;
    location = `s3:${s3.endpoint}/${s3.bucket}${s3.prefix ? `/${s3.prefix}` : ''}`;
    const keys = s3CredentialsFor(r, op);
    if (keys) {
      env.AWS_ACCESS_KEY_ID = secrets.read(keys.secretName, keys.accessKeyIdKey);
      env.AWS_SECRET_ACCESS_KEY = secrets.read(keys.secretName, keys.secretAccessKeyKey);
    } else {
      // No static keys: restic's default chain (web identity token, container credentials, instance profile).
      Object.assign(env, identityEnv(platformEnv));
    }
    env.AWS_DEFAULT_REGION = s3.region;
    args.push('-o', 's3.bucket-lookup=path', '-o', `s3.region=${s3.region}`);
    if (s3.insecure) args.push('--insecure-tls');
    if (s3.caCert) args.push('--cacert', secrets.path(s3.caCert.secretName, s3.caCert.key));
  } else if (r.pvc) {
    location = join(PVC_REPO_MOUNT, r.pvc.path ?? '');
  } else {
    location = r.local!.path;
  }
  env.RESTIC_REPOSITORY = location;
  return { location, globalArgs: args, env };
}
