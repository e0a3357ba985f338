// The runner's command dispatch: flags → context → command → output and exit code.
import { ExitCode } from '../errors.js';
import { parseFlags } from '../flags.js';
import './engines/all.js';
import './kube/register.js';
import { backup, backupExitCode } from './commands/backup.js';
import { dropDatabase } from './commands/drop-database.js';
import { prune } from './commands/prune.js';
import { formatPlan, restore } from './commands/restore.js';
import { formatSets, listSets } from './commands/snapshots.js';
import { verify } from './commands/verify.js';
import { buildContext } from './context.js';

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
} as const;

const out = (s: string) => process.stdout.write(s);

export async function runnerCommand(cmd: string, args: string[]): Promise<number> {
  const { values: f } = parseFlags(args, COMMON);
  const ctx = buildContext({ config: f.config, values: f.values, secretsDir: f['secrets-dir'], scratchDir: f['scratch-dir'], ledger: f.ledger });
  switch (cmd) {
    case 'backup': {
      const r = await backup(ctx);
      if (f.json) out(`${JSON.stringify(r, null, 2)}\n`);
      return backupExitCode(r);
    }
    case 'restore': {
      const plan = await restore(ctx, { snapshot: f.snapshot, planOnly: f.plan });
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
      out(`dropped (request ${await dropDatabase(ctx)})\n`);
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
