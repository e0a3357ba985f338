// The `files` component: paths of mounted volumes (with include/exclude) as one restic snapshot; restored per path.
import { createHash } from 'node:crypto';
import { chmodSync, existsSync, lchownSync, lstatSync, mkdirSync, readdirSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { basename, join, relative } from 'node:path';
import { SafeholdError } from '../../errors.js';
import type { FilesComponent } from '../../values/components.js';
import type { RunContext } from '../context.js';
import { backupPathsArgs, restoreArgs } from '../restic/args.js';
import { summaryOf } from '../restic/client.js';
import { componentTag, type ComponentRecord } from '../sets.js';
import { metadataMismatches, ownersLost, runnerUid, type OwnedNode } from './file-owners.js';
import type { ComponentHandler, Prepared } from './types.js';

/** `restic ls --json <id>`: one snapshot line, then one line per node. Pure. */
export const lsArgs = (snapshotId: string): string[] => ['ls', '--json', snapshotId];

const GLOB = /[*?[]/;

function segmentRegex(seg: string): RegExp {
  let re = '';
  for (let i = 0; i < seg.length; i++) {
    const ch = seg[i];
    if (ch === '*') re += '[^/]*';
    else if (ch === '?') re += '[^/]';
    else if (ch === '[') {
      const end = seg.indexOf(']', i + 1);
      if (end < 0) re += '\\[';
      else {
        re += `[${seg
          .slice(i + 1, end)
          .replace(/^!/, '^')
          .replace(/\\/g, '\\\\')}]`;
        i = end;
      }
    } else re += ch.replace(/[.+^${}()|\\]/g, '\\$&');
  }
  return new RegExp(`^${re}$`);
}

function expandAt(dir: string, segs: readonly string[], out: Set<string>): void {
  if (!segs.length) {
    out.add(dir);
    return;
  }
  const [seg, ...rest] = segs;
  const children = () => {
    try {
      return readdirSync(dir, { withFileTypes: true });
    } catch {
      return [];
    }
  };
  if (seg === '**') {
    expandAt(dir, rest, out);
    for (const d of children()) if (d.isDirectory()) expandAt(join(dir, d.name), segs, out);
  } else if (!GLOB.test(seg)) {
    const p = join(dir, seg);
    if (existsSync(p) || lstatExists(p)) expandAt(p, rest, out);
  } else {
    const re = segmentRegex(seg);
    for (const d of children()) if (re.test(d.name)) expandAt(join(dir, d.name), rest, out);
  }
}

function lstatExists(p: string): boolean {
  try {
    lstatSync(p);
    return true;
  } catch {
    return false;
  }
}

/**
 * Include patterns, resolved the way NethServer's state-include.conf is used as restic's
 * `--files-from`: each pattern is relative to each of `paths` (or absolute inside one of them);
 * `*`, `?` and `[…]` match within one path segment, `**` any number of segments; a matched
 * directory brings its whole subtree. Returns the sorted top-most matches and the patterns that
 * matched nothing.
 */
export function expandIncludes(paths: readonly string[], include: readonly string[]): { files: string[]; unmatched: string[] } {
  const found = new Set<string>();
  const unmatched: string[] = [];
  for (const pattern of include) {
    const before = found.size;
    const hits = new Set<string>();
    for (const root of paths) {
      let rel = pattern;
      if (pattern.startsWith('/')) {
        const r = relative(root, pattern);
        if (r.startsWith('..') || r.startsWith('/')) continue;
        rel = r;
      }
      expandAt(
        root,
        rel.split('/').filter((s) => s && s !== '.'),
        hits,
      );
    }
    hits.forEach((h) => found.add(h));
    if (found.size === before && !hits.size) unmatched.push(pattern);
  }
  const sorted = [...found].sort();
  const top = sorted.filter((p) => !sorted.some((q) => q !== p && p.startsWith(`${q}/`)));
  return { files: top, unmatched };
}

interface Node extends OwnedNode {
  readonly size?: number;
  readonly struct_type?: string;
}

/** A fingerprint of a snapshot's tree (type, path and size of every node): what prepare re-checks. Pure. */
export function treeDigest(lsJson: string): { sha256: string; files: number; nodes: Node[] } {
  const nodes = lsJson
    .split('\n')
    .filter((l) => l.trim())
    .map((l) => JSON.parse(l) as Node)
    .filter((n) => n.struct_type === 'node');
  const lines = nodes.map((n) => `${n.type} ${n.path} ${n.size ?? 0}`).sort();
  return { sha256: createHash('sha256').update(lines.join('\n')).digest('hex'), files: nodes.filter((n) => n.type === 'file').length, nodes };
}

/** Where each stored root goes: back to itself, or into restoreTo (one root) / restoreTo/<basename> (several). Pure. */
export function restoreDestinations(roots: readonly string[], restoreTo?: string): Array<{ root: string; dest: string }> {
  return roots.map((root) => ({ root, dest: !restoreTo ? root : roots.length === 1 ? restoreTo : join(restoreTo, basename(root)) }));
}

/** A merged directory takes the restored one's mode, and its owner where this process may chown (root). */
function keepDirMetadata(restored: string, dest: string): void {
  const st = lstatSync(restored);
  const uid = runnerUid();
  if (uid === 0) lchownSync(dest, st.uid, st.gid);
  // Another user's mount point keeps its mode (only its owner or root may chmod it).
  if (uid === 0 || lstatSync(dest).uid === uid) chmodSync(dest, st.mode & 0o7777);
}

/** Moves a restored tree over the destination: files replace files, directories merge. */
function mergeMove(from: string, to: string): void {
  for (const d of readdirSync(from, { withFileTypes: true })) {
    const src = join(from, d.name);
    const dst = join(to, d.name);
    if (d.isDirectory() && lstatExists(dst) && lstatSync(dst).isDirectory()) {
      mergeMove(src, dst);
      keepDirMetadata(src, dst);
    } else {
      if (lstatExists(dst)) rmSync(dst, { recursive: true, force: true });
      renameSync(src, dst);
    }
  }
}

async function listing(ctx: RunContext, snapshotId: string) {
  return treeDigest(await ctx.restic.run(lsArgs(snapshotId)));
}

export const filesHandler: ComponentHandler<FilesComponent> = {
  drillMode: 'restore-to',

  async backup(c, ctx, t) {
    const started = Date.now();
    let filesFrom: string | undefined;
    if (c.include.length) {
      const { files, unmatched } = expandIncludes(c.paths, c.include);
      for (const p of unmatched) ctx.log.warn('include pattern matched nothing', { component: c.name, pattern: p });
      if (!files.length) throw new SafeholdError(`${c.name}: the include patterns match nothing under ${c.paths.join(', ')}: nothing to back up`);
      filesFrom = join(ctx.scratchDir, `files-${t.setId}-${c.name}.list`);
      writeFileSync(filesFrom, `${files.join('\n')}\n`, { mode: 0o600 });
    }
    try {
      const args = backupPathsArgs({ host: t.host, tags: [...t.tags, componentTag(c.name)], paths: filesFrom ? [] : c.paths, excludes: c.exclude, filesFrom });
      const summary = summaryOf(await ctx.restic.run(args)) as ReturnType<typeof summaryOf> & { total_files_processed?: number };
      const tree = await listing(ctx, summary.snapshot_id);
      const roots = c.paths.filter((p) => tree.nodes.some((n) => n.path === p || n.path.startsWith(`${p}/`)));
      const missing = c.paths.filter((p) => !roots.includes(p));
      if (missing.length && !c.include.length)
        throw new SafeholdError(`${c.name}: the snapshot holds nothing of ${missing.join(', ')}; a path that is not backed up cannot be restored`);
      ctx.log.info('component stored', {
        component: c.name,
        files: summary.total_files_processed ?? tree.files,
        bytes: summary.total_bytes_processed,
        snapshot: summary.snapshot_id.slice(0, 8),
        seconds: (Date.now() - started) / 1000,
      });
      return {
        name: c.name,
        type: c.type,
        snapshotId: summary.snapshot_id,
        fileName: `${tree.files} files`,
        bytes: summary.total_bytes_processed ?? 0,
        sha256: tree.sha256,
        durationMs: Date.now() - started,
        items: roots,
      };
    } finally {
      if (filesFrom) rmSync(filesFrom, { force: true });
    }
  },

  async checkStored(_c, ctx, rec) {
    try {
      const tree = await listing(ctx, rec.snapshotId);
      return tree.sha256 === rec.sha256 ? undefined : 'the stored file tree differs from what was recorded';
    } catch (e) {
      if (e instanceof SafeholdError) return `stored files are not readable: ${e.message.split('\n')[0]}`;
      throw e;
    }
  },

  async plan(c, ctx, rec) {
    const lost = ownersLost((await listing(ctx, rec.snapshotId)).nodes, runnerUid(), rec.items ?? []);
    return [
      `${c.name} (files): ${rec.fileName}, ${rec.bytes} bytes from snapshot ${rec.snapshotId.slice(0, 8)}`,
      ...restoreDestinations(rec.items ?? [], c.restoreTo).map(
        ({ root, dest }) => `${c.name}: ${root} → ${dest}: stored files overwrite existing ones; files created since the backup are left alone`,
      ),
      ...(lost ? [`${c.name}: owners NOT kept: ${lost}`] : []),
    ];
  },

  async prepare(c, ctx, rec: ComponentRecord): Promise<Prepared> {
    const tree = await listing(ctx, rec.snapshotId);
    if (tree.sha256 !== rec.sha256)
      throw new SafeholdError(`${c.name}: snapshot ${rec.snapshotId.slice(0, 8)} does not hold the file tree its manifest recorded; nothing was changed`);
    return { bytes: rec.bytes, state: tree.nodes };
  },

  async apply(c, ctx, rec, p) {
    if (!rec.items?.length) throw new SafeholdError(`${c.name}: the set records no backed-up path to restore`);
    const nodes = (p.state as Node[] | undefined) ?? (await listing(ctx, rec.snapshotId)).nodes;
    const lost = ownersLost(nodes, runnerUid(), rec.items);
    if (lost) ctx.log.warn(`owners not kept: ${lost}`, { component: c.name });
    for (const { root, dest } of restoreDestinations(rec.items ?? [], c.restoreTo)) await restoreTree(c, ctx, rec, nodes, { root, dest, includes: [root] });
  },
};

/**
 * Restores the parts `includes` (restic include patterns; the whole root by default) of one stored root into dest:
 * stored files overwrite existing ones, directories merge. Partial restores (restore.only paths) pass their paths.
 */
export async function restoreTree(
  c: FilesComponent,
  ctx: RunContext,
  rec: ComponentRecord,
  nodes: readonly OwnedNode[],
  o: { root: string; dest: string; includes: readonly string[] },
): Promise<void> {
  const { root, dest } = o;
  mkdirSync(dest, { recursive: true });
  // restic 0.14 restores the metadata of parent directories too: restore into a staging
  // directory on the destination's volume, then move the tree into place (same filesystem).
  const staging = join(dest, `.safehold-restore-${rec.snapshotId.slice(0, 12)}`);
  rmSync(staging, { recursive: true, force: true });
  try {
    await ctx.restic.run([...restoreArgs(rec.snapshotId, staging, o.includes), '--verify']);
    if (existsSync(join(staging, root))) {
      mergeMove(join(staging, root), dest);
      keepDirMetadata(join(staging, root), dest);
    }
  } finally {
    rmSync(staging, { recursive: true, force: true });
  }
  const restored = nodes.filter((n) => o.includes.some((i) => n.path === i || n.path.startsWith(`${i}/`)));
  const differ = metadataMismatches(restored, root, dest);
  if (differ.count)
    ctx.log.warn('restored files whose owner or mode differs from the stored one', {
      component: c.name,
      to: dest,
      files: differ.count,
      examples: differ.examples,
    });
  ctx.log.info('files restored', {
    component: c.name,
    from: root,
    to: dest,
    ...(o.includes.length === 1 && o.includes[0] === root ? {} : { only: o.includes }),
  });
}
