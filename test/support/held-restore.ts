// Holds runs inside pg_restore (after their claim, before any data moves) until they are let go: two runs of one
// request then meet at the claim however the machine schedules them, and a run can be killed mid-restore.
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { servers } from './env.js';
import { tool } from './with-env.js';

export interface PgRestoreHold {
  /** The runner's environment: pg_restore is the stand-in that waits for the file `dir/go`. */
  readonly env: Record<string, string>;
  /** Lets every held run go on (call it when one run has answered); returns its argument. */
  letGo<T>(r: T): T;
}

export function holdPgRestore(dir: string): PgRestoreHold {
  const go = join(dir, 'go');
  return {
    env: { SAFEHOLD_BIN_PG_RESTORE: tool('pg-restore-waits.mjs'), SAFEHOLD_REAL_TOOL: join(servers().postgres.binDir, 'pg_restore'), WAIT_FOR_FILE: go },
    letGo: (r) => (writeFileSync(go, ''), r),
  };
}
