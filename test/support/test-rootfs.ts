// The image's Debian release as a root filesystem (scripts/make-test-rootfs.sh): the newer server majors run
// in it with chroot, and its client tools stand in for the image's, through one launcher per tool.
import { existsSync } from 'node:fs';
import { mkdir, rmdir } from 'node:fs/promises';
import { fileURLToPath } from 'node:url';
import { join } from 'node:path';
import { BINARIES, binaryEnvKey } from '../../src/runner/binaries.js';
import { bin, run } from './servers.js';

export interface ImageTools {
  /** The cache dir of scripts/make-test-rootfs.sh. */
  dir: string;
  /** The root filesystem the newer servers run in. */
  root: string;
  /** restic 0.18, copied out of the root. */
  restic: string;
  /** SAFEHOLD_BIN_* for every program the runner starts: the root's tools (launchers) and restic 0.18. */
  env: Record<string, string>;
}

const script = fileURLToPath(new URL('../../scripts/make-test-rootfs.sh', import.meta.url));

/** Makes (or finds in its cache) the root filesystem; seconds when cached. */
export async function testRootfs(): Promise<ImageTools> {
  const out = await run('bash', [script]);
  const dir = out.trim().split('\n').pop() ?? '';
  if (!existsSync(join(dir, 'ready'))) throw new Error(`${script} printed no ready cache dir: ${out.slice(-500)}`);
  const restic = join(dir, 'restic');
  const env: Record<string, string> = {};
  for (const tool of Object.values(BINARIES)) env[binaryEnvKey(tool)] = tool === 'restic' ? restic : join(dir, 'bin', tool);
  return { dir, root: join(dir, 'root'), restic, env };
}

/**
 * Bind-mounts what a run needs inside the root: /proc, and the run's temp base at the same path (data dirs,
 * scratch dirs and sockets then have one path on both sides). Each run mounts its own /proc on top of any
 * other run's (mounts stack), so concurrent runs sharing the root unmount only their own. Returns the unmount.
 */
export async function mountRun(root: string, tmpBase: string): Promise<() => Promise<void>> {
  const inside = join(root, tmpBase);
  const mounted: string[] = [];
  const unmount = async () => {
    for (const m of mounted.splice(0).reverse()) {
      await run(bin('umount'), [m]).catch(() => run(bin('umount'), ['-l', m]));
    }
    await rmdir(inside).catch(() => undefined);
  };
  try {
    await run(bin('mount'), ['--bind', '/proc', join(root, 'proc')]);
    mounted.push(join(root, 'proc'));
    await mkdir(inside, { recursive: true });
    await run(bin('mount'), ['--bind', tmpBase, inside]);
    mounted.push(inside);
  } catch (e) {
    await unmount();
    throw e;
  }
  return unmount;
}
