// Files backed up and restored as the application's user: the runner runs under a uid that is neither root nor
// the image's 65532 (as a pod's runAsUser would set it), over a tree with 0600 files; owners and modes come back
// as stored, and where a non-root runner cannot chown it says so instead of changing owners silently.
import { chmodSync, chownSync, lstatSync, mkdirSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join, relative } from 'node:path';
import { describe, expect, it } from 'vitest';
import { BINARIES, binaryEnvKey } from '../../src/runner/binaries.js';
import { servers, tmpDir } from '../support/env.js';
import { startRunner } from '../support/runner-process.js';
import { makeApp, type App } from './fixture.js';

/** The application's user: no passwd entry, as in a pod. */
const APP = 1500;
const OTHER = 1600;

function chownTree(dir: string, uid: number): void {
  chownSync(dir, uid, uid);
  for (const d of readdirSync(dir, { withFileTypes: true })) {
    if (d.isDirectory()) chownTree(join(dir, d.name), uid);
    else chownSync(join(dir, d.name), uid, uid);
  }
}

/** Every node under `root`: owner, group, permission bits and, for files, the content. */
function snapshotTree(root: string): Record<string, string> {
  const out: Record<string, string> = {};
  const walk = (p: string) => {
    const st = lstatSync(p);
    out[relative(root, p) || '.'] = `${st.uid}:${st.gid} ${(st.mode & 0o7777).toString(8)}${st.isFile() ? ` ${readFileSync(p, 'utf8')}` : ''}`;
    if (st.isDirectory()) for (const n of readdirSync(p).sort()) walk(join(p, n));
  };
  walk(root);
  return out;
}

/** A Gitea-like data volume owned by the app's user: app.ini 0600 in a 0700 dir, repositories 0640/0750. */
async function giteaVolume(): Promise<string> {
  const root = await tmpDir('gitea');
  const files: Array<[string, string, number]> = [
    ['custom/conf/app.ini', '[security]\nINTERNAL_TOKEN=not-a-real-one\n', 0o600],
    ['git/repositories/org/repo.git/HEAD', 'ref: refs/heads/main\n', 0o640],
    ['git/repositories/org/repo.git/config', '[core]\n', 0o640],
    ['log/gitea.log', 'started\n', 0o600],
  ];
  for (const [rel, text, mode] of files) {
    mkdirSync(join(root, rel, '..'), { recursive: true });
    writeFileSync(join(root, rel), text, { mode });
    chmodSync(join(root, rel), mode);
  }
  for (const [dir, mode] of [
    ['custom', 0o750],
    ['custom/conf', 0o700],
    ['git', 0o750],
    ['git/repositories', 0o750],
    ['git/repositories/org', 0o750],
    ['git/repositories/org/repo.git', 0o750],
    ['log', 0o700],
  ] as const)
    chmodSync(join(root, dir), mode);
  chownTree(root, APP);
  chmodSync(root, 0o750);
  return root;
}

/** Runs a runner command as the app's user; resolves its log lines, rejects with its stderr on a non-zero exit. */
async function runAs(app: App, uid: number, args: string[], env: Record<string, string>): Promise<Array<Record<string, unknown>>> {
  const r = startRunner([...args, '--values', app.valuesFile, '--secrets-dir', app.secretsDir, '--scratch-dir', join(app.dir, 'scratch')], {
    uid,
    gid: uid,
    env: { HOME: app.dir, ...env },
  });
  const { code } = await r.exited;
  if (code !== 0) throw new Error(`runner ${args[0]} as uid ${uid} exited ${code}:\n${r.stderr().slice(-3000)}`);
  return r.lines;
}

/** Each restic the runner meets: Debian 12's and the image's (its env set lazily: the servers are provided at run time). */
const RESTIC: Record<string, () => Record<string, string>> = {
  'restic 0.14 (Debian 12)': () => ({}),
  'restic 0.18 (the image)': () => ({ [binaryEnvKey(BINARIES.restic)]: servers().image.restic }),
};

describe.each(Object.keys(RESTIC))("files as the application's user (%s)", (label) => {
  const env = () => RESTIC[label]!();

  it(`backup and restore as uid ${APP} keep owners and modes of a tree holding 0600 files`, async () => {
    const data = await giteaVolume();
    const app = await makeApp({ values: { components: [{ name: 'data', type: 'files', paths: [data] }], restore: { snapshot: 'latest' } } });
    chownTree(app.dir, APP);
    const before = snapshotTree(data);
    expect(before['custom/conf/app.ini']).toMatch(new RegExp(`^${APP}:${APP} 600 `));

    await runAs(app, APP, ['backup'], env());
    writeFileSync(join(data, 'custom/conf/app.ini'), 'damaged');
    chmodSync(join(data, 'custom/conf/app.ini'), 0o644);
    chmodSync(join(data, 'custom/conf'), 0o755);
    rmSync(join(data, 'git'), { recursive: true });
    expect(snapshotTree(data)).not.toEqual(before);

    const lines = await runAs(app, APP, ['restore'], env());
    expect(snapshotTree(data)).toEqual(before);
    expect(lines.filter((l) => l.level === 'warn').map((l) => l.msg)).toEqual([]);
  });

  it(`restoring files of another uid as uid ${APP}: the plan and the log say the owners are not kept, and which files differ`, async () => {
    const data = await giteaVolume();
    // A file of another user the app's user may read (so the backup works), which it cannot chown back on restore.
    writeFileSync(join(data, 'log/shared.txt'), 'from the sidecar');
    chmodSync(join(data, 'log'), 0o755);
    chownSync(join(data, 'log/shared.txt'), OTHER, OTHER);
    chmodSync(join(data, 'log/shared.txt'), 0o644);
    const app = await makeApp({ values: { components: [{ name: 'data', type: 'files', paths: [data] }], restore: { snapshot: 'latest' } } });
    chownTree(app.dir, APP);
    await runAs(app, APP, ['backup'], env());
    rmSync(join(data, 'log/shared.txt'));

    const lines = await runAs(app, APP, ['restore'], env());
    const steps = (lines.find((l) => l.msg === 'restore plan')?.steps ?? []) as string[];
    expect(steps.join('\n')).toContain(
      `data: owners NOT kept: 1 stored file(s) belong to uid ${OTHER}, but the runner runs as uid ${APP} and cannot chown: they will be restored as uid ${APP} (modes are kept). Restores keep owners only when the runner runs as the files' owner (podSecurityContext.runAsUser) or as root`,
    );
    expect(lines.find((l) => l.level === 'warn' && String(l.msg).startsWith('owners not kept'))).toBeDefined();
    expect(lines.find((l) => l.msg === 'restored files whose owner or mode differs from the stored one')).toMatchObject({
      files: 1,
      examples: [`log/shared.txt (uid ${APP}, stored ${OTHER}, gid ${APP}, stored ${OTHER})`],
    });
    expect(lstatSync(join(data, 'log/shared.txt')).uid).toBe(APP);
    expect(readFileSync(join(data, 'log/shared.txt'), 'utf8')).toBe('from the sidecar');
  });
});
