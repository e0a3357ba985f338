// Sidecar scratch servers: wait until they accept connections; stop them when the drill ends (Kubernetes 1.27 has no native sidecars).
import { readdirSync, readFileSync } from 'node:fs';
import net from 'node:net';
import { basename, join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { SafeholdError } from '../../errors.js';
import type { Component } from '../../values/components.js';
import type { Logger } from '../log.js';

function accepts(host: string, port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const s = net.connect({ host, port });
    const done = (ok: boolean) => {
      s.destroy();
      resolve(ok);
    };
    s.setTimeout(2000, () => done(false));
    s.once('connect', () => done(true));
    s.once('error', () => done(false));
  });
}

/**
 * Waits until a sidecar accepts TCP connections. The postgres and mariadb images initialize with
 * networking off and only then listen on TCP, so an open port means the real server is up.
 */
export async function waitForServer(host: string, port: number, timeoutMs: number, log: Logger, component: string): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  let announced = false;
  while (!(await accepts(host, port))) {
    if (Date.now() > deadline)
      throw new SafeholdError(
        `${component}: the sidecar scratch server at ${host}:${port} did not accept connections within ${Math.round(timeoutMs / 1000)} s`,
      );
    if (!announced) log.info('waiting for the sidecar scratch server', { component, host, port });
    announced = true;
    await sleep(500);
  }
}

/** The server programs each sidecar image runs (process names as /proc shows them). */
const SERVER_PROGRAMS: Partial<Record<Component['type'], readonly string[]>> = {
  postgres: ['postgres'],
  mysql: ['mariadbd', 'mysqld'],
  redis: ['redis-server'],
  cockroachdb: ['cockroach'],
};

export interface ProcessTable {
  readonly procDir: string;
  readonly selfPid: number;
  readonly kill: (pid: number, signal: NodeJS.Signals) => void;
}

const defaultTable: ProcessTable = { procDir: '/proc', selfPid: process.pid, kill: (pid, signal) => process.kill(pid, signal) };

/** Parent pid from /proc/<pid>/stat (the field after the parenthesized, possibly spaced, command name). */
function parentOf(procDir: string, pid: number): number | undefined {
  try {
    const stat = readFileSync(join(procDir, String(pid), 'stat'), 'utf8');
    return Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1]);
  } catch {
    return undefined;
  }
}

/**
 * Stops the sidecar servers of these component types: in the drill pod the process namespace is
 * shared and every container runs as the same user, so the runner signals them (SIGINT: a fast,
 * clean shutdown for PostgreSQL; SIGTERM for the others) and the Job can complete. Processes the
 * runner started itself are never signalled. Returns the pids signalled.
 */
export function stopSidecarServers(types: ReadonlySet<Component['type']>, log: Logger, table: ProcessTable = defaultTable): number[] {
  const programs = new Map<string, Component['type']>();
  for (const t of types) for (const p of SERVER_PROGRAMS[t] ?? []) programs.set(p, t);
  if (!programs.size) return [];
  let pids: number[];
  try {
    pids = readdirSync(table.procDir)
      .filter((d) => /^\d+$/.test(d))
      .map(Number);
  } catch {
    return [];
  }
  const ours = (pid: number) => {
    for (let p: number | undefined = pid, hops = 0; p && hops < 64; p = parentOf(table.procDir, p), hops++) if (p === table.selfPid) return true;
    return false;
  };
  const typeOf = (pid: number): Component['type'] | undefined => {
    try {
      const argv0 = readFileSync(join(table.procDir, String(pid), 'cmdline'), 'utf8').split('\0')[0];
      // Servers rewrite their titles ("postgres: checkpointer", "redis-server 127.0.0.1:6379"): only the program counts.
      return programs.get(basename(argv0.split(':')[0].split(' ')[0]));
    } catch {
      return undefined;
    }
  };
  const signalled: number[] = [];
  for (const pid of pids) {
    const type = typeOf(pid);
    if (!type || ours(pid)) continue;
    // Only the top process of a server (the postmaster, not its backends): its children follow it.
    const parent = parentOf(table.procDir, pid);
    if (parent && typeOf(parent) === type) continue;
    const signal: NodeJS.Signals = type === 'postgres' ? 'SIGINT' : 'SIGTERM';
    try {
      table.kill(pid, signal);
      signalled.push(pid);
    } catch (e) {
      log.warn('could not stop a sidecar server', { pid, type, error: (e as Error).message });
    }
  }
  if (signalled.length) log.info('sidecar scratch servers stopped', { pids: signalled });
  return signalled;
}
