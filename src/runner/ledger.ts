// Records finished one-shot requests (restore, drop) so that the same request never runs twice.
import { existsSync, mkdirSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { dirname } from 'node:path';
import type { RunContext } from './context.js';

export interface LedgerEntry {
  readonly id: string;
  readonly finishedAt: string;
  readonly detail: string;
}

export interface Ledger {
  readonly where: string;
  get(id: string): Promise<LedgerEntry | undefined>;
  record(entry: LedgerEntry): Promise<void>;
}

/** Outside a cluster: a JSON file (written atomically). */
export class FileLedger implements Ledger {
  constructor(readonly where: string) {}

  private read(): Record<string, LedgerEntry> {
    return existsSync(this.where) ? (JSON.parse(readFileSync(this.where, 'utf8')) as Record<string, LedgerEntry>) : {};
  }

  async get(id: string) {
    return this.read()[id];
  }

  async record(entry: LedgerEntry) {
    const all = { ...this.read(), [entry.id]: entry };
    mkdirSync(dirname(this.where), { recursive: true });
    const tmp = `${this.where}.tmp`;
    writeFileSync(tmp, `${JSON.stringify(all, null, 2)}\n`);
    renameSync(tmp, this.where);
  }
}

/** In a cluster the kubernetes module provides a ConfigMap-backed ledger in the target namespace. */
let clusterLedger: ((ctx: RunContext) => Ledger) | undefined;
export function setClusterLedger(f: (ctx: RunContext) => Ledger): void {
  clusterLedger = f;
}

export function ledgerFor(ctx: RunContext): Ledger {
  return ctx.inCluster && clusterLedger ? clusterLedger(ctx) : new FileLedger(ctx.ledgerFile);
}
