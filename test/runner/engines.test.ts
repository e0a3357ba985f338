// The contract every stream engine keeps, checked on the pure functions of each registered engine (no servers).
import { describe, expect, it } from 'vitest';
import '../../src/runner/engines/all.js';
import { streamEngines } from '../../src/runner/engines/index.js';
import type { Endpoint } from '../../src/runner/engines/types.js';
import { display, type ProcessSpec as ProcessSpecLike } from '../../src/runner/process/spawn.js';

const PASSWORD = 'pa$$ w0rd"`\'-secret';
const full: Endpoint = { host: 'db.example.svc', port: 4321, database: 'shop', username: 'backup', password: PASSWORD };
const weird: Endpoint = { ...full, database: 'we"ird`name' };
const engines = streamEngines();

/** Everything of a spec that may end up in a process table, a log line or an error message. */
const visible = (s: ProcessSpecLike): string => [s.cmd, ...s.args, display(s), s.input ?? ''].join('\n');

function allSpecs(e: (typeof engines)[number], ep: Endpoint): ProcessSpecLike[] {
  const v = e.versions?.(ep);
  return [
    e.dump(ep),
    ...e.restore(ep, '/scratch/x', { jobs: 2, clean: true }),
    ...(e.recreate?.(ep) ?? []),
    ...(e.drop?.(ep) ?? []),
    ...(v ? [v.client, v.server] : []),
    ...(e.list ? [e.list()] : []),
  ];
}

describe('registered stream engines', () => {
  it('include postgres, mysql, redis and cockroachdb, each once', () => {
    const types = engines.map((e) => e.type);
    expect([...types].sort()).toEqual(['cockroachdb', 'mysql', 'postgres', 'redis']);
  });
});

describe.each(engines.map((e) => [e.type, e] as const))('%s engine', (_type, engine) => {
  it('stores a flat file name (restic 0.18 rejects "/" in --stdin-filename), distinct per component', () => {
    for (const name of ['db', 'main-db', 'x1']) {
      const f = engine.fileName(name);
      expect(f).not.toMatch(/[/\\\0]/);
      expect(f.startsWith(name)).toBe(true);
      expect(f.length).toBeGreaterThan(name.length);
    }
    expect(engine.fileName('a')).not.toBe(engine.fileName('b'));
  });

  it('dump: the password is in the environment, never in argv or stdin text', () => {
    const d = engine.dump(full);
    expect(visible(d)).not.toContain(PASSWORD);
    expect(Object.values(d.env ?? {})).toContain(PASSWORD);
    expect(d.args).toContain(full.host);
    expect(d.args).toContain(String(full.port));
  });

  it('dump: no shell, arguments are plain strings', () => {
    const d = engine.dump(full);
    expect(d.cmd).not.toMatch(/(^|\/)(ba|z|da)?sh$/);
    for (const a of d.args) expect(typeof a).toBe('string');
  });

  it('dump: a database engine names the database; no password means no password variable', () => {
    const d = engine.dump(full);
    if (engine.recreate) expect(d.args.join(' ')).toContain('shop');
    const anon = engine.dump({ host: 'h', port: 1, database: 'shop' });
    expect(Object.values(anon.env ?? {})).not.toContain(undefined);
    expect(Object.keys(anon.env ?? {}).filter((k) => /PASS|PWD|AUTH/.test(k))).toEqual([]);
  });

  it('no spec ever carries the password where it can be seen; those that connect carry it in env', () => {
    for (const s of allSpecs(engine, full)) {
      expect(visible(s)).not.toContain(PASSWORD);
      const connects = s.args.includes(full.host);
      if (connects) expect(Object.values(s.env ?? {})).toContain(PASSWORD);
    }
  });

  it('restore reads the spooled file by path or from stdin, and targets the given endpoint', () => {
    const specs = engine.restore(full, '/scratch/restore-1-x', { jobs: 1, clean: false });
    if (!specs.length) {
      expect(engine.restoreFromFile, 'an engine without restore specs must restore by restoreFromFile').toBeTypeOf('function');
      return;
    }
    for (const s of specs) expect(s.args).toContain(full.host);
    // libpq tools get the database as a conninfo string (a bare name with "=" would be read as one).
    if (engine.recreate) expect(specs.some((s) => s.args.includes('shop') || s.args.includes("dbname='shop'"))).toBe(true);
  });

  it('recreate and drop quote the database identifier (a quote in the name cannot end it)', () => {
    if (!engine.recreate) {
      expect(engine.drop).toBeUndefined();
      return;
    }
    const sql = [...engine.recreate(weird), ...(engine.drop?.(weird) ?? [])].map((s) => s.args.join(' ')).join('\n');
    const quoted = engine.type === 'mysql' ? '`we"ird``name`' : '"we""ird`name"';
    expect(sql).toContain(`DROP DATABASE IF EXISTS ${quoted}`);
    expect(sql).toContain(`CREATE DATABASE ${quoted}`);
    // Besides the quoted identifier, PostgreSQL names the database as a string literal (ending its sessions first).
    const literal = `'${weird.database!.replace(/'/g, "''")}'`;
    expect(sql.replaceAll(quoted, '').replaceAll(literal, '')).not.toMatch(/we"ird/);
  });

  it('has a way to check a stored dump: a list mode on stdin, a file check, or a SQL trailer', () => {
    const check = engine.checkFile?.('/scratch/f');
    expect(engine.list !== undefined || check !== undefined).toBe(true);
    if (check && check !== 'sql-trailer') expect(check.args).toContain('/scratch/f');
  });

  it('probes versions with a judge that records both versions', () => {
    const probe = engine.versions?.(full);
    expect(probe).toBeDefined();
    expect(probe!.client.args.join(' ')).toMatch(/--version/);
  });

  it('builds the same specs twice (pure: no hidden state, no I/O)', () => {
    expect(allSpecs(engine, full)).toEqual(allSpecs(engine, full));
  });
});
