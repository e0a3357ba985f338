#!/usr/bin/env node
// Stands in for an old restic: prints 0.12.1 for `version`; any other command is recorded and fails (it must not run).
import { appendFileSync } from 'node:fs';

const args = process.argv.slice(2);
if (args[0] === 'version') {
  process.stdout.write('restic 0.12.1 compiled with go1.16.2 on linux/amd64\n');
  process.exit(0);
}
if (process.env.SAFEHOLD_TOOL_CALLS) appendFileSync(process.env.SAFEHOLD_TOOL_CALLS, `${args.join(' ')}\n`);
process.stderr.write('Fatal: this stand-in only answers version\n');
process.exit(1);
