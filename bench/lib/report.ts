// Medians, tables and the machine description printed with every result.
import { readFileSync } from 'node:fs';
import { cpus, totalmem } from 'node:os';
import { binaryPath } from '../../src/runner/binaries.js';
import { output } from './proc.js';

/** The schema's default memory limit (src/values/schema.ts resources), which whole-pod peaks are held against. */
export const DEFAULT_MEMORY_LIMIT_MIB = 1024;

export const median = (xs: readonly number[]): number => {
  const s = [...xs].sort((a, b) => a - b);
  const m = s.length >> 1;
  return s.length % 2 ? s[m]! : (s[m - 1]! + s[m]!) / 2;
};

export const secs = (x: number): string => `${x.toFixed(x < 10 ? 2 : 1)} s`;
export const mb = (bytes: number): string => `${(bytes / 1e6).toFixed(bytes < 1e7 ? 2 : 1)} MB`;
export const ratio = (x: number): string => `${x.toFixed(2)}×`;

/** A Markdown table (also readable on a terminal). */
export function table(head: readonly string[], rows: readonly (readonly string[])[]): string {
  const w = head.map((h, i) => Math.max(h.length, ...rows.map((r) => (r[i] ?? '').replace(/\|/g, '\\|').length)));
  const esc = (c: string) => c.replace(/\|/g, '\\|');
  const line = (cells: readonly string[]) => `| ${cells.map((c, i) => esc(c).padEnd(w[i]!)).join(' | ')} |`;
  return [line(head), `|${w.map((n) => '-'.repeat(n + 2)).join('|')}|`, ...rows.map(line)].join('\n');
}

async function firstLine(cmd: string, args: string[]): Promise<string> {
  return (await output({ cmd, args }).catch((e: Error) => e.message)).trim().split('\n')[0]!;
}

export async function machine(): Promise<Record<string, string>> {
  return {
    cpus: `${cpus().length} × ${cpus()[0]?.model ?? '?'}`,
    memory: `${(totalmem() / 2 ** 30).toFixed(1)} GiB`,
    os: /PRETTY_NAME="?([^"\n]*)/.exec(readFileSync('/etc/os-release', 'utf8'))?.[1] ?? '?',
    node: process.version,
    restic: await firstLine(binaryPath('restic'), ['version']),
    pg_dump: await firstLine(binaryPath('pg_dump'), ['--version']),
    gzip: await firstLine('gzip', ['--version']),
    load: readFileSync('/proc/loadavg', 'utf8').split(' ').slice(0, 3).join(' '),
  };
}
