// A memory cgroup (v1, as on the bench machine) around one runner process and every child it starts: the peak
// the kernel charges, which is what a pod's memory limit is checked against (page cache included).
import { existsSync, mkdirSync, readFileSync, rmdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

const ROOT = '/sys/fs/cgroup/memory';

export interface MemoryGroup {
  /** The directory the runner child writes its pid into (SAFEHOLD_BENCH_CGROUP). */
  readonly dir: string;
  /** Peak bytes charged (memory.max_usage_in_bytes) and the peak RSS part of it is not recorded by v1: see stat. */
  peakBytes(): number;
  /** memory.stat now: total_cache, total_rss (anonymous memory, what cannot be reclaimed without swap)… */
  stat(): Record<string, number>;
  /** Times the group reached its limit (memory.failcnt: the kernel reclaimed page cache to stay under it). */
  limitHits(): number;
  /** Processes the kernel's OOM killer ended inside the group (memory.oom_control oom_kill; 0 where not reported). */
  oomKills(): number;
  remove(): void;
}

/**
 * A fresh group, or undefined where cgroup v1's memory controller is not writable (the bench then reports RSS only).
 * With `limitBytes` the group is held to it (memory.limit_in_bytes), as a pod is to its memory limit.
 */
export function memoryGroup(name: string, limitBytes?: number): MemoryGroup | undefined {
  if (!existsSync(join(ROOT, 'cgroup.procs'))) return undefined;
  const dir = join(ROOT, name);
  try {
    mkdirSync(dir);
  } catch {
    return undefined;
  }
  try {
    // Charges move with the process (anonymous and file pages): the imports before it joins count too.
    writeFileSync(join(dir, 'memory.move_charge_at_immigrate'), '3');
  } catch {
    // Refused by kernels that deprecate it (EINVAL): the runner's memory from before it joined (its imports,
    // ~65 MiB: its own VmHWM is reported beside) is then charged elsewhere; every child's is inside.
  }
  if (limitBytes) writeFileSync(join(dir, 'memory.limit_in_bytes'), String(limitBytes));
  const read = (f: string) => readFileSync(join(dir, f), 'utf8');
  return {
    dir,
    limitHits: () => Number(read('memory.failcnt')),
    oomKills: () => Number(/^oom_kill (\d+)$/m.exec(read('memory.oom_control'))?.[1] ?? 0),
    peakBytes: () => Number(readFileSync(join(dir, 'memory.max_usage_in_bytes'), 'utf8')),
    stat: () =>
      Object.fromEntries(
        readFileSync(join(dir, 'memory.stat'), 'utf8')
          .trim()
          .split('\n')
          .map((l) => {
            const [k, v] = l.split(' ');
            return [k!, Number(v)];
          }),
      ),
    remove: () => {
      try {
        rmdirSync(dir);
      } catch {
        // A process still inside (should not happen: the runner has exited); left for the next boot.
      }
    },
  };
}
