// Which databases of a server a `databases:` selection takes, what each one's stream is named, and which a restore
// brings back (pure).
import { createHash } from 'node:crypto';
import { SafeholdError } from '../../../errors.js';
import type { MysqlComponent, PostgresComponent } from '../../../values/components.js';
import type { ServerDatabases } from '../../../values/database-name.js';
import { SYSTEM_DATABASES, type ServerComponent } from '../../../values/server-rules.js';
import type { DatabaseRecord } from '../../sets.js';

/** Names safehold itself makes beside a database (restores, drills): never part of a backup. */
const OWN_NAMES = [/\.safehold-(restoring|previous|discard)$/, /^safehold-[0-9a-f]{16}\.safehold-/, /^safehold_drill_/i];

/** `*` any characters, `?` one; everything else literal; the whole name must match. */
export function globRegex(pattern: string): RegExp {
  const body = [...pattern].map((ch) => (ch === '*' ? '.*' : ch === '?' ? '.' : ch.replace(/[.+^${}()|[\]\\]/g, '\\$&'))).join('');
  return new RegExp(`^${body}$`, 'su');
}

export interface Selection {
  /** In the server's order (or the list's). */
  readonly databases: readonly string[];
  /** Listed by name but not on the server. */
  readonly missing: readonly string[];
}

export function selectDatabases(type: ServerComponent['type'], spec: ServerDatabases, live: readonly string[]): Selection {
  const candidates = live.filter((d) => !SYSTEM_DATABASES[type].includes(d) && !OWN_NAMES.some((r) => r.test(d)));
  if (spec === 'all') return { databases: candidates, missing: [] };
  if (Array.isArray(spec)) return { databases: spec.filter((d) => candidates.includes(d)), missing: spec.filter((d) => !candidates.includes(d)) };
  const re = globRegex(spec.match);
  return { databases: candidates.filter((d) => re.test(d) && !spec.exclude.includes(d)), missing: [] };
}

/** A flat, readable stream name per database (restic 0.18 refuses "/" in stdin file names); a hash keeps odd names apart. */
export function databaseStreamName(component: string, db: string): string {
  const slug = db.replace(/[^A-Za-z0-9_-]/g, '_').slice(0, 40);
  return slug === db ? `${component}.${db}` : `${component}.${slug}-${createHash('sha256').update(db).digest('hex').slice(0, 8)}`;
}

/** The component one database of the server is backed up and restored as: the single-database path, reused whole. */
export function databaseComponent(c: ServerComponent, db: string): PostgresComponent | MysqlComponent {
  return { ...c, name: databaseStreamName(c.name, db), database: db, databases: undefined, passwords: c.passwords ?? false };
}

/** The databases of a set a restore brings back: all, or those restore.databases names (each must be in the set). */
export function chooseRestored(component: string, stored: readonly DatabaseRecord[], wanted?: readonly string[]): DatabaseRecord[] {
  if (!wanted) return [...stored];
  const missing = wanted.filter((d) => !stored.some((r) => r.database === d));
  if (missing.length)
    throw new SafeholdError(
      `restore.databases: ${missing.map((d) => `"${d}"`).join(', ')} not in component ${component} of the set (it holds ${stored.map((r) => r.database).join(', ') || 'no database'}); nothing was changed`,
    );
  return stored.filter((r) => wanted.includes(r.database));
}
