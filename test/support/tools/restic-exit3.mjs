#!/usr/bin/env node
// Stands in for restic: runs the real one, then reports exit 3 ("some source files could not be read") for `backup`.
import { spawn } from 'node:child_process';

const args = process.argv.slice(2);
const real = spawn(process.env.SAFEHOLD_REAL_TOOL ?? 'restic', args, { stdio: 'inherit' });
real.on('close', (code) => {
  if (args.includes('backup') && code === 0) {
    process.stderr.write('Warning: at least one source file could not be read\n');
    process.exit(3);
  }
  process.exit(code ?? 1);
});
