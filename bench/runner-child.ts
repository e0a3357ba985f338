// One runner command in its own process, as the CLI runs it (buildContext → backup()/restore()/prune()/drill()), with timing
// wrappers around the phases and the restic calls, and the process's own peak RSS (VmHWM) at the end.
import { readFileSync, writeFileSync } from 'node:fs';
import { createWriteStream } from 'node:fs';
// The runner's own entry module: loads what `safehold backup|restore` loads.
import { needsKubernetes } from '../src/runner/main.js';
import { backup } from '../src/runner/commands/backup.js';
import { drill } from '../src/runner/commands/drill.js';
import { prune } from '../src/runner/commands/prune.js';
import { restore } from '../src/runner/commands/restore.js';
import { streamHandler } from '../src/runner/components/stream.js';
import { buildContext } from '../src/runner/context.js';
import { createLogger } from '../src/runner/log.js';

export type ChildCommand = 'backup' | 'restore' | 'prune' | 'drill';

export interface ChildRequest {
  readonly command: ChildCommand;
  readonly values: string;
  readonly secretsDir: string;
  readonly scratchDir: string;
  readonly ledger: string;
  readonly logFile: string;
  readonly resultFile: string;
}

export interface ChildResult {
  /** Seconds inside the command (after imports). */
  readonly seconds: number;
  /** Seconds from process start to the command's start (node, tsx, imports). */
  readonly startupSeconds: number;
  /** Seconds per phase: handler steps and restic calls (by subcommand). */
  readonly phases: Record<string, number>;
  readonly resticCalls: number;
  /** Peak resident set of this process (not its children), KiB. */
  readonly vmHWMKiB: number;
  /** The same, measured once the modules are loaded and the context built (before any work). */
  readonly startupHWMKiB: number;
  /** backup: the set's status; drill: "passed" with its checks; prune: the sets retention removed. */
  readonly status?: string;
}

const startupSeconds = process.uptime();
// The whole pod's memory: this process joins the bench's memory cgroup (lib/cgroup.ts) before it starts any
// child; restic, pg_dump and pg_restore inherit it, and the charges of the imports move with it.
if (process.env.SAFEHOLD_BENCH_CGROUP) writeFileSync(`${process.env.SAFEHOLD_BENCH_CGROUP}/cgroup.procs`, String(process.pid));
const req = JSON.parse(process.argv[2]!) as ChildRequest;
const phases: Record<string, number> = {};
const add = (name: string, ms: number) => (phases[name] = (phases[name] ?? 0) + ms / 1000);

function timed<T extends object, K extends keyof T>(obj: T, key: K, name: string | ((args: unknown[]) => string)): void {
  const orig = obj[key] as unknown as (...a: unknown[]) => Promise<unknown>;
  if (typeof orig !== 'function') return;
  (obj as Record<K, unknown>)[key] = async function (this: unknown, ...args: unknown[]) {
    const t = performance.now();
    try {
      return await orig.apply(this, args);
    } finally {
      add(typeof name === 'string' ? name : name(args), performance.now() - t);
    }
  };
}

const logStream = createWriteStream(req.logFile, { flags: 'a' });
const log = createLogger((l) => logStream.write(l));
// The repository keys each command uses (main.ts): prune deletes, so it runs as maintenance.
const operation = req.command === 'prune' ? 'maintenance' : req.command;
const ctx = buildContext({ values: req.values, secretsDir: req.secretsDir, scratchDir: req.scratchDir, ledger: req.ledger, log, operation });
if (needsKubernetes(req.command, ctx.values, ctx.inCluster)) await import('../src/runner/kube/register.js');
let resticCalls = 0;
timed(ctx.restic, 'run', (args) => {
  resticCalls++;
  return `restic ${(args[0] as string[])[0]}`;
});
timed(streamHandler, 'backup', 'stream: dump | restic backup');
timed(streamHandler, 'checkStored', 'read-back check');
timed(streamHandler, 'prepare', 'fetch + verify (spool)');
timed(streamHandler, 'recreate', 'drop + create database');
timed(streamHandler, 'apply', 'pg_restore');
timed(streamHandler, 'stage', 'pg_restore into the side database');

const vmHWM = () => Number(/VmHWM:\s+(\d+)/.exec(readFileSync('/proc/self/status', 'utf8'))?.[1] ?? 0);
const startupHWMKiB = vmHWM();
const started = performance.now();
let status: string | undefined;
if (req.command === 'backup') status = (await backup(ctx)).status;
else if (req.command === 'prune') status = `removed ${(await prune(ctx)).length} set(s)`;
else if (req.command === 'drill') status = `passed ${(await drill(ctx)).checks.length} check(s)`;
else await restore(ctx);
const seconds = (performance.now() - started) / 1000;
const result: ChildResult = { seconds, startupSeconds, phases, resticCalls, vmHWMKiB: vmHWM(), startupHWMKiB, status };
writeFileSync(req.resultFile, JSON.stringify(result));
logStream.end();
