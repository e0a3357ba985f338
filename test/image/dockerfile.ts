// Reading the Dockerfile (just enough of its syntax for the checks in binaries.test.ts), and
// which programs each Debian package the runtime stage installs provides.
import { readFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

export const REPO = resolve(dirname(fileURLToPath(import.meta.url)), '..', '..');

/**
 * Debian 13 (trixie) package → programs on PATH after `apt-get install --no-install-recommends`
 * of it (its own files and its dependencies'). test/image/image.test.ts checks the real image.
 */
export const PACKAGE_BINARIES: Readonly<Record<string, readonly string[]>> = {
  'ca-certificates': [],
  // postgresql-client → postgresql-client-17 + postgresql-client-common (/usr/bin/* are pg_wrapper links)
  'postgresql-client': ['pg_dump', 'pg_dumpall', 'pg_restore', 'psql'],
  // mariadb-client (mariadb-dump, mariadb-admin, ...) → mariadb-client-core (mariadb)
  'mariadb-client': ['mariadb-dump', 'mariadb', 'mariadb-admin', 'mariadb-import', 'mysqldump', 'mysql'],
  'redis-tools': ['redis-cli', 'redis-check-rdb', 'redis-check-aof', 'redis-benchmark'],
  // only a link to redis-check-rdb (one binary that behaves by its name); depends on redis-tools
  'redis-server': ['redis-server'],
  restic: ['restic'],
  tini: ['tini'],
  nodejs: ['node'],
};

export interface Instruction {
  keyword: string; // upper case
  args: string; // continuation lines joined, comments dropped
  line: number; // 1-based line of the keyword
}

/** Instructions of a Dockerfile, with `\` continuations joined and comment lines dropped. */
export function parseDockerfile(text: string): Instruction[] {
  const out: Instruction[] = [];
  let current: { line: number; parts: string[] } | undefined;
  text.split('\n').forEach((raw, i) => {
    const trimmed = raw.trim();
    if (trimmed.startsWith('#') || (!current && trimmed === '')) return;
    if (!current) current = { line: i + 1, parts: [] };
    const continued = trimmed.endsWith('\\');
    current.parts.push(continued ? trimmed.slice(0, -1).trim() : trimmed);
    if (!continued) {
      const joined = current.parts.filter(Boolean).join(' ');
      const m = /^(\S+)\s*(.*)$/.exec(joined)!;
      out.push({ keyword: m[1].toUpperCase(), args: m[2], line: current.line });
      current = undefined;
    }
  });
  return out;
}

export interface Stage {
  from: string;
  name?: string;
  instructions: Instruction[];
}

/** Stages split at FROM; instructions before the first FROM (global ARGs) are returned apart. */
export function stages(instructions: Instruction[]): { globalArgs: Instruction[]; stages: Stage[] } {
  const globalArgs: Instruction[] = [];
  const result: Stage[] = [];
  for (const ins of instructions) {
    if (ins.keyword === 'FROM') {
      const [from, as, name] = ins.args.split(/\s+/);
      result.push({ from, name: as?.toUpperCase() === 'AS' ? name : undefined, instructions: [] });
    } else if (result.length === 0) {
      globalArgs.push(ins);
    } else {
      result[result.length - 1].instructions.push(ins);
    }
  }
  return { globalArgs, stages: result };
}

/** Package names of every `apt-get install` in a RUN (options dropped, up to the next `&&`/`;`). */
export function aptInstalls(run: string): { packages: string[]; options: string[] }[] {
  const found: { packages: string[]; options: string[] }[] = [];
  for (const command of run.split(/&&|;|\|\|/)) {
    const words = command.trim().split(/\s+/);
    const at = words.findIndex((w, i) => (w === 'apt-get' || w === 'apt') && words[i + 1] === 'install');
    if (at < 0) continue;
    const rest = words.slice(at + 2);
    found.push({ packages: rest.filter((w) => !w.startsWith('-')), options: rest.filter((w) => w.startsWith('-')) });
  }
  return found;
}

export function readDockerfile(): { text: string; instructions: Instruction[] } {
  const text = readFileSync(join(REPO, 'Dockerfile'), 'utf8');
  return { text, instructions: parseDockerfile(text) };
}
