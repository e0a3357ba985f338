// The engines' builders are pure (docs/engines.md): the same input gives the same specs, whatever the environment,
// and they name programs (BINARIES) that the process module resolves when it starts them.
import { afterEach, describe, expect, it } from 'vitest';
import { BINARIES, binaryEnvKey } from '../../src/runner/binaries.js';
import '../../src/runner/engines/all.js';
import { streamEngines } from '../../src/runner/engines/index.js';
import type { Endpoint, RestoreOptions, StreamEngine } from '../../src/runner/engines/types.js';
import { run } from '../../src/runner/process/spawn.js';

const ENDPOINT: Endpoint = {
  host: 'db.example.svc',
  port: 5432,
  database: 'shop',
  username: 'backup',
  password: 'not-in-argv',
  sslMode: 'verify-full',
  tls: { caFile: '/secrets/ca/ca.crt', certFile: '/secrets/client/tls.crt', keyFile: '/scratch/tls.key' },
};
const OPTIONS: RestoreOptions = { jobs: 2, clean: true, noOwner: false, noPrivileges: true };

/** Every builder of an engine, called once. */
function built(e: StreamEngine): unknown {
  return {
    fileName: e.fileName('db'),
    dump: e.dump(ENDPOINT),
    versions: e.versions?.(ENDPOINT),
    list: e.list?.(),
    checkFile: e.checkFile?.('/scratch/db.dump'),
    restore: e.restore(ENDPOINT, '/scratch/db.dump', OPTIONS),
    recreate: e.recreate?.(ENDPOINT),
    drop: e.drop?.(ENDPOINT),
  };
}

const saved = { ...process.env };
afterEach(() => {
  for (const k of Object.keys(process.env)) if (!(k in saved)) delete process.env[k];
  Object.assign(process.env, saved);
});

describe('engine builders', () => {
  it('every engine is covered', () => {
    expect(
      streamEngines()
        .map((e) => e.type)
        .sort(),
    ).toEqual(['cockroachdb', 'mysql', 'postgres', 'redis']);
  });

  for (const engine of streamEngines()) {
    it(`${engine.type}: the same input gives the same specs, whatever SAFEHOLD_BIN_* and PATH say`, () => {
      const first = built(engine);
      for (const bin of Object.values(BINARIES)) process.env[binaryEnvKey(bin)] = `/elsewhere/${bin}`;
      process.env.PATH = '/nowhere';
      expect(built(engine)).toEqual(first);
      expect(JSON.stringify(first)).not.toContain('/elsewhere/');
    });

    it(`${engine.type}: every spec names a program of BINARIES, not a path`, () => {
      const specs = JSON.stringify(built(engine), (k, v) => (typeof v === 'function' ? undefined : v));
      const cmds = [...specs.matchAll(/"cmd":"([^"]+)"/g)].map((m) => m[1]);
      expect(cmds.length).toBeGreaterThan(2);
      const known: string[] = Object.values(BINARIES);
      expect(cmds.filter((c) => !known.includes(c))).toEqual([]);
    });
  }

  it('the process module resolves a named program through its SAFEHOLD_BIN_* override when it starts it', async () => {
    process.env[binaryEnvKey(BINARIES.psql)] = '/bin/echo';
    const r = await run({ cmd: BINARIES.psql, args: ['resolved', 'at', 'spawn'] });
    expect(r.stdout.trim()).toBe('resolved at spawn');
  });
});
