// One interface for every database engine. The builders (fileName, dump, versions, list, checkFile, restore, recreate,
// drop) are pure: they say what to run — no I/O, no environment reads; a program is named by BINARIES and the process
// module resolves its path. restoreFromFile is the one member that does I/O, through the RestoreIO it is handed
// (Redis also opens sockets). Every engine function that does I/O is listed in docs/engines.md.
import type { Logger } from '../log.js';
import type { StreamStats } from '../process/pipe.js';
import type { ProcessSpec, Running } from '../process/spawn.js';
import type { TlsFiles } from './tls.js';

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
  /** CA bundle and client certificate files (engines/tls.ts). */
  readonly tls?: TlsFiles;
}

export interface VersionProbe {
  /** Prints the client tool's version. */
  readonly client: ProcessSpec;
  /** Prints the server's version. */
  readonly server: ProcessSpec;
  /**
   * Judges the two outputs (pure). Default: strictVerdict — refuse a client older than the server
   * (PostgreSQL's rule); engines whose tools cope with newer servers only warn.
   */
  readonly judge?: (clientOut: string, serverOut: string) => VersionVerdict;
}

/** What a version probe found: the versions to record, and a refusal or a warning. */
export interface VersionVerdict {
  readonly client?: string;
  readonly server?: string;
  /** The backup must not run: the message says why and what to do. */
  readonly refuse?: string;
  /** Logged; the backup runs. */
  readonly warn?: string;
}

export interface RestoreOptions {
  readonly jobs: number;
  /** Replace what the dump contains in a database that was not recreated. */
  readonly clean: boolean;
  /** Redis restoreMode: flush: empty the target before loading. */
  readonly flush?: boolean;
  /** Redis partial restores (restore.only): only keys matching these patterns (SCAN MATCH). */
  readonly match?: readonly string[];
  /** Redis partial restores into: side: every restored key is written under this prefix. */
  readonly keyPrefix?: string;
  /** PostgreSQL: objects owned by the restore login (restore.owners: login, drills). */
  readonly noOwner?: boolean;
  /** PostgreSQL: no GRANT/REVOKE from the dump (drills, whose scratch servers lack the roles). */
  readonly noPrivileges?: boolean;
}

/** What an engine's restoreFromFile may use: a process starter (the one process module), scratch space, a logger. */
export interface RestoreIO {
  readonly start: (spec: ProcessSpec, io?: { stdin?: 'pipe' | 'ignore'; stdout?: 'pipe' | 'ignore' }) => Running;
  /** A private directory; the engine removes what it creates there. */
  readonly scratchDir: string;
  readonly log: Logger;
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
  restore(e: Endpoint, file: string, opts: RestoreOptions): ProcessSpec[];
  /**
   * For engines whose restore is more than a list of processes (Redis: a temporary server and a
   * key-by-key copy). When present it runs instead of the restore() specs.
   */
  restoreFromFile?(e: Endpoint, file: string, opts: RestoreOptions, io: RestoreIO): Promise<void>;
  /**
   * Restores what `source` writes (restic dump), hashing it on the way; undefined when this target needs the file
   * path instead (nothing was started). Only into a database nobody uses yet (a side database): the hash is compared
   * after the load, and a mismatch throws the database away.
   */
  restoreFromStream?(e: Endpoint, source: ProcessSpec, opts: RestoreOptions, io: RestoreIO): Promise<StreamStats | undefined>;
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
