#!/usr/bin/env node
// Stands in for the mariadb client: statements pass through to the real one (SAFEHOLD_REAL_TOOL); a dump load
// (--binary-mode) gets only the first KILL_AFTER bytes of its input, then the real client and this one are SIGKILLed.
// Only the first load dies (a marker file, KILL_ONCE_FILE): what runs after the failure gets the real client.
import { spawn } from 'node:child_process';
import { existsSync, writeFileSync } from 'node:fs';

const args = process.argv.slice(2);
const real = spawn(process.env.SAFEHOLD_REAL_TOOL, args, { stdio: ['pipe', 'inherit', 'inherit'] });
const once = process.env.KILL_ONCE_FILE;
// DIE_ONLY_FOR: only the load into that database dies.
const only = process.env.DIE_ONLY_FOR;
const dies = args.includes('--binary-mode') && (!only || args.includes(only)) && !(once && existsSync(once));
if (dies && once) writeFileSync(once, 'died\n');
if (!dies) {
  process.stdin.pipe(real.stdin);
  real.on('close', (code, signal) => (signal ? process.kill(process.pid, signal) : process.exit(code ?? 1)));
} else {
  const limit = Number(process.env.KILL_AFTER ?? 4096);
  let sent = 0;
  process.stdin.on('data', (chunk) => {
    if (sent >= limit) return;
    real.stdin.write(chunk.subarray(0, limit - sent));
    sent += chunk.length;
    if (sent >= limit) {
      real.stdin.end();
      // Let the real client apply what it got (a half-loaded database), then die as a killed pod would.
      real.on('close', () => {
        process.stderr.write(`mariadb: killed after ${limit} bytes of the dump\n`);
        process.kill(process.pid, 'SIGKILL');
      });
    }
  });
  process.stdin.on('end', () => real.stdin.end());
}
