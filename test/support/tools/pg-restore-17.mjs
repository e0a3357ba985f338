#!/usr/bin/env node
// Stands in for pg_restore 17 restoring into an older server: reports version 17 and, writing SQL, emits the
// `SET transaction_timeout = 0;` that PostgreSQL ≤ 16 rejects (what the image's pg_restore 17 does).
import { spawn } from 'node:child_process';

const args = process.argv.slice(2);
if (args.includes('--version')) {
  process.stdout.write('pg_restore (PostgreSQL) 17.12 (Debian 17.12-1)\n');
  process.exit(0);
}
const real = spawn(process.env.SAFEHOLD_REAL_TOOL ?? 'pg_restore', args, { stdio: ['inherit', 'pipe', 'inherit'] });
let injected = false;
real.stdout.on('data', (chunk) => {
  let text = chunk.toString('latin1');
  if (!injected && text.includes('SET statement_timeout = 0;\n')) {
    text = text.replace('SET statement_timeout = 0;\n', 'SET statement_timeout = 0;\nSET transaction_timeout = 0;\n');
    injected = true;
  }
  process.stdout.write(Buffer.from(text, 'latin1'));
});
real.on('close', (code) => process.exit(code ?? 1));
