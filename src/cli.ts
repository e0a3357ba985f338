// The one entry point: validate / synth / schema for the generator, and the runner's commands.
import { pathToFileURL } from 'node:url';
import { ExitCode, SafeholdError, UsageError } from './errors.js';
import { VERSION } from './version.js';

const USAGE = `safehold ${VERSION} — backup and restore for Kubernetes, the GitOps way

Generator:
  safehold validate [FILE|DIR ...]        check values files (default: values/)
  safehold validate --explain FILE         print the merged values, each field with the file:line:col that set it
  safehold synth [--values DIR] [--out DIR] [--charts DIR] [--schema FILE]
  safehold schema                          print values.schema.json

Runner (in the image, or locally with --values):
  safehold backup        --config FILE | --values FILE  [--secrets-dir DIR]
  safehold restore       ... [--snapshot ID|latest] [--from COPY] [--plan] [--json] [--drop-wait S]
  safehold snapshots     ... [--json]
  safehold verify        ... [--read-data SUBSET]   e.g. 10% or 100%; default: today's n/N of verify.readDataSubsets
  safehold prune         ...
  safehold maintenance   ...                        retention, prune and restic check (protected repositories)
  safehold drop-database ... [--go-ahead-wait S]   drops on the go-ahead of its restore request, or refuses
  safehold release       ... --request ID    end the claim of a request whose run is gone
  safehold drill         ... [--from COPY]
  safehold copy          ... [--to COPY]               good sets into every copy (or one), verified; docs/copies.md
  safehold clone         ... [--plan] [--json]         clone: another application's set, masked, swapped in; docs/clones.md
  safehold status        --values FILE|DIR | --config FILE  [--json] [--pushgateway URL]
                         last good set and its age, sizes, drills, requests; exit 1 when overdue or failed
  safehold report        --values FILE|DIR | --config FILE  --out FILE.html [--pushgateway URL] [--prometheus URL]
                         the same as one self-contained HTML page with charts; drill history from Prometheus

Exit codes: 0 ok, 1 failed, 2 bad input, 3 refused by a precondition,
            4 repository unusable (password, missing, locked), 5 backup suspicious.`;

const RUNNER_COMMANDS = new Set([
  'backup',
  'restore',
  'snapshots',
  'verify',
  'prune',
  'maintenance',
  'drop-database',
  'drill',
  'release',
  'status',
  'report',
  'copy',
  'clone',
]);

/** Runs one command; returns the exit code instead of exiting, so tests can call it in-process. */
export async function main(argv: string[]): Promise<number> {
  const [cmd, ...rest] = argv;
  try {
    if (!cmd || cmd === 'help' || cmd === '--help' || cmd === '-h') {
      process.stdout.write(`${USAGE}\n`);
      return cmd ? ExitCode.ok : ExitCode.usage;
    }
    if (cmd === '--version' || cmd === 'version') {
      process.stdout.write(`safehold ${VERSION}\n`);
      return ExitCode.ok;
    }
    if (cmd === 'validate' || cmd === 'synth' || cmd === 'schema') {
      const { generatorCommand } = await import('./generator-cli.js');
      return await generatorCommand(cmd, rest);
    }
    if (RUNNER_COMMANDS.has(cmd)) {
      const { runnerCommand } = await import('./runner/main.js');
      return await runnerCommand(cmd, rest);
    }
    throw new UsageError(`unknown command "${cmd}"; run safehold --help`);
  } catch (e) {
    if (e instanceof SafeholdError) {
      process.stderr.write(`safehold ${cmd}: ${e.message}\n`);
      return e.exitCode;
    }
    process.stderr.write(`safehold ${cmd}: internal error (please report): ${(e as Error)?.stack ?? String(e)}\n`);
    return ExitCode.failed;
  }
}

const invoked = process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href;
const viaBin = process.argv[1]?.endsWith('safehold.mjs') || process.argv[1]?.endsWith('/safehold');
if (invoked || viaBin) {
  main(process.argv.slice(2)).then((code) => {
    process.exitCode = code;
  });
}
