// One JSON record in a create-only object (the claim lock, the drop step): a second create fails and reads the
// record that holds it; rewrites and removals act only on the record read, never on a newer one.
import { closeSync, mkdirSync, openSync, readFileSync, renameSync, unlinkSync, writeFileSync, writeSync } from 'node:fs';
import { dirname } from 'node:path';
import { SafeholdError } from '../../errors.js';

export interface CreateOnly<T> {
  readonly where: string;
  /** Creates the object; returns undefined when created, else the record that holds it (`unreadable` if gone). */
  create(r: T, unreadable: T): Promise<T | undefined>;
  read(): Promise<T | undefined>;
  /** Rewrites the record when `mine` says the one read is this writer's; fails otherwise. */
  replace(r: T, mine: (cur: T) => boolean, who: string): Promise<void>;
  /** Removes the object when `which` says so of the record read. */
  remove(which: (cur: T) => boolean): Promise<boolean>;
}

/** Outside a cluster: a file created with O_EXCL, rewritten by rename (a reader never sees half a file). */
export class CreateOnlyFile<T> implements CreateOnly<T> {
  constructor(readonly where: string) {}

  async create(r: T, unreadable: T) {
    mkdirSync(dirname(this.where), { recursive: true });
    let fd: number;
    try {
      fd = openSync(this.where, 'wx', 0o600);
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code !== 'EEXIST') throw e;
      return (await this.read()) ?? unreadable;
    }
    try {
      writeSync(fd, `${JSON.stringify(r)}\n`);
    } finally {
      closeSync(fd);
    }
    return undefined;
  }

  async read(): Promise<T | undefined> {
    try {
      return JSON.parse(readFileSync(this.where, 'utf8')) as T;
    } catch {
      return undefined;
    }
  }

  async replace(r: T, mine: (cur: T) => boolean, who: string) {
    const cur = await this.read();
    if (!cur || !mine(cur)) throw new SafeholdError(`${this.where} is no longer held by ${who}`);
    writeFileSync(`${this.where}.tmp`, `${JSON.stringify(r)}\n`, { mode: 0o600 });
    renameSync(`${this.where}.tmp`, this.where);
  }

  async remove(which: (cur: T) => boolean) {
    const cur = await this.read();
    if (!cur || !which(cur)) return false;
    unlinkSync(this.where);
    return true;
  }
}
