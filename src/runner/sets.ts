// Backup sets: one id per run, components stored as tagged snapshots, a manifest stored last.
import { randomBytes } from 'node:crypto';
import { appTag, resticHost } from '../contract/layout.js';
import type { Component } from '../values/components.js';
import type { Values } from '../values/schema.js';
import type { Snapshot } from './restic/client.js';
import { byTime, compareText } from './restic/time-order.js';

export const TAG_SAFEHOLD = 'safehold';
export const TAG_MANIFEST = 'manifest';
export const STATUS_GOOD = 'status=good';
export const STATUS_SUSPICIOUS = 'status=suspicious';
/** A copy of the live data a restore took before changing it: restorable by id, never `latest`, never counted by retention. */
export const STATUS_SAFETY = 'status=safety';
export const MANIFEST_FILE = 'manifest.json';

export interface ComponentRecord {
  readonly name: string;
  readonly type: string;
  readonly snapshotId: string;
  readonly fileName: string;
  readonly bytes: number;
  readonly sha256: string;
  readonly durationMs: number;
  readonly clientVersion?: string;
  readonly serverVersion?: string;
  /** For kubernetes/files components: what was stored. */
  readonly items?: readonly string[];
  /** Database components: what the database needs to exist again (properties, roles/accounts), its own stream. */
  readonly globals?: GlobalsRecord;
  /** Server components: where the data was read from (a clone refuses to write there: runner/clones/plan.ts). */
  readonly source?: { readonly host: string; readonly port: number; readonly database?: string };
  /** Whole-server components (databases:): one stream per database and the server's roles/accounts (components/server/). */
  readonly server?: ServerRecord;
}

/** Where a component's data lives, as a manifest records it (no credentials). */
export function sourceOf(c: Component | undefined): ComponentRecord['source'] {
  if (!c || !('host' in c) || !('port' in c)) return undefined;
  return { host: c.host, port: c.port, ...('database' in c && c.database !== undefined ? { database: c.database } : {}) };
}

/** The top record's snapshotId/fileName/sha256 are the server globals (JSON); its bytes are those of every stream. */
export interface ServerRecord {
  /** Roles, memberships and tablespaces (PostgreSQL) or accounts and grants (MariaDB): what restore creates where missing. */
  readonly globals: GlobalsRecord;
  /** PostgreSQL: the same globals as a psql script (what pg_dumpall --globals-only prints), for restores without safehold. */
  readonly sql?: GlobalsRecord;
  /** One record per database, as a single-database component of the same server would have stored it. */
  readonly databases: readonly DatabaseRecord[];
}

export type DatabaseRecord = ComponentRecord & { readonly database: string };

export interface GlobalsRecord {
  readonly snapshotId: string;
  readonly fileName: string;
  readonly sha256: string;
  readonly bytes: number;
}

export interface Manifest {
  readonly format: 'safehold.backup-set/v1';
  readonly setId: string;
  readonly app: string;
  readonly safeholdVersion: string;
  readonly startedAt: string;
  readonly finishedAt: string;
  readonly status: 'good' | 'suspicious' | 'safety';
  readonly suspicious: readonly string[];
  readonly components: readonly ComponentRecord[];
  /** Hook outputs stored with the set (AtlasDB timestamps), by name, as UTF-8 text. */
  readonly artifacts: Readonly<Record<string, string>>;
}

export interface BackupSet {
  readonly id: string;
  readonly time: string;
  readonly snapshots: readonly Snapshot[];
  readonly manifestSnapshot?: Snapshot;
  readonly status: 'good' | 'suspicious' | 'safety' | 'incomplete';
}

/** A sortable, readable set id: 20261122-003000-a1b2c3. */
export function newSetId(now = new Date()): string {
  const iso = now
    .toISOString()
    .replace(/[-:]/g, '')
    .replace(/\.\d+Z$/, '');
  return `${iso.slice(0, 8)}-${iso.slice(9, 15)}-${randomBytes(3).toString('hex')}`;
}

export const setTag = (id: string) => `set=${id}`;
/** Each stream's size rides on the manifest snapshot's tags, so the next run compares without reading the manifest. */
export const sizeTag = (component: string, bytes: number) => `size:${component}=${bytes}`;

export function sizesFromTags(manifest: Snapshot): Map<string, number> {
  const out = new Map<string, number>();
  for (const t of manifest.tags ?? []) {
    const m = /^size:([a-z0-9-]+)=(\d+)$/.exec(t);
    if (m) out.set(m[1], Number(m[2]));
  }
  return out;
}
export const componentTag = (name: string) => `component=${name}`;

export function baseFilter(v: Values) {
  return { host: resticHost(v), tags: [TAG_SAFEHOLD, appTag(v)] };
}

export function tagValue(s: Snapshot, key: string): string | undefined {
  return s.tags?.find((t) => t.startsWith(`${key}=`))?.slice(key.length + 1);
}

/** Groups an application's snapshots into sets, oldest first. */
export function groupSets(snapshots: readonly Snapshot[]): BackupSet[] {
  const by = new Map<string, Snapshot[]>();
  for (const s of snapshots) {
    const id = tagValue(s, 'set');
    if (!id) continue;
    const list = by.get(id);
    // Appended in place: copying the list per snapshot made grouping quadratic in a set's size.
    if (list) list.push(s);
    else by.set(id, [s]);
  }
  const sets = [...by.entries()].map(([id, snaps]): BackupSet => {
    const manifest = snaps.find((s) => s.tags?.includes(TAG_MANIFEST));
    const status: BackupSet['status'] = !manifest
      ? 'incomplete'
      : manifest.tags?.includes(STATUS_GOOD)
        ? 'good'
        : manifest.tags?.includes(STATUS_SAFETY)
          ? 'safety'
          : 'suspicious';
    return { id, time: (manifest ?? snaps[0]).time, snapshots: snaps, manifestSnapshot: manifest, status };
  });
  return byTime(sets, (a, b) => compareText(a.id, b.id));
}

/** The set a restore request names: the newest good one for `latest`, else the given id (complete only). */
export function pickSet(sets: readonly BackupSet[], wanted: string): BackupSet | undefined {
  if (wanted === 'latest') return [...sets].reverse().find((s) => s.status === 'good');
  return sets.find((s) => s.id === wanted && s.status !== 'incomplete');
}
