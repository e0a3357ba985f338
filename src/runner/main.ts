// The runner's command dispatch: flags → context → command → output and exit code.
import { ExitCode, UsageError } from '../errors.js';
import { parseFlags } from '../flags.js';
import './engines/all.js';
import { backup, backupExitCode } from './commands/backup.js';
import { dropDatabase } from './commands/drop-database.js';
import { prune } from './commands/prune.js';
import { formatPlan, restore } from './commands/restore.js';
import { formatSets, listSets } from './commands/snapshots.js';
import { verify } from './commands/verify.js';
import { currentGraceSeconds } from './commands/deadline.js';
import { buildContext, type RunContext } from './context.js';
import { stopReason, StoppedError } from './process/stop.js';
import { handleSignals } from './signals.js';
import { streamEngine } from './engines/index.js';
import type { Values } from '../values/schema.js';

const COMMON = {
  config: { type: 'string' },
  values: { type: 'string' },
  'secrets-dir': { type: 'string' },
  'scratch-dir': { type: 'string' },
  ledger: { type: 'string' },
  snapshot: { type: 'string' },
  plan: { type: 'boolean' },
  json: { type: 'boolean' },
  'read-data': { type: 'string' },
  request: { type: 'string' },
  'drop-wait': { type: 'string' },
} as const;

const out = (s: string) => process.stdout.write(s);

/**
 * The Kubernetes plug-ins pull in @kubernetes/client-node: ~65 MB resident and ~1 s to load (bench/README.md).
 * A run loads them only when it may talk to the API: non-stream components, exec hooks, rollout restarts,
 * drills, and in a cluster every command but backup (the restore ledger is a ConfigMap).
 */
export function needsKubernetes(cmd: string, v: Values, inCluster: boolean): boolean {
  return (
    cmd === 'drill' ||
    (inCluster && cmd !== 'backup') ||
    !!v.restore?.rolloutRestart ||
    Object.values(v.hooks).some((list) => list.some((h) => h.type === 'exec')) ||
    v.components.some((c) => !streamEngine(c.type))
  );
}

export async function runnerCommand(cmd: string, args: string[]): Promise<number> {
  const { values: f } = parseFlags(args, COMMON);
  const ctx = buildContext({ config: f.config, values: f.values, secretsDir: f['secrets-dir'], scratchDir: f['scratch-dir'], ledger: f.ledger });
  const off = handleSignals(ctx.log, currentGraceSeconds);
  try {
    return await dispatch(cmd, f, ctx);
  } catch (e) {
    // A stopped run fails as stopped whatever its child reported: the Job may retry after a drain (exit 1).
    const why = stopReason();
    throw why !== undefined && !(e instanceof StoppedError) ? new StoppedError(`${why}; ${(e as Error).message}`) : e;
  } finally {
    off();
  }
}

async function dispatch(cmd: string, f: ReturnType<typeof parseFlags<typeof COMMON>>['values'], ctx: RunContext): Promise<number> {
  if (needsKubernetes(cmd, ctx.values, ctx.inCluster)) await import('./kube/register.js');
  switch (cmd) {
    case 'backup': {
      const r = await backup(ctx);
      if (f.json) out(`${JSON.stringify(r, null, 2)}\n`);
      return backupExitCode(r);
    }
    case 'restore': {
      const dropWait = f['drop-wait'] === undefined ? undefined : Number(f['drop-wait']);
      if (dropWait !== undefined && !(dropWait >= 0)) throw new UsageError(`--drop-wait must be a number of seconds, got ${f['drop-wait']}`);
      const plan = await restore(ctx, { snapshot: f.snapshot, planOnly: f.plan, expectRequest: f.request, dropWaitSeconds: dropWait });
      out(f.json ? `${JSON.stringify(plan, null, 2)}\n` : formatPlan(plan));
      return ExitCode.ok;
    }
    case 'snapshots': {
      const sets = await listSets(ctx);
      out(f.json ? `${JSON.stringify(sets, null, 2)}\n` : formatSets(sets));
      return ExitCode.ok;
    }
    case 'verify': {
      const r = await verify(ctx, { readData: f['read-data'] });
      if (f.json) out(`${JSON.stringify(r, null, 2)}\n`);
      return ExitCode.ok;
    }
    case 'prune':
      await prune(ctx);
      return ExitCode.ok;
    case 'drop-database':
      out(`dropped (request ${await dropDatabase(ctx, { expectRequest: f.request })})\n`);
      return ExitCode.ok;
    case 'drill': {
      const { drill, formatDrillReport } = await import('./commands/drill.js');
      const r = await drill(ctx);
      out(f.json ? `${JSON.stringify(r, null, 2)}\n` : formatDrillReport(r));
      return ExitCode.ok;
    }
    default:
      return ExitCode.usage;
  }
}
