#!/usr/bin/env node
// Stands in for restic: runs the real one (SAFEHOLD_REAL_TOOL); for `dump` of a .pgdump file it writes 16 bytes more
// after the real output, as a repository handing out other bytes than were stored would. pg_restore ignores bytes
// after the archive's end, so only the manifest's sha256 and length can tell.
import { spawn } from 'node:child_process';

const args = process.argv.slice(2);
const tamper = args.includes('dump') && args.some((a) => a.endsWith('.pgdump'));
const real = spawn(process.env.SAFEHOLD_REAL_TOOL ?? 'restic', args, { stdio: ['inherit', tamper ? 'pipe' : 'inherit', 'inherit'] });
if (tamper) real.stdout.pipe(process.stdout, { end: false });
real.on('close', (code) => {
  if (tamper && code === 0) process.stdout.write(Buffer.alloc(16, 0x20), () => process.exit(0));
  else process.exit(code ?? 1);
});
