// The files component: include/exclude into restic, restore in place or elsewhere, verify before writing.
import { existsSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { backup } from '../../src/runner/commands/backup.js';
import { restore } from '../../src/runner/commands/restore.js';
import { expandIncludes, lsArgs, restoreDestinations, treeDigest } from '../../src/runner/components/files.js';
import { tmpDir } from '../support/env.js';
import { makeApp } from './fixture.js';

function write(root: string, files: Record<string, string>): void {
  for (const [rel, text] of Object.entries(files)) {
    mkdirSync(join(root, rel, '..'), { recursive: true });
    writeFileSync(join(root, rel), text);
  }
}

/** A NethServer-like module state dir: state files, volumes, caches. */
async function moduleState(): Promise<string> {
  const root = await tmpDir('module');
  write(root, {
    'state/environment': 'MODULE_ID=dokuwiki1\n',
    'state/mykey.dump': 'redis-key-dump',
    'state/cache/tmp.bin': 'x'.repeat(1000),
    'volumes/dokuwiki-data/pages/start.txt': 'Hello',
    'volumes/dokuwiki-data/pages/tmp.swp': 'swap',
    'volumes/other/ignored.txt': 'not included',
    'notes.txt': 'not included',
  });
  return root;
}

describe('include patterns', () => {
  it('resolve relative to each path, glob within a segment, ** across segments, and report what matched nothing', async () => {
    const root = await moduleState();
    const r = expandIncludes([root], ['state', 'volumes/dokuwiki-*', 'state/*.dump', '**/start.txt', `${root}/notes.txt`, 'missing/*', '/elsewhere/x']);
    expect(r.files).toEqual([`${root}/notes.txt`, `${root}/state`, `${root}/volumes/dokuwiki-data`]);
    expect(r.unmatched).toEqual(['missing/*', '/elsewhere/x']);
    expect(expandIncludes([root], ['volumes/*/pages/s?art.txt']).files).toEqual([`${root}/volumes/dokuwiki-data/pages/start.txt`]);
  });

  it('restore destinations: in place, into restoreTo for one path, restoreTo/<basename> for several', () => {
    expect(restoreDestinations(['/srv/a'])).toEqual([{ root: '/srv/a', dest: '/srv/a' }]);
    expect(restoreDestinations(['/srv/a'], '/mnt/new')).toEqual([{ root: '/srv/a', dest: '/mnt/new' }]);
    expect(restoreDestinations(['/srv/a', '/srv/b'], '/mnt/new')).toEqual([
      { root: '/srv/a', dest: '/mnt/new/a' },
      { root: '/srv/b', dest: '/mnt/new/b' },
    ]);
  });
});

describe('files component', () => {
  it('backs up what include selects minus exclude, and restores it in place; files created since are left alone', async () => {
    const root = await moduleState();
    const app = await makeApp({
      values: { components: [{ name: 'state', type: 'files', paths: [root], include: ['state', 'volumes/dokuwiki-*'], exclude: ['cache', '*.swp'] }] },
    });
    const report = await backup(app.ctx());
    expect(report.status).toBe('good');
    const rec = report.components[0];
    expect(rec.fileName).toBe('3 files');
    expect(rec.items).toEqual([root]);
    const tree = treeDigest(await app.ctx().restic.run(lsArgs(rec.snapshotId)));
    const stored = tree.nodes
      .filter((n) => n.type === 'file')
      .map((n) => n.path.slice(root.length + 1))
      .sort();
    expect(stored).toEqual(['state/environment', 'state/mykey.dump', 'volumes/dokuwiki-data/pages/start.txt']);

    write(root, { 'state/environment': 'CORRUPTED', 'state/new-since-backup': 'keep me' });
    rmSync(join(root, 'volumes/dokuwiki-data'), { recursive: true });
    const plan = await restore(app.ctx(), { planOnly: true });
    expect(plan.steps.join('\n')).toContain(`${root} → ${root}: stored files overwrite existing ones`);
    await restore(app.ctx());
    expect(readFileSync(join(root, 'state/environment'), 'utf8')).toBe('MODULE_ID=dokuwiki1\n');
    expect(readFileSync(join(root, 'volumes/dokuwiki-data/pages/start.txt'), 'utf8')).toBe('Hello');
    expect(readFileSync(join(root, 'state/new-since-backup'), 'utf8')).toBe('keep me');
    expect(existsSync(join(root, 'volumes/dokuwiki-data/pages/tmp.swp'))).toBe(false);
    expect(readFileSync(join(root, 'state/cache/tmp.bin'), 'utf8')).toHaveLength(1000);
    expect((await import('node:fs')).readdirSync(root).filter((f) => f.startsWith('.safehold'))).toEqual([]);
  });

  it('restores into another place (restoreTo), one directory per path when there are several', async () => {
    const a = await moduleState();
    const b = await tmpDir('second');
    write(b, { 'conf/app.ini': '[app]\n' });
    const target = await tmpDir('target');
    const app = await makeApp({ values: { components: [{ name: 'vols', type: 'files', paths: [a, b], exclude: ['cache'], restoreTo: target }] } });
    await backup(app.ctx());
    await restore(app.ctx());
    const base = (p: string) => p.split('/').pop()!;
    expect(readFileSync(join(target, base(a), 'state/mykey.dump'), 'utf8')).toBe('redis-key-dump');
    expect(readFileSync(join(target, base(b), 'conf/app.ini'), 'utf8')).toBe('[app]\n');
    expect(existsSync(join(target, base(a), 'state/cache'))).toBe(false);
  });

  it('include patterns that match nothing fail the backup (no empty set counts as good)', async () => {
    const root = await moduleState();
    const app = await makeApp({ values: { components: [{ name: 'state', type: 'files', paths: [root], include: ['nothing-here/*'] }] } });
    await expect(backup(app.ctx())).rejects.toThrow(/include patterns match nothing under/);
  });

  it('verifies every component before writing: a missing files snapshot stops the restore with nothing changed', async () => {
    const a = await moduleState();
    const b = await moduleState();
    const app = await makeApp({
      values: {
        components: [
          { name: 'first', type: 'files', paths: [a] },
          { name: 'second', type: 'files', paths: [b] },
        ],
      },
    });
    const report = await backup(app.ctx());
    await app.ctx().restic.forgetIds([report.components[1].snapshotId]);
    write(a, { 'state/environment': 'CHANGED' });
    await expect(restore(app.ctx())).rejects.toThrow(/^second: snapshot [0-9a-f]+ does not hold the file tree its manifest recorded; nothing was changed$/);
    expect(readFileSync(join(a, 'state/environment'), 'utf8')).toBe('CHANGED');
  });
});
