#!/usr/bin/env node
// Stands in for pg_restore: really restores the first half of the archive's entries (SAFEHOLD_REAL_TOOL), then dies
// as a killed pod would (SIGKILL), leaving a half-loaded database behind — whether it restores into the server (-d)
// or writes SQL for psql (--file -, the path into an older server), from a file or from stdin. --version and --list
// pass through, and with SAFEHOLD_DIE_ONLY_FOR every restore but the one it names.
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

const real = process.env.SAFEHOLD_REAL_TOOL;
const args = process.argv.slice(2);
// SAFEHOLD_DIE_ONLY_FOR: only a restore whose arguments (database, spooled file name) contain it dies.
const only = process.env.SAFEHOLD_DIE_ONLY_FOR;
if (args.includes('--version') || args.includes('--list') || !args.some((a) => a === '-d' || a === '--file') || (only && !args.some((a) => a.includes(only)))) {
  process.exit(spawnSync(real, args, { stdio: 'inherit' }).status ?? 1);
}
// Streamed from the repository (no file argument: the archive is on stdin), it is read into a file first.
const streamed = args.at(-2) === '-d';
const file = streamed ? join(mkdtempSync(join(tmpdir(), 'stdin-')), 'archive') : args.at(-1);
if (streamed) {
  writeFileSync(file, readFileSync(0));
  args.push(file);
}
const toc = spawnSync(real, ['--list', file], { encoding: 'utf8' });
const entries = toc.stdout.split('\n').filter((l) => l && !l.startsWith(';'));
const list = join(mkdtempSync(join(tmpdir(), 'half-')), 'toc');
writeFileSync(list, `${entries.slice(0, Math.ceil(entries.length / 2)).join('\n')}\n`);
const half = spawnSync(real, ['-L', list, ...args], { stdio: 'inherit' });
process.stderr.write(`pg_restore: killed after ${Math.ceil(entries.length / 2)} of ${entries.length} entries (exit ${half.status})\n`);
process.kill(process.pid, 'SIGKILL');
