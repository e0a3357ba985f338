// How one component type is backed up and restored; stream engines share one handler (stream.ts).
import type { Component } from '../../values/components.js';
import type { RunContext } from '../context.js';
import type { ComponentRecord } from '../sets.js';
import type { Staged } from './pg-swap.js';

export interface BackupTarget {
  readonly setId: string;
  readonly host: string;
  /** Tags every snapshot of this set carries. */
  readonly tags: readonly string[];
}

/** A component restored somewhere else than production (drills). */
export interface RestoreTarget {
  readonly host?: string;
  readonly port?: number;
  readonly database?: string;
  readonly credentials?: { secretName: string; usernameKey?: string; passwordKey: string };
  /** Kubernetes: server-side dry-run into this namespace instead of creating objects. */
  readonly dryRunNamespace?: string;
  /**
   * Literal login settings that replace the component's (a drill sidecar: its superuser, no
   * password, no TLS). A key present with `undefined` removes that setting.
   */
  readonly connection?: { readonly username?: string; readonly password?: string; readonly sslMode?: string; readonly tls?: undefined };
}

export interface ApplyOptions {
  readonly clean: boolean;
  readonly target?: RestoreTarget;
  readonly drill?: boolean;
  /** Redis: empty the target first, whatever restoreMode says (putting a safety copy back). */
  readonly flush?: boolean;
}

export interface PrepareOptions {
  /**
   * Leave the data in the repository: stage() streams it into the side database and checks it against the manifest
   * there (only where staging is all or nothing and every component of the restore is staged).
   */
  readonly stream?: boolean;
}

export interface Prepared {
  /** Verified local copy (spooled file) or other state carried from prepare to apply; none when the data streams. */
  readonly file?: string;
  readonly bytes: number;
  /** Verified data small enough to keep in memory (Kubernetes objects), for the handler that made it. */
  readonly state?: unknown;
}

export interface ComponentHandler<C extends Component = Component> {
  /**
   * How a drill may restore this component without touching production: 'dry-run' = apply()
   * honours target.dryRunNamespace (server-side dry run, nothing created); 'restore-to' = apply()
   * writes into the component's restoreTo, which the drill points at a scratch directory.
   * Stream engines need none (they restore into scratch servers); other handlers without it are
   * skipped by drills, with a note in the report.
   */
  readonly drillMode?: 'dry-run' | 'restore-to';
  backup(c: C, ctx: RunContext, t: BackupTarget): Promise<ComponentRecord>;
  /** Re-reads what was stored and checks it with the restore tool's list mode; returns a problem or undefined. */
  checkStored?(c: C, ctx: RunContext, rec: ComponentRecord): Promise<string | undefined>;
  /** Lines of the restore plan, in the order they run: what would be created, written, dropped, overwritten. */
  plan(c: C, ctx: RunContext, rec: ComponentRecord, o: { drop: boolean; target?: RestoreTarget; drill?: boolean }): string[] | Promise<string[]>;
  /** Non-destructive: fetch and verify the stored data before anything is dropped (or, streaming, only what it needs). */
  prepare(c: C, ctx: RunContext, rec: ComponentRecord, o?: PrepareOptions): Promise<Prepared>;
  /** Whether stage() can stream this component from the repository (prepare with stream: true). */
  streams?(c: C): boolean;
  /** Preconditions that refuse the restore (3scale: APIManager must be absent). */
  preconditions?(c: C, ctx: RunContext): Promise<string[]>;
  /** Drops and recreates the target database (only with dropExisting / drills), with its recorded properties. */
  recreate?(c: C, ctx: RunContext, target?: RestoreTarget, p?: Prepared): Promise<void>;
  drop?(c: C, ctx: RunContext, target?: RestoreTarget): Promise<void>;
  apply(c: C, ctx: RunContext, rec: ComponentRecord, p: Prepared, o: ApplyOptions): Promise<void>;
  /**
   * All-or-nothing restores: builds the component beside the live target and returns how to swap it in or
   * throw it away; undefined when this component is applied in place (apply() is then called).
   */
  stage?(c: C, ctx: RunContext, rec: ComponentRecord, p: Prepared, o: ApplyOptions): Promise<Staged | undefined>;
}
