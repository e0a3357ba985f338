#!/usr/bin/env node
// Stands in for pg_restore (or pg_dump, psql): waits until the file WAIT_FOR_FILE exists, then runs the real tool (SAFEHOLD_REAL_TOOL)
// with the same arguments. A test uses it to hold a run inside its restore — after its claim, before any data moves —
// for as long as it needs another run to meet that claim. --version and --list pass through at once.
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';

const real = process.env.SAFEHOLD_REAL_TOOL;
const args = process.argv.slice(2);
const deadline = Date.now() + Number(process.env.WAIT_TIMEOUT_MS ?? 180_000);
// WAIT_ONLY_FOR: only a run whose arguments contain it waits (one database of several).
const only = process.env.WAIT_ONLY_FOR;
if (!(args.includes('--version') || args.includes('--list')) && (!only || args.some((a) => a.includes(only)))) {
  while (!existsSync(process.env.WAIT_FOR_FILE) && Date.now() < deadline) await new Promise((r) => setTimeout(r, 50));
}
process.exit(spawnSync(real, args, { stdio: 'inherit' }).status ?? 1);
