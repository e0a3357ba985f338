#!/usr/bin/env node
// Stand-in for AtlasDB's CLI (./bin/atlasdb) in the workflow test: the timestamp commands of the seed,
// backed by files. State lives in $ATLAS_FAKE_STATE: `counter` (the timestamp service) and
// `calls.jsonl` (what the restore commands were given, in order). No shell, no network.
import { appendFileSync, existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

const args = process.argv.slice(2);
const state = process.env.ATLAS_FAKE_STATE;
if (!state) throw new Error('ATLAS_FAKE_STATE is not set');
const file = args[args.indexOf('--file') + 1];
const at = args.indexOf('timestamp');
if (at < 0 || !file || !args.includes('--config') || !args.includes('--config-root')) {
  process.stderr.write('usage: atlasdb --config FILE --config-root BLOCK timestamp fetch|clean-transactions|fast-forward --file FILE\n');
  process.exit(2);
}
const command = args[at + 1];
const counterFile = join(state, 'counter');
if (command === 'fetch') {
  // A fresh timestamp: strictly greater than every one handed out before.
  const next = (existsSync(counterFile) ? Number(readFileSync(counterFile, 'utf8')) : 1000) + 1;
  writeFileSync(counterFile, String(next));
  writeFileSync(file, `${next}\n`);
} else if (command === 'clean-transactions' || command === 'fast-forward') {
  const ts = readFileSync(file, 'utf8').trim();
  appendFileSync(
    join(state, 'calls.jsonl'),
    `${JSON.stringify({ command, timestamp: ts, file: file.split('/').pop(), password: process.env.ATLAS_DB_PASSWORD ?? null })}\n`,
  );
} else {
  process.stderr.write(`unknown timestamp command ${command}\n`);
  process.exit(2);
}
