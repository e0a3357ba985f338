// The drill's last line of defence: whatever the values say, no scratch target may be a production place.
import { lookup } from 'node:dns/promises';
import { isIP } from 'node:net';
import { relative } from 'node:path';
import { DRILL_DATABASE_PREFIX } from '../../contract/drill.js';
import { RefusedError } from '../../errors.js';
import type { Values } from '../../values/schema.js';
import { targetEndpoint } from '../components/stream.js';
import type { RunContext } from '../context.js';
import { run } from '../process/spawn.js';
import { redisKeys, scratchEndpoint } from './checks.js';
import { databaseExistsSql, dialectOf, sqlQuery } from './queries.js';
import { describeTarget, hostPort, type DrillTarget, type ServerTarget } from './targets.js';

/** A server endpoint of production (or of a scratch target). */
export interface Place {
  readonly component: string;
  readonly host: string;
  readonly port: number;
  readonly database?: string;
}

/** The addresses a host name resolves to; [] when it does not resolve. Injected in tests. */
export type AddressLookup = (host: string) => Promise<string[]>;

const LOOPBACK_NAMES = new Set([
  'localhost',
  'localhost.localdomain',
  'ip6-localhost',
  'ip6-loopback',
  '::1',
  '0:0:0:0:0:0:0:1',
  '0.0.0.0',
  '::',
  '0:0:0:0:0:0:0:0',
]);

/** Lowercase, no brackets or trailing dot; every spelling of this machine (localhost, 127.x, ::1) becomes "loopback". */
export function canonicalHost(host: string): string {
  let h = host
    .trim()
    .toLowerCase()
    .replace(/^\[(.*)\]$/, '$1')
    .replace(/\.$/, '');
  const mapped = /^::ffff:(\d+\.\d+\.\d+\.\d+)$/.exec(h);
  if (mapped) h = mapped[1];
  if (LOOPBACK_NAMES.has(h) || h.endsWith('.localhost') || /^127\.\d+\.\d+\.\d+$/.test(h)) return 'loopback';
  return h;
}

/** Resolves names through the system resolver (what the database clients use), bounded in time. */
export const systemLookup: AddressLookup = async (host) => {
  if (isIP(host.replace(/^\[(.*)\]$/, '$1'))) return [];
  const timeout = new Promise<string[]>((resolve) => setTimeout(() => resolve([]), 5000).unref());
  const found = lookup(host, { all: true }).then(
    (list) => list.map((a) => a.address),
    () => [] as string[],
  );
  return Promise.race([found, timeout]);
};

/** The production endpoints of the values: every component that has a server. */
export function productionPlaces(v: Values): Place[] {
  return v.components.flatMap((c) =>
    'host' in c ? [{ component: c.name, host: c.host, port: c.port, database: 'database' in c ? c.database : undefined }] : [],
  );
}

/** Every name a host is known by: its canonical spelling and the canonical form of each address it resolves to. */
async function identities(hosts: readonly string[], resolve: AddressLookup): Promise<Map<string, Set<string>>> {
  const out = new Map<string, Set<string>>();
  await Promise.all(
    [...new Set(hosts)].map(async (h) => {
      const ids = new Set([canonicalHost(h)]);
      for (const a of await resolve(h).catch(() => [] as string[])) ids.add(canonicalHost(a));
      out.set(h, ids);
    }),
  );
  return out;
}

const overlaps = (a: Set<string>, b: Set<string>) => [...a].some((x) => b.has(x));
/** Database names compared case-insensitively: MySQL on some filesystems folds case, and refusing too much is safe. */
const sameDatabase = (a?: string, b?: string) => a === undefined || b === undefined || a.toLowerCase() === b.toLowerCase();
const where = (p: Place) => `${hostPort(p.host, p.port)}${p.database ? `/${p.database}` : ''}`;

/** Paths that are equal or nested either way. */
function nested(a: string, b: string): boolean {
  const r1 = relative(a, b);
  const r2 = relative(b, a);
  return r1 === '' || !(r1.startsWith('..') || r1.startsWith('/')) || !(r2.startsWith('..') || r2.startsWith('/'));
}

/**
 * Why these targets would touch production: a server target on the same host (case-insensitive,
 * loopback spellings equal, resolved addresses compared) and port as a production component and,
 * where both name one, the same database; two targets on the same place; a scratch directory
 * overlapping production files or the repository. Kubernetes objects are checked with a server-side
 * dry run (dryRun=All: the API server validates and stores nothing) in their own namespace.
 */
export async function guardProblems(v: Values, targets: readonly DrillTarget[], resolve: AddressLookup = systemLookup): Promise<string[]> {
  const prod = productionPlaces(v);
  const servers = targets.filter((t): t is ServerTarget => t.kind === 'server');
  const ids = await identities([...prod.map((p) => p.host), ...servers.map((t) => t.host)], resolve);
  const same = (a: Place, b: Place) => a.port === b.port && sameDatabase(a.database, b.database) && overlaps(ids.get(a.host)!, ids.get(b.host)!);
  const problems: string[] = [];
  servers.forEach((t, i) => {
    for (const p of prod) {
      if (same(t, p))
        problems.push(
          `drill target of ${t.component} (${describeTarget(t)}) is the production ${p.database ? 'database' : 'server'} of component ${p.component} (${where(p)})`,
        );
    }
    for (const o of servers.slice(i + 1)) {
      if (same(t, o)) problems.push(`drill targets of ${t.component} and ${o.component} are the same place (${describeTarget(t)})`);
    }
  });
  for (const t of targets) {
    if (t.kind === 'directory') {
      const prodPaths = [
        ...v.components.flatMap((c) => (c.type === 'files' ? [...c.paths, ...(c.restoreTo ? [c.restoreTo] : [])] : [])),
        ...(v.repository.local ? [v.repository.local.path] : []),
      ];
      for (const p of prodPaths) if (nested(t.directory, p)) problems.push(`drill target of ${t.component} (${t.directory}) overlaps the production path ${p}`);
    }
  }
  return problems;
}

/** Throws a RefusedError (exit 3) naming every clash; nothing has been changed when it does. */
export async function refuseProductionTargets(v: Values, targets: readonly DrillTarget[], resolve?: AddressLookup): Promise<void> {
  const problems = await guardProblems(v, targets, resolve);
  if (problems.length) throw new RefusedError(`drill refused, nothing was changed: a scratch target is production\n  ${problems.join('\n  ')}`);
}

/**
 * A drill drops and recreates its scratch database. One that already exists and is not named
 * safehold_drill_* was not made by a drill — perhaps another application's database on the same
 * server, which the values cannot know about — so the drill refuses rather than drop it.
 * A non-sidecar Redis target must hold no key at all. Sidecars are skipped: they are fresh servers of this pod.
 */
export async function refuseForeignDatabases(ctx: RunContext, targets: readonly DrillTarget[]): Promise<void> {
  const problems: string[] = [];
  for (const t of targets) {
    if (t.kind === 'server' && !t.sidecar && t.type === 'redis') {
      // A scratch Redis server is the whole server: the drill flushes it, so it must be proven empty first.
      const keys = await redisKeys(scratchEndpoint(ctx, t));
      if (keys > 0)
        problems.push(
          `drill target of ${t.component} (${describeTarget(t)}) is a Redis server holding ${keys} key(s): a drill restores only into an empty server or a sidecar (drill.targets.${t.component}.sidecar: true)`,
        );
      continue;
    }
    if (t.kind !== 'server' || t.sidecar || !t.database || t.database.toLowerCase().startsWith(DRILL_DATABASE_PREFIX)) continue;
    const dialect = dialectOf(t.type);
    const c = ctx.values.components.find((x) => x.name === t.component);
    if (!dialect || !c) continue;
    const e = { ...targetEndpoint(c, ctx.secrets, t.restore), database: undefined };
    const found = (await run(sqlQuery(dialect, e), databaseExistsSql(dialect, t.database))).stdout.trim();
    if (found !== '0')
      problems.push(
        `drill target of ${t.component} (${describeTarget(t)}) is an existing database not made by a drill (not ${DRILL_DATABASE_PREFIX}*): the drill would drop it`,
      );
  }
  if (problems.length) throw new RefusedError(`drill refused, nothing was changed:\n  ${problems.join('\n  ')}`);
}
