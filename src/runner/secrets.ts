// Reads referenced Secrets from the mounted layout `<dir>/<secretName>/<key>` (contract/layout.ts).
import { copyFileSync, chmodSync, existsSync, mkdirSync, readFileSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { secretFile } from '../contract/layout.js';
import { UsageError } from '../errors.js';

export class SecretStore {
  private readonly copies = new Map<string, string>();

  /** `scratchDir`: where privateCopy() puts its copies (the pod's emptyDir). */
  constructor(
    readonly dir: string,
    readonly scratchDir?: string,
  ) {}

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

  /**
   * A copy of a secret key's file owned by this process with mode 0600, in a 0700 directory of the scratch
   * space: libpq refuses a private key that others may read, and a mounted Secret's files belong to root.
   * Removed when the process exits.
   */
  privateCopy(secretName: string, key: string): string {
    const from = this.path(secretName, key);
    const known = this.copies.get(from);
    if (known) return known;
    if (!this.scratchDir) throw new UsageError(`secret ${secretName}/${key}: no scratch directory to hold a private copy of it`);
    const dir = join(this.scratchDir, 'private-keys');
    mkdirSync(dir, { recursive: true, mode: 0o700 });
    const to = join(dir, `${secretName}.${key}`);
    rmSync(to, { force: true });
    copyFileSync(from, to);
    chmodSync(to, 0o600);
    if (!this.copies.size) process.once('exit', () => this.copies.forEach((p) => rmSync(p, { force: true })));
    this.copies.set(from, to);
    return to;
  }
}
