// The runner's command dispatch: flags → context → command → output and exit code.
import { ExitCode, UsageError } from '../errors.js';
import { parseFlags } from '../flags.js';
import './engines/all.js';
import { backup, backupExitCode } from './commands/backup.js';
import { dropDatabase } from './commands/drop-database.js';
import { maintenance } from './commands/maintenance.js';
import { prune } from './commands/prune.js';
import { formatPlan, restore } from './commands/restore.js';
import { releaseRequest } from './commands/release.js';
import { formatRequests, formatSets, listRequests, listSets } from './commands/snapshots.js';
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
  'go-ahead-wait': { type: 'string' },
  undo: { type: 'boolean' },
  'discard-previous': { type: 'boolean' },
  requests: { type: 'boolean' },
  pushgateway: { type: 'string' },
  out: { type: 'string' },
  prometheus: { type: 'string' },
  to: { type: 'string' },
  from: { type: 'string' },
} as const;

const out = (s: string) => process.stdout.write(s);

/** A flag given in seconds (--drop-wait, --go-ahead-wait), or undefined when absent. */
function seconds(f: Partial<Record<'drop-wait' | 'go-ahead-wait', string>>, flag: 'drop-wait' | 'go-ahead-wait'): number | undefined {
  const n = f[flag] === undefined ? undefined : Number(f[flag]);
  if (n !== undefined && !(n >= 0)) throw new UsageError(`--${flag} must be a number of seconds, got ${f[flag]}`);
  return n;
}

/**
 * The Kubernetes plug-ins pull in @kubernetes/client-node: ~65 MB resident and ~1 s to load (bench/README.md).
 * A run loads them only when it may talk to the API: non-stream components, exec hooks, rollout restarts,
 * drills, and in a cluster every command but backup and maintenance (the restore ledger is a ConfigMap).
 */
export function needsKubernetes(cmd: string, v: Values, inCluster: boolean): boolean {
  return (
    cmd === 'drill' ||
    (inCluster && cmd !== 'backup' && cmd !== 'maintenance' && cmd !== 'copy') ||
    !!v.restore?.rolloutRestart ||
    !!v.restore?.scaleDown ||
    Object.values(v.hooks).some((list) => list.some((h) => h.type === 'exec')) ||
    v.components.some((c) => !streamEngine(c.type))
  );
}

export async function runnerCommand(cmd: string, args: string[]): Promise<number> {
  const { values: f } = parseFlags(args, COMMON);
  const contextOptions = { config: f.config, values: f.values, secretsDir: f['secrets-dir'], scratchDir: f['scratch-dir'], ledger: f.ledger, from: f.from };
  // status reads many values files (a directory) and never writes: its own contexts.
  if (cmd === 'status') {
    const { collectStatus, statusContexts, statusExitCode, statusReport } = await import('./commands/status.js');
    const { formatAppStatus } = await import('./status/format.js');
    const report = statusReport(await collectStatus(statusContexts(contextOptions), { pushgateway: f.pushgateway }));
    out(f.json ? `${JSON.stringify(report, null, 2)}\n` : report.apps.map(formatAppStatus).join('\n'));
    return statusExitCode(report);
  }
  if (cmd === 'report') {
    const { writeReport } = await import('./commands/report.js');
    const r = await writeReport({ ...contextOptions, out: f.out, pushgateway: f.pushgateway, prometheus: f.prometheus });
    out(`wrote ${r.file}: ${r.apps} application${r.apps === 1 ? '' : 's'}, ${r.problems} with a problem, ${r.bytes} bytes\n`);
    return ExitCode.ok;
  }
  // prune deletes too: in a protected repository it needs the maintenance keys. A clone is a restore into this set's targets.
  const operation =
    cmd === 'maintenance' || cmd === 'prune'
      ? 'maintenance'
      : cmd === 'clone'
        ? 'restore'
        : (['backup', 'restore', 'drop-database', 'drill', 'verify', 'copy'] as const).find((c) => c === cmd);
  const ctx = buildContext({ ...contextOptions, operation });
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
      if (f.undo || f['discard-previous']) {
        const { undoRestore } = await import('./commands/restore-undo.js');
        out(`${(await undoRestore(ctx, { discard: f['discard-previous'] })).join('\n')}\n`);
        return ExitCode.ok;
      }
      const dropWait = seconds(f, 'drop-wait');
      const plan = await restore(ctx, { snapshot: f.snapshot, planOnly: f.plan, expectRequest: f.request, dropWaitSeconds: dropWait });
      out(f.json ? `${JSON.stringify(plan, null, 2)}\n` : formatPlan(plan));
      return ExitCode.ok;
    }
    case 'snapshots': {
      if (f.requests && f.json) {
        out(`${JSON.stringify(await listRequests(ctx), null, 2)}\n`);
        return ExitCode.ok;
      }
      const sets = await listSets(ctx);
      out(f.json ? `${JSON.stringify(sets, null, 2)}\n` : formatSets(sets) + formatRequests(await listRequests(ctx)));
      return ExitCode.ok;
    }
    case 'release': {
      const r = await releaseRequest(ctx, f.request);
      out(`${r.wasFinished ? 'request already finished; ' : 'released '}${r.request}${r.lockRemoved ? ' (claim lock removed)' : ''}\n`);
      return ExitCode.ok;
    }
    case 'verify': {
      const r = await verify(ctx, { readData: f['read-data'] });
      if (f.json) out(`${JSON.stringify(r, null, 2)}\n`);
      return ExitCode.ok;
    }
    case 'copy': {
      const { copy } = await import('./commands/copy.js');
      const r = await copy(ctx, { to: f.to });
      out(
        f.json
          ? `${JSON.stringify(r, null, 2)}\n`
          : r
              .map((c) => `${c.name}: copied ${c.copied.length} set(s)${c.copied.length ? ` (${c.copied.join(', ')})` : ''}; newest ${c.newestSet ?? 'none'}\n`)
              .join(''),
      );
      return ExitCode.ok;
    }
    case 'clone': {
      const { clone, formatClonePlan } = await import('./commands/clone.js');
      const plan = await clone(ctx, { planOnly: f.plan, expectRequest: f.request });
      out(f.json ? `${JSON.stringify(plan, null, 2)}\n` : formatClonePlan(plan));
      return ExitCode.ok;
    }
    case 'prune':
      await prune(ctx);
      return ExitCode.ok;
    case 'maintenance': {
      const r = await maintenance(ctx);
      if (f.json) out(`${JSON.stringify(r, null, 2)}\n`);
      return ExitCode.ok;
    }
    case 'drop-database':
      out(`dropped (request ${await dropDatabase(ctx, { expectRequest: f.request, goAheadWaitSeconds: seconds(f, 'go-ahead-wait') })})\n`);
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
