// The runner as a separate process (as in a pod), so a test can signal it: its JSON log lines, its exit, its
// process tree; optionally inside a UTS namespace with its own host name (the pod name restic writes into locks).
import { spawn } from 'node:child_process';
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { bin, run } from './servers.js';

const ROOT = fileURLToPath(new URL('../..', import.meta.url));

export interface RunnerProcess {
  readonly pid: number;
  readonly lines: Array<Record<string, unknown>>;
  readonly stderr: () => string;
  /** Resolves when a log line matches, rejects after `ms` or when the runner exits first. */
  waitFor(pred: (l: Record<string, unknown>) => boolean, ms?: number): Promise<Record<string, unknown>>;
  readonly exited: Promise<{ code: number | null; signal: NodeJS.Signals | null; at: number }>;
}

/** `uid`/`gid`: run the runner as that user (as a pod's runAsUser would), the test being root. */
export function startRunner(args: string[], o: { env?: Record<string, string>; uts?: string; uid?: number; gid?: number } = {}): RunnerProcess {
  const node = [process.execPath, '--import', 'tsx', join(ROOT, 'src', 'cli.ts'), ...args];
  const [cmd, ...argv] = o.uts ? [bin('nsenter'), `--uts=${o.uts}`, '--', ...node] : node;
  const child = spawn(cmd, argv, {
    cwd: ROOT,
    env: { ...process.env, NODE_NO_WARNINGS: '1', ...o.env },
    stdio: ['ignore', 'ignore', 'pipe'],
    uid: o.uid,
    gid: o.gid,
  });
  let err = '';
  const lines: Array<Record<string, unknown>> = [];
  const waiters = new Set<() => void>();
  child.stderr.setEncoding('utf8');
  child.stderr.on('data', (d: string) => {
    err += d;
    lines.length = 0;
    for (const l of err.split('\n')) {
      try {
        lines.push(JSON.parse(l) as Record<string, unknown>);
      } catch {
        /* not a log line */
      }
    }
    for (const w of waiters) w();
  });
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null; at: number }>((resolve) => {
    child.on('close', (code, signal) => {
      if (process.env.SAFEHOLD_TEST_LOGS) process.stderr.write(err);
      resolve({ code, signal, at: Date.now() });
      for (const w of waiters) w();
    });
  });
  let done = false;
  void exited.then(() => (done = true));
  return {
    pid: child.pid!,
    lines,
    stderr: () => err,
    exited,
    waitFor(pred, ms = 60_000) {
      return new Promise((resolve, reject) => {
        const timer = setTimeout(() => finish(new Error(`no matching log line within ${ms} ms:\n${err.slice(-3000)}`)), ms);
        const check = () => {
          const hit = lines.find(pred);
          if (hit) finish(undefined, hit);
          else if (done) finish(new Error(`runner exited before a matching log line:\n${err.slice(-3000)}`));
        };
        const finish = (e?: Error, l?: Record<string, unknown>) => {
          clearTimeout(timer);
          waiters.delete(check);
          if (e) reject(e);
          else resolve(l!);
        };
        waiters.add(check);
        check();
      });
    },
  };
}

/** Every descendant of a process (children first found through /proc/<pid>/stat's parent field). */
export function descendants(pid: number): number[] {
  const parent = new Map<number, number>();
  for (const e of readdirSync('/proc')) {
    if (!/^\d+$/.test(e)) continue;
    try {
      const stat = readFileSync(`/proc/${e}/stat`, 'utf8');
      parent.set(Number(e), Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1]));
    } catch {
      /* gone */
    }
  }
  const out: number[] = [];
  const walk = (p: number) => {
    for (const [c, pp] of parent) {
      if (pp !== p) continue;
      out.push(c);
      walk(c);
    }
  };
  walk(pid);
  return out;
}

/** Resolves when a descendant's command line (NUL-separated argv, joined by spaces) matches. */
export async function untilChild(pid: number, pattern: RegExp, ms = 60_000): Promise<void> {
  const until = Date.now() + ms;
  for (;;) {
    for (const c of descendants(pid)) {
      try {
        if (pattern.test(readFileSync(`/proc/${c}/cmdline`, 'utf8').split('\0').join(' '))) return;
      } catch {
        /* gone */
      }
    }
    if (Date.now() > until) throw new Error(`no child of ${pid} matched ${pattern} within ${ms} ms`);
    await new Promise((r) => setTimeout(r, 20));
  }
}

/** Kills a process and all it started at once, as the kernel does when a container is OOM-killed. */
export function killTree(pid: number, signal: NodeJS.Signals = 'SIGKILL'): void {
  for (const p of [pid, ...descendants(pid)]) {
    try {
      process.kill(p, signal);
    } catch {
      /* gone */
    }
  }
}

/** A UTS namespace with its own host name, kept in a file for nsenter; returns the file and how to release it. */
export async function hostNamespace(file: string, name: string): Promise<{ file: string; release: () => Promise<void> }> {
  await run(bin('touch'), [file]);
  await run(bin('unshare'), [`--uts=${file}`, bin('hostname'), name]);
  return { file, release: async () => void (await run(bin('umount'), [file])) };
}
