// Reads referenced Secrets from the mounted layout `<dir>/<secretName>/<key>` (contract/layout.ts).
import { existsSync, readFileSync } from 'node:fs';
import { secretFile } from '../contract/layout.js';
import { UsageError } from '../errors.js';

export class SecretStore {
  constructor(readonly dir: string) {}

  /** Path of a secret key's file; fails clearly when it is not mounted. */
  path(secretName: string, key: string): string {
    const p = secretFile(this.dir, secretName, key);
    if (!existsSync(p)) throw new UsageError(`secret ${secretName}/${key} not found at ${p} (is the Secret mounted, or --secrets-dir right?)`);
    return p;
  }

  /** A secret key's value, trailing newline removed. Never log the result. */
  read(secretName: string, key: string): string {
    return readFileSync(this.path(secretName, key), 'utf8').replace(/\r?\n$/, '');
  }
}
