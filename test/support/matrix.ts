// The version matrix the engine round trips run on: each engine's two server majors (Debian 12's and the image's
// Debian release), both with the image's client tools and restic 0.18 — the combination users run.
import { afterAll, beforeAll } from 'vitest';
import { chooseServer, servers, type DatabaseServers } from './env.js';
import { withEnv } from './with-env.js';

export interface Variant {
  readonly engine: keyof DatabaseServers;
  /** "PostgreSQL 17": for test titles. */
  readonly name: string;
  /** The server's major ("17", "11.8"): what its reported version starts with. */
  readonly major: string;
  /** Runs in the image's root filesystem (servers().newer), else on the host. */
  readonly newer: boolean;
}

const variant = (engine: Variant['engine'], product: string, major: string, newer: boolean): Variant => ({ engine, name: `${product} ${major}`, major, newer });

export const MATRIX: Readonly<Record<Variant['engine'], readonly Variant[]>> = {
  postgres: [variant('postgres', 'PostgreSQL', '15', false), variant('postgres', 'PostgreSQL', '17', true)],
  mariadb: [variant('mariadb', 'MariaDB', '10.11', false), variant('mariadb', 'MariaDB', '11.8', true)],
  redis: [variant('redis', 'Redis', '7', false), variant('redis', 'Redis', '8', true)],
};

/** describe.each rows [name, variant]: a title's %s is the plain name ("PostgreSQL 17"). */
export const rows = (engine: Variant['engine']): Array<[string, Variant]> => MATRIX[engine].map((v) => [v.name, v]);

/** A server version that belongs to the variant's major: "17.12" for 17, "11.8.9-MariaDB" for 11.8. */
export const majorPattern = (v: Variant): RegExp => new RegExp(`^${v.major.replace('.', '\\.')}\\.`);

/** The image's clients and restic 0.18 for the tests of the enclosing describe, without choosing a server. */
export function useImageTools(): void {
  let undo: (() => void) | undefined;
  beforeAll(() => {
    undo = withEnv(servers().image.env);
  });
  afterAll(() => undo?.());
}

/**
 * Inside a describe: its tests run against the variant's server (servers().postgres etc. and every fixture built
 * from them point there) with the image's clients and restic 0.18.
 */
export function onVariant(v: Variant): void {
  beforeAll(() => {
    chooseServer(v.engine, v.newer ? servers().newer[v.engine] : undefined);
  });
  useImageTools();
  afterAll(() => chooseServer(v.engine, undefined));
}
