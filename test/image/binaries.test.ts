// The Dockerfile agrees with the code: every program the runner may start (BINARIES) is installed
// by the runtime stage, and the image's user, home, entrypoint and labels match the contract.
// Static: needs no image (test/image/image.test.ts checks the built image itself).
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { RUNNER_UID, SCRATCH_DIR } from '../../src/contract/layout.js';
import { BINARIES } from '../../src/runner/binaries.js';
import { VERSION } from '../../src/version.js';
import { PACKAGE_BINARIES, REPO, aptInstalls, readDockerfile, stages } from './dockerfile.js';

const { instructions } = readDockerfile();
const { globalArgs, stages: all } = stages(instructions);
const runtime = all[all.length - 1];
const runs = runtime.instructions.filter((i) => i.keyword === 'RUN').map((i) => i.args);
const installs = runs.flatMap(aptInstalls);
const installed = installs.flatMap((i) => i.packages);

function argDefault(list: typeof instructions, name: string): string | undefined {
  const arg = list.find((i) => i.keyword === 'ARG' && i.args.split('=')[0] === name);
  return arg?.args.includes('=') ? arg.args.slice(arg.args.indexOf('=') + 1) : undefined;
}

function envOf(list: typeof instructions): Record<string, string> {
  const env: Record<string, string> = {};
  for (const i of list.filter((x) => x.keyword === 'ENV')) {
    for (const pair of i.args.split(/\s+/)) {
      const at = pair.indexOf('=');
      if (at > 0) env[pair.slice(0, at)] = pair.slice(at + 1);
    }
  }
  return env;
}

describe('Dockerfile vs src/runner/binaries.ts', () => {
  it('the runtime stage installs packages with apt', () => {
    expect(all.length).toBeGreaterThanOrEqual(2);
    expect(installed.length).toBeGreaterThan(0);
    for (const i of installs) {
      expect(i.options, `apt-get install ${i.packages.join(' ')}`).toContain('--no-install-recommends');
      expect(i.options.some((o) => o === '-y' || o === '--yes')).toBe(true);
    }
  });

  it('every installed package is in the package → programs map (keep the map current)', () => {
    const unknown = installed.filter((p) => !(p in PACKAGE_BINARIES));
    expect(unknown, 'add these to PACKAGE_BINARIES in test/image/dockerfile.ts').toEqual([]);
  });

  it.each(Object.entries(BINARIES))('BINARIES.%s (%s) is provided by an installed package', (_key, bin) => {
    const providers = installed.filter((p) => PACKAGE_BINARIES[p]?.includes(bin));
    expect(providers, `no package in the Dockerfile's runtime stage provides ${bin}`).not.toEqual([]);
  });

  it('node (the runner) and tini (the init) are installed', () => {
    for (const bin of ['node', 'tini']) {
      expect(
        installed.some((p) => PACKAGE_BINARIES[p]?.includes(bin)),
        bin,
      ).toBe(true);
    }
  });
});

describe('Dockerfile vs the pod contract (src/contract/layout.ts)', () => {
  it('every stage is built on the BASE argument, by default debian:trixie-slim', () => {
    expect(argDefault(globalArgs, 'BASE')).toBe('docker.io/library/debian:trixie-slim');
    for (const s of all) expect(s.from).toBe('${BASE}');
  });

  it(`runs as ${RUNNER_UID} with a passwd entry whose home is ${SCRATCH_DIR}`, () => {
    const users = runtime.instructions.filter((i) => i.keyword === 'USER').map((i) => i.args);
    expect(users.at(-1)).toMatch(new RegExp(`^${RUNNER_UID}(:${RUNNER_UID})?$`));
    const passwd = runs.join('\n');
    expect(passwd).toContain(`safehold:x:${RUNNER_UID}:${RUNNER_UID}:`);
    expect(passwd).toMatch(new RegExp(`safehold:x:${RUNNER_UID}:${RUNNER_UID}:[^:]*:${SCRATCH_DIR}:`));
    expect(passwd).toContain(`safehold:x:${RUNNER_UID}:`);
  });

  it(`HOME and TMPDIR are ${SCRATCH_DIR} (restic's cache; the root filesystem is read-only)`, () => {
    const env = envOf(runtime.instructions);
    expect(env.HOME).toBe(SCRATCH_DIR);
    expect(env.TMPDIR).toBe(SCRATCH_DIR);
    expect(runtime.instructions.filter((i) => i.keyword === 'WORKDIR').at(-1)?.args).toBe(SCRATCH_DIR);
  });

  it('tini is PID 1 (-g: a signal reaches the runner, which stops its children in order) and starts the safehold CLI; --help by default', () => {
    const entrypoint = JSON.parse(runtime.instructions.filter((i) => i.keyword === 'ENTRYPOINT').at(-1)!.args);
    expect(entrypoint.slice(0, 3)).toEqual(['/usr/bin/tini', '-g', '--']);
    expect(entrypoint.at(-1)).toMatch(/\/safehold(\.mjs)?$/);
    expect(JSON.parse(runtime.instructions.filter((i) => i.keyword === 'CMD').at(-1)!.args)).toEqual(['--help']);
  });

  it('carries the OCI labels; the VERSION default is the release version', () => {
    const labels = runtime.instructions
      .filter((i) => i.keyword === 'LABEL')
      .map((i) => i.args)
      .join(' ');
    for (const key of ['title', 'version', 'source', 'licenses']) {
      expect(labels).toContain(`org.opencontainers.image.${key}=`);
    }
    expect(argDefault(runtime.instructions, 'VERSION')).toBe(VERSION);
    const pkg = JSON.parse(readFileSync(join(REPO, 'package.json'), 'utf8')) as { version: string; license: string };
    expect(pkg.version).toBe(VERSION);
    expect(labels).toContain(`org.opencontainers.image.licenses="${pkg.license}"`);
  });

  it('.dockerignore lets in every file the build stage copies from the context', () => {
    const ignore = readFileSync(join(REPO, '.dockerignore'), 'utf8')
      .split('\n')
      .map((l) => l.trim())
      .filter((l) => l && !l.startsWith('#'));
    expect(ignore[0]).toBe('*'); // an allow-list: nothing else (node_modules, .tmp, .git) reaches the build
    const allowed = new Set(ignore.filter((l) => l.startsWith('!')).map((l) => l.slice(1).replace(/\/$/, '')));
    const sources = all
      .flatMap((s) => s.instructions)
      .filter((i) => i.keyword === 'COPY' && !i.args.startsWith('--from'))
      .flatMap((i) =>
        i.args
          .split(/\s+/)
          .slice(0, -1)
          .filter((w) => !w.startsWith('--')),
      );
    expect(sources.length).toBeGreaterThan(0);
    for (const src of sources) expect(allowed, src).toContain(src.replace(/^\.\//, '').replace(/\/$/, ''));
  });
});
