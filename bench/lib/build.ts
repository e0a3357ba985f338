// Transpiles src/ and the bench's runner child to plain JavaScript (as the image runs it: no tsx loader in the process).
import { existsSync, mkdirSync, readdirSync, symlinkSync, writeFileSync } from 'node:fs';
import { join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';
import { output } from './proc.js';

const ROOT = fileURLToPath(new URL('../..', import.meta.url));

function tsFiles(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((e) => {
    const p = join(dir, e.name);
    if (e.isDirectory()) return tsFiles(p);
    return e.name.endsWith('.ts') && !e.name.endsWith('.d.ts') && !e.name.endsWith('.test.ts') ? [p] : [];
  });
}

/**
 * One file in, one file out (like `tsc`, unlike a bundle), so the module graph and its memory are the image's.
 * Returns the directory holding the compiled bench/runner-child.js and bench/synth-child.js.
 */
export async function buildRunner(outDir: string): Promise<string> {
  mkdirSync(outDir, { recursive: true });
  const files = [...tsFiles(join(ROOT, 'src')), join(ROOT, 'bench', 'runner-child.ts'), join(ROOT, 'bench', 'synth-child.ts')].map((f) => relative(ROOT, f));
  await output({
    cmd: join(ROOT, 'node_modules', '.bin', 'esbuild'),
    args: ['--log-level=warning', '--format=esm', '--platform=node', '--target=node20', `--outdir=${outDir}`, '--outbase=.', ...files],
    cwd: ROOT,
  });
  writeFileSync(join(outDir, 'package.json'), '{ "type": "module" }\n');
  // Bare imports (yaml, zod, …) resolve from the checkout's node_modules.
  if (!existsSync(join(outDir, 'node_modules'))) symlinkSync(join(ROOT, 'node_modules'), join(outDir, 'node_modules'));
  return join(outDir, 'bench');
}
