// Which sets a copy run copies, and how it proves the copy holds them (pure: listings in, decisions out).
import type { Snapshot } from '../restic/client.js';
import { TAG_MANIFEST, type BackupSet, type ComponentRecord, type Manifest } from '../sets.js';

export interface CopyPlan {
  /** Good source sets newer than the copy's newest good set, not yet complete there. */
  readonly sets: readonly BackupSet[];
  /** Every stream snapshot of those sets: copied first. */
  readonly data: readonly string[];
  /** Their manifests: copied last, so an interrupted copy leaves incomplete sets there, never good ones. */
  readonly manifests: readonly string[];
  /** Source sets never copied because they are not good (suspicious, safety copies, incomplete). */
  readonly skipped: ReadonlyArray<{ id: string; status: string }>;
}

/**
 * Only good sets travel; a set the copy's retention removed is not copied back (only sets newer than
 * the copy's newest good set are candidates).
 */
export function planCopy(source: readonly BackupSet[], dest: readonly BackupSet[]): CopyPlan {
  const destGood = dest.filter((s) => s.status === 'good');
  const newest = destGood[destGood.length - 1]?.time ?? '';
  const there = new Set(destGood.map((s) => s.id));
  const sets = source.filter((s) => s.status === 'good' && !there.has(s.id) && s.time > newest);
  const skipped = source.filter((s) => s.status !== 'good' && s.time > newest).map((s) => ({ id: s.id, status: s.status }));
  return {
    sets,
    data: sets.flatMap((s) => s.snapshots.filter((x) => !x.tags?.includes(TAG_MANIFEST)).map((x) => x.id)),
    manifests: sets.map((s) => s.manifestSnapshot!.id),
    skipped,
  };
}

/** restic keeps the source snapshot's id as `original` and, with the source's chunker parameters, the same tree. */
export type CopiedSnapshot = Snapshot & { readonly original?: string; readonly tree?: string };

/** What is wrong with the copy of `set` (empty when it is whole): every snapshot there, same tree, set good. Pure. */
export function copyProblems(set: BackupSet, source: readonly CopiedSnapshot[], dest: BackupSet | undefined): string[] {
  if (!dest) return [`set ${set.id}: not in the copy after copying`];
  const problems: string[] = [];
  if (dest.status !== 'good') problems.push(`set ${set.id}: ${dest.status} in the copy`);
  const byOriginal = new Map((dest.snapshots as CopiedSnapshot[]).map((s) => [s.original ?? s.id, s]));
  for (const s of source) {
    const d = byOriginal.get(s.id);
    if (!d) problems.push(`set ${set.id}: snapshot ${s.short_id} missing in the copy`);
    else if (s.tree && d.tree !== s.tree)
      problems.push(`set ${set.id}: snapshot ${s.short_id} has tree ${d.tree?.slice(0, 8)} in the copy, ${s.tree.slice(0, 8)} in the source`);
  }
  return problems;
}

/**
 * A manifest names the source's snapshot ids; read from a copy, each becomes the id of the copy's snapshot whose
 * `original` it is (unchanged in the source repository, where snapshots have no `original`). Pure.
 */
export function manifestInCopy(m: Manifest, set: BackupSet): Manifest {
  const copied = (set.snapshots as CopiedSnapshot[]).filter((s) => s.original);
  if (!copied.length) return m;
  // restic 0.14 records short ids in backup summaries: match on the prefix.
  const id = (x: string) => copied.find((s) => s.original!.startsWith(x))?.id ?? x;
  const inCopy = (c: ComponentRecord): ComponentRecord => ({
    ...c,
    snapshotId: id(c.snapshotId),
    ...(c.globals ? { globals: { ...c.globals, snapshotId: id(c.globals.snapshotId) } } : {}),
    ...(c.server
      ? {
          server: {
            globals: { ...c.server.globals, snapshotId: id(c.server.globals.snapshotId) },
            ...(c.server.sql ? { sql: { ...c.server.sql, snapshotId: id(c.server.sql.snapshotId) } } : {}),
            databases: c.server.databases.map((d) => ({ ...inCopy(d), database: d.database })),
          },
        }
      : {}),
  });
  return { ...m, components: m.components.map(inCopy) };
}
