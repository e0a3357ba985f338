// The image's tools for the bench (restic 0.18, the PostgreSQL 17 client and server from the image's Debian release),
// from the test root filesystem (scripts/make-test-rootfs.sh): what users run, as the benches require.
import { mountRun, testRootfs } from '../../test/support/test-rootfs.js';

export interface BenchTools {
  /** The root filesystem the PostgreSQL server runs in (undefined: the host's tools and server). */
  readonly root?: string;
  /** Unmounts what was mounted for the run. */
  readonly done: () => Promise<void>;
}

/**
 * Points every SAFEHOLD_BIN_* at the image's tools (inherited by the runner and by the hand-run variants, which
 * start their programs through binaryPath) and mounts the work dir inside the root, where the launchers run.
 */
export async function useImageTools(base: string): Promise<BenchTools> {
  const image = await testRootfs();
  Object.assign(process.env, image.env);
  const unmount = await mountRun(image.root, base);
  return { root: image.root, done: unmount };
}
