// What a whole-server restore carries from prepare to stage/apply: the server globals and each database's verified copy.
import { rmSync } from 'node:fs';
import type { MysqlComponent, PostgresComponent } from '../../../values/components.js';
import type { MysqlServerGlobals } from '../../engines/mysql-server-globals.js';
import type { PgServerGlobals } from '../../engines/pg-server-globals.js';
import type { DatabaseRecord } from '../../sets.js';
import type { Prepared } from '../types.js';

export interface DatabasePart {
  readonly rec: DatabaseRecord;
  /** The single-database component the database is restored as (select.ts databaseComponent). */
  readonly c: PostgresComponent | MysqlComponent;
  readonly p: Prepared;
}

export interface ServerPrepared {
  readonly globals: PgServerGlobals | MysqlServerGlobals | undefined;
  readonly parts: readonly DatabasePart[];
  /** Every database of the set is restored (no restore.databases): the server's roles/accounts are created too. */
  readonly all: boolean;
  /** Removes every spooled copy still on disk. */
  removeFiles(): void;
}

export function serverPrepared(globals: ServerPrepared['globals'], parts: readonly DatabasePart[], all: boolean): ServerPrepared {
  return {
    globals,
    parts,
    all,
    removeFiles: () => {
      for (const part of parts) if (part.p.file) rmSync(part.p.file, { force: true });
    },
  };
}
