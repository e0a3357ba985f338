// One interface for every database engine: pure functions that say what to run; commands do the running.
import type { ProcessSpec } from '../process/spawn.js';

/** Where a dump comes from or a restore goes: production, or a drill's scratch target. */
export interface Endpoint {
  readonly host: string;
  readonly port: number;
  /** Database name (absent for Redis). */
  readonly database?: string;
  readonly username?: string;
  /** Read from a mounted Secret at run time; goes into the child's environment only. */
  readonly password?: string;
  readonly sslMode?: string;
}

export interface VersionProbe {
  /** Prints the client tool's version. */
  readonly client: ProcessSpec;
  /** Prints the server's version. */
  readonly server: ProcessSpec;
}

export interface StreamEngine {
  readonly type: string;
  /** Flat file name of the stream inside its restic snapshot. */
  fileName(componentName: string): string;
  /** The dump process: writes the whole backup to stdout. */
  dump(e: Endpoint): ProcessSpec;
  /** Client and server version probes, to refuse a client older than the server up front. */
  versions?(e: Endpoint): VersionProbe;
  /** Reads a stored dump on stdin in the restore tool's list mode; exit 0 = readable. */
  list?(): ProcessSpec;
  /** A check of a spooled dump file where no list mode reads stdin (redis-check-rdb, SQL trailer). */
  checkFile?(file: string): ProcessSpec | 'sql-trailer';
  /** Restores from a spooled dump file into the endpoint; run in order. */
  restore(e: Endpoint, file: string, opts: { jobs: number; clean: boolean }): ProcessSpec[];
  /** Drops the endpoint's database and creates it empty. */
  recreate?(e: Endpoint): ProcessSpec[];
  /** Drops the database (the drill's cleanup, the drop-database Job). */
  drop?(e: Endpoint): ProcessSpec[];
}

/** Parsed versions: major.minor as numbers. */
export interface Version {
  readonly major: number;
  readonly minor: number;
  readonly text: string;
}
