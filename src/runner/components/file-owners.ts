// Owners and modes of a files component: what the stored tree says, what a restore by this process can keep.
//
// restic restores modes always, and owners only when it may chown: as root, or for files that already belong to
// the process's user. As any other user it drops the lchown error silently (like `cp -a`), so every restored file
// would belong to the runner. The runner says so instead: in the plan, in the log, and by comparing afterwards.
import { lstatSync } from 'node:fs';
import { join, relative } from 'node:path';

/** A node of `restic ls --json` with the metadata a restore should keep. */
export interface OwnedNode {
  readonly type: string;
  readonly path: string;
  readonly uid?: number;
  readonly gid?: number;
  /** Go's os.FileMode: permission bits in the low 9 bits. */
  readonly mode?: number;
}

/** The process's user; undefined where there is none (not POSIX). */
export const runnerUid = (): number | undefined => process.geteuid?.();

const under = (n: OwnedNode, roots: readonly string[]) => roots.some((r) => n.path === r || n.path.startsWith(`${r}/`));

/**
 * Why stored owners under `roots` (the backed-up paths; restic also stores their parents) cannot be kept by a
 * restore running as `uid`, or undefined when they can (root, or every node already belongs to `uid`). Pure.
 */
export function ownersLost(nodes: readonly OwnedNode[], uid: number | undefined, roots: readonly string[]): string | undefined {
  if (uid === undefined || uid === 0) return undefined;
  const others = nodes.filter((n) => under(n, roots) && n.uid !== undefined && n.uid !== uid);
  if (!others.length) return undefined;
  const uids = [...new Set(others.map((n) => n.uid))].sort((a, b) => a! - b!).join(', ');
  return `${others.length} stored file(s) belong to uid ${uids}, but the runner runs as uid ${uid} and cannot chown: they will be restored as uid ${uid} (modes are kept). Restores keep owners only when the runner runs as the files' owner (podSecurityContext.runAsUser) or as root`;
}

/** Restored files whose owner or permission bits differ from the stored ones, at most `limit` (relative paths). */
export function metadataMismatches(nodes: readonly OwnedNode[], root: string, dest: string, limit = 5): { count: number; examples: string[] } {
  const examples: string[] = [];
  let count = 0;
  for (const n of nodes) {
    if (!under(n, [root])) continue;
    const rel = relative(root, n.path);
    if (!rel || n.type === 'symlink') continue;
    let st;
    try {
      st = lstatSync(join(dest, rel));
    } catch {
      continue;
    }
    const diffs = [
      n.uid !== undefined && st.uid !== n.uid ? `uid ${st.uid}, stored ${n.uid}` : '',
      n.gid !== undefined && st.gid !== n.gid ? `gid ${st.gid}, stored ${n.gid}` : '',
      n.mode !== undefined && (st.mode & 0o777) !== (n.mode & 0o777) ? `mode ${(st.mode & 0o777).toString(8)}, stored ${(n.mode & 0o777).toString(8)}` : '',
    ].filter(Boolean);
    if (!diffs.length) continue;
    count++;
    if (examples.length < limit) examples.push(`${rel} (${diffs.join(', ')})`);
  }
  return { count, examples };
}
