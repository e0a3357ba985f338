// Every command the docs show exists: `safehold` subcommands and their flags (the real CLI parses
// them), `npm run` scripts, and the files `npx tsx` runs.
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { main } from '../../src/cli.js';
import { codeBlocks, docsPages, read, ROOT } from './markdown.js';

const pages = ['README.md', ...docsPages()];
const shellLines = (file: string) =>
  codeBlocks(read(file))
    .filter((b) => b.lang === 'bash' || b.lang === 'sh')
    .flatMap((b) => b.body.split('\n'))
    .map((l) => l.replace(/\s+#.*$/, '').trim())
    .filter(Boolean);

const safeholdLines = pages.flatMap((f) =>
  shellLines(f)
    .filter((l) => l.startsWith('safehold '))
    .map((l) => ({ file: f, line: l })),
);
const NOWHERE = '/nonexistent/safehold-docs-test.yaml';
const GENERATOR_WRITES = new Set(['synth']);

let err = '';
beforeEach(() => {
  err = '';
  vi.spyOn(process.stdout, 'write').mockImplementation(() => true);
  vi.spyOn(process.stderr, 'write').mockImplementation((s) => ((err += String(s)), true));
});
afterEach(() => vi.restoreAllMocks());

describe('commands in the docs', () => {
  it('the docs show the runner commands', () => {
    const verbs = new Set(safeholdLines.map((l) => l.line.split(/\s+/)[1]));
    for (const v of ['backup', 'restore', 'snapshots', 'verify', 'prune', 'validate']) expect(verbs).toContain(v);
  });

  it.each(safeholdLines.map((l) => [l.file, l.line]))('%s: %s', async (_file, line) => {
    const argv = line.split(/\s+/).slice(1);
    const [verb] = argv;
    if (GENERATOR_WRITES.has(verb)) return;
    // Point the command at a file that does not exist: flags are parsed first, then nothing runs.
    const safe = argv.map((a, i) => (['--values', '--config'].includes(argv[i - 1]) ? NOWHERE : a));
    if (verb === 'validate') safe.splice(1, safe.length - 1, NOWHERE);
    const code = await main(safe);
    if (verb === '--version' || verb === '--help') return expect(code).toBe(0);
    expect(err).not.toMatch(/unknown command|Unknown option|argument missing|Unexpected argument/i);
    expect(err, line).toMatch(/cannot read|no such file or directory/);
    expect(code).toBe(2);
  });

  it('every `npm run` script and every `npx tsx` file exists', () => {
    const scripts = JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8')).scripts as Record<string, string>;
    const problems: string[] = [];
    for (const f of pages) {
      for (const l of shellLines(f)) {
        for (const m of l.matchAll(/npm run ([\w:-]+)/g)) if (!(m[1] in scripts)) problems.push(`${f}: npm run ${m[1]}`);
        for (const m of l.matchAll(/npx tsx (\S+\.ts)/g)) if (!existsSync(join(ROOT, m[1]))) problems.push(`${f}: npx tsx ${m[1]}`);
      }
      for (const m of read(f).matchAll(/`npx tsx (\S+\.ts)[^`]*`/g)) if (!existsSync(join(ROOT, m[1]))) problems.push(`${f}: ${m[0]}`);
    }
    expect(problems).toEqual([]);
  });
});
