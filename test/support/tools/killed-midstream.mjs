#!/usr/bin/env node
// Stands in for a dump tool: runs the real one (SAFEHOLD_REAL_TOOL), forwards KILL_AFTER bytes, then SIGKILLs it and dies the same way.
import { spawn } from 'node:child_process';

const real = spawn(process.env.SAFEHOLD_REAL_TOOL, process.argv.slice(2), { stdio: ['ignore', 'pipe', 'inherit'] });
const limit = Number(process.env.KILL_AFTER ?? 65536);
let sent = 0;
real.stdout.on('data', (chunk) => {
  if (sent >= limit) return;
  process.stdout.write(chunk.subarray(0, limit - sent));
  sent += chunk.length;
  if (sent >= limit) {
    real.kill('SIGKILL');
    process.stderr.write(`pg_dump: killed mid-stream after ${limit} bytes\n`);
    process.stdout.end(() => process.kill(process.pid, 'SIGKILL'));
  }
});
// Once the limit is reached this process dies by SIGKILL itself; the real tool's own end must not win that race.
real.on('close', (code) => {
  if (sent < limit) process.exit(code ?? 1);
});
