// The drill's checks: always-on (every component restored, tables present) and the user's (SQL, row counts, Redis keys, hooks).
import { createReadStream, mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { SafeholdError } from '../../errors.js';
import type { Component } from '../../values/components.js';
import type { DrillCheck } from '../../values/schema.js';
import { targetEndpoint } from '../components/stream.js';
import type { Prepared } from '../components/types.js';
import type { RunContext } from '../context.js';
import { RespClient } from '../engines/resp.js';
import type { Endpoint } from '../engines/types.js';
import { runHooks } from '../hooks/run.js';
import { BINARIES, binaryPath } from '../binaries.js';
import { run } from '../process/spawn.js';
import {
  countRowsSql,
  createdTables,
  dialectOf,
  keyspaceKeys,
  missingFromToc,
  parseTables,
  sqlQuery,
  tablesSql,
  tocTables,
  type SqlDialect,
} from './queries.js';
import { describeTarget, type DrillTarget, type ServerTarget } from './targets.js';

export interface CheckResult {
  /** `drill.checks[2]` for a user check, `always-on` otherwise. */
  readonly check: string;
  readonly component?: string;
  /** What was checked: the query, the table, the hook. */
  readonly what: string;
  readonly ok: boolean;
  /** What the check found (on failure: what it got, or the error). */
  readonly got: string;
}

export function formatFailure(r: CheckResult): string {
  return `${r.check} (${r.component ? `component ${r.component}: ` : ''}${r.what}): ${r.got}`;
}

/** A drill whose checks did not hold: the message names each failing check and what it got. */
export class DrillCheckError extends SafeholdError {
  constructor(readonly results: readonly CheckResult[]) {
    const failed = results.filter((r) => !r.ok);
    super(`drill failed: ${failed.length} check(s) did not hold:\n  ${failed.map(formatFailure).join('\n  ')}`);
  }
}

/** What the drill learnt from a verified dump before it was applied: the tables it creates. */
export interface DumpTables {
  readonly dialect: SqlDialect;
  /** postgres: "<schema> <name>[ <owner>]" TOC entries; mysql: table names. */
  readonly tables: readonly string[];
}

/** Reads the table list of a spooled dump (pg_restore --list; CREATE TABLE lines of a SQL dump). */
export async function dumpTables(c: Component, p: Prepared): Promise<DumpTables | undefined> {
  if (!p.file) return undefined;
  if (c.type === 'postgres') {
    const res = await run({ cmd: binaryPath(BINARIES.pgRestore), args: ['--list', p.file] });
    return { dialect: 'postgres', tables: tocTables(res.stdout) };
  }
  if (c.type === 'mysql') {
    const tables: string[] = [];
    const lines = createInterface({ input: createReadStream(p.file), crlfDelay: Infinity });
    for await (const line of lines) {
      if (!line.startsWith('CREATE TABLE')) continue;
      const name = createdTables(line);
      if (name) tables.push(name);
    }
    return { dialect: 'mysql', tables };
  }
  return undefined;
}

const firstLines = (s: string, n = 3) => s.trim().split('\n').slice(0, n).join(' | ');

async function query(dialect: SqlDialect, e: Endpoint, sql: string): Promise<string> {
  return (await run(sqlQuery(dialect, e), sql)).stdout.trim();
}

/** Keys in every database of a Redis server (INFO keyspace). */
export async function redisKeys(e: Endpoint): Promise<number> {
  const client = await RespClient.connect({ host: e.host, port: e.port });
  try {
    await client.auth({ username: e.username, password: e.password });
    const info = await client.call('INFO', 'keyspace');
    return keyspaceKeys(Buffer.isBuffer(info) ? info.toString('utf8') : String(info));
  } finally {
    client.close();
  }
}

/** Empties a scratch Redis server (before the restore and after the drill). */
export async function flushRedis(e: Endpoint): Promise<void> {
  const client = await RespClient.connect({ host: e.host, port: e.port });
  try {
    await client.auth({ username: e.username, password: e.password });
    await client.call('FLUSHALL');
  } finally {
    client.close();
  }
}

export interface CheckInput {
  readonly ctx: RunContext;
  readonly targets: readonly DrillTarget[];
  /** Components the restore reported restored. */
  readonly restored: readonly string[];
  readonly dumps: ReadonlyMap<string, DumpTables>;
  readonly setId: string;
}

/** The scratch endpoint of a server target, with the credentials the restore used. */
export function scratchEndpoint(ctx: RunContext, t: ServerTarget): Endpoint {
  const c = ctx.values.components.find((x) => x.name === t.component)!;
  return targetEndpoint(c, ctx.secrets, t.restore);
}

/** Runs one check, turning any error into a failed result that says what happened. */
async function attempt(base: Omit<CheckResult, 'ok' | 'got'>, fn: () => Promise<{ ok: boolean; got: string }>): Promise<CheckResult> {
  try {
    return { ...base, ...(await fn()) };
  } catch (e) {
    return { ...base, ok: false, got: `error: ${firstLines((e as Error).message, 4)}` };
  }
}

/** Always-on: every component restored; each SQL scratch database holds tables, and every table of the dump. */
export async function alwaysOnChecks(i: CheckInput): Promise<CheckResult[]> {
  const results: CheckResult[] = [];
  for (const t of i.targets) {
    if (t.kind === 'skipped') continue;
    const restored = i.restored.includes(t.component);
    results.push({
      check: 'always-on',
      component: t.component,
      what: `restored into ${describeTarget(t)}`,
      ok: restored,
      got: restored ? 'restored' : 'not restored',
    });
    if (!restored || t.kind !== 'server') continue;
    const dialect = dialectOf(t.type);
    if (!dialect) continue;
    const e = scratchEndpoint(i.ctx, t);
    const dump = i.dumps.get(t.component);
    results.push(
      await attempt(
        { check: 'always-on', component: t.component, what: `the scratch database ${t.database} holds tables${dump ? ', every table of the dump' : ''}` },
        async () => {
          const tables = parseTables(await query(dialect, e, tablesSql(dialect)));
          if (!tables.length) return { ok: false, got: 'no table in the restored database' };
          if (!dump) return { ok: true, got: `${tables.length} tables` };
          const missing =
            dump.dialect === 'postgres'
              ? missingFromToc(dump.tables, tables)
              : dump.tables.filter((n) => !tables.some(([, name]) => name.toLowerCase() === n.toLowerCase()));
          if (missing.length)
            return {
              ok: false,
              got: `${missing.length} of ${dump.tables.length} tables of the dump missing: ${missing.slice(0, 10).join(', ')}${missing.length > 10 ? ', …' : ''}`,
            };
          return { ok: true, got: `${tables.length} tables, all ${dump.tables.length} of the dump present` };
        },
      ),
    );
  }
  return results;
}

function describeCheck(chk: DrillCheck): string {
  if ('sql' in chk) return `sql ${JSON.stringify(chk.sql)} expecting ${JSON.stringify(chk.expect)}`;
  if ('table' in chk) return `table ${chk.table} has at least ${chk.minRows} rows`;
  if ('redisMinKeys' in chk) return `at least ${chk.redisMinKeys} keys`;
  return `hook ${chk.hook.name} (${chk.hook.type})`;
}

/** The values' checks, in order; every one runs, each failure says what it got. */
export async function userChecks(i: CheckInput): Promise<CheckResult[]> {
  const checks = i.ctx.values.drill?.checks ?? [];
  const results: CheckResult[] = [];
  for (const [n, chk] of checks.entries()) {
    const component = 'component' in chk ? chk.component : undefined;
    const base = { check: `drill.checks[${n}]`, component, what: describeCheck(chk) };
    if ('hook' in chk) {
      results.push(await attempt(base, () => hookCheck(i, chk.hook, n)));
      continue;
    }
    const t = i.targets.find((x) => x.component === component);
    if (!t || t.kind !== 'server' || !i.restored.includes(t.component)) {
      results.push({
        ...base,
        ok: false,
        got: t?.kind === 'skipped' ? `component not restored (${t.reason})` : t ? `a ${t.type} component has no scratch server to query` : 'no such component',
      });
      continue;
    }
    const e = scratchEndpoint(i.ctx, t);
    const dialect = dialectOf(t.type);
    results.push(
      await attempt(base, async () => {
        if ('redisMinKeys' in chk) {
          if (t.type !== 'redis') return { ok: false, got: `redisMinKeys needs a redis component, this one is ${t.type}` };
          const keys = await redisKeys(e);
          return { ok: keys >= chk.redisMinKeys, got: `${keys} keys` };
        }
        if (!dialect) return { ok: false, got: `SQL checks need a postgres, mysql or cockroachdb component, this one is ${t.type}` };
        if ('sql' in chk) {
          const got = await query(dialect, e, chk.sql);
          return { ok: got === chk.expect.trim(), got: JSON.stringify(got) };
        }
        const rows = Number(await query(dialect, e, countRowsSql(dialect, chk.table)));
        return { ok: rows >= chk.minRows, got: `${rows} rows` };
      }),
    );
  }
  return results;
}

/** A hook check passes when the hook succeeds; it finds the scratch targets in {{artifacts}}/drill-targets.json. */
async function hookCheck(i: CheckInput, hook: Extract<DrillCheck, { hook: unknown }>['hook'], n: number): Promise<{ ok: boolean; got: string }> {
  const artifactsDir = join(i.ctx.scratchDir, `drill-hook-${i.setId}-${n}`);
  mkdirSync(artifactsDir, { recursive: true, mode: 0o700 });
  const places = Object.fromEntries(
    i.targets.map((t) => [
      t.component,
      t.kind === 'server'
        ? { host: t.host, port: t.port, database: t.database }
        : t.kind === 'directory'
          ? { directory: t.directory }
          : t.kind === 'dry-run'
            ? { dryRunNamespace: t.namespace }
            : { skipped: t.reason },
    ]),
  );
  try {
    writeFileSync(join(artifactsDir, 'drill-targets.json'), `${JSON.stringify(places, null, 2)}\n`, { mode: 0o600 });
    // onError: continue makes a hook check advisory: its failure is logged, the check holds.
    await runHooks(`drill.checks[${n}]`, [hook], i.ctx, { artifactsDir, setId: i.setId });
    return { ok: true, got: 'hook succeeded' };
  } finally {
    rmSync(artifactsDir, { recursive: true, force: true });
  }
}
