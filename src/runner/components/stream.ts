// The handler shared by every stream engine: dump | restic backup --stdin; restic dump > spool → verify → restore tool,
// or (PostgreSQL into its side database) restic dump | pg_restore, verified against the manifest before the swap.
import { rmSync, statSync } from 'node:fs';
import { open } from 'node:fs/promises';
import { join } from 'node:path';
import { ProcessError, RefusedError, SafeholdError } from '../../errors.js';
import type { Component } from '../../values/components.js';
import type { RunContext } from '../context.js';
import type { SecretStore } from '../secrets.js';
import { endpointOf, requireStreamEngine } from '../engines/index.js';
import type { Endpoint, RestoreOptions, StreamEngine } from '../engines/types.js';
import { strictVerdict } from '../engines/version.js';
import { feedFile, type StreamStats } from '../process/pipe.js';
import { checkHead, hashedPipe } from '../process/pipe-hashed.js';
import { spool } from '../process/read.js';
import { run, start, type ProcessSpec } from '../process/spawn.js';
import { backupStdinArgs, dumpArgs } from '../restic/args.js';
import { summaryOf } from '../restic/client.js';
import { componentTag, type ComponentRecord } from '../sets.js';
import { captureGlobals, readGlobals, storeGlobals } from './globals.js';
import { createMissingAccounts, mysqlDatabaseExists } from './mysql-accounts.js';
import { planPostgres, stagePostgres } from './pg-swap.js';
import type { PgGlobals } from '../engines/postgres-globals.js';
import { createMysqlDatabaseSql, type MysqlGlobals } from '../engines/mysql-globals.js';
import { mysqlStatement, quoteMysqlIdent } from '../engines/mysql.js';
import type { ComponentHandler, Prepared, RestoreTarget } from './types.js';

function endpoint(c: Component, ctx: RunContext, t?: RestoreTarget): Endpoint {
  return targetEndpoint(c, ctx.secrets, t);
}

/** Where a restore into `t` connects (production without `t`); drills run their checks against the same place. */
export function targetEndpoint(c: Component, secrets: SecretStore, t?: RestoreTarget): Endpoint {
  const e = endpointOf(c, secrets, t ? { host: t.host, port: t.port, database: t.database, credentials: t.credentials } : {});
  return t?.connection ? { ...e, ...t.connection } : e;
}

/** Refuses a dump tool that cannot dump this server (each engine judges; PostgreSQL strictly), or warns. */
async function checkVersions(engine: StreamEngine, e: Endpoint, ctx: RunContext, component: string): Promise<{ client?: string; server?: string }> {
  const probe = engine.versions?.(e);
  if (!probe) return {};
  const [client, server] = await Promise.all([run(probe.client), run(probe.server)]);
  const verdict = (probe.judge ?? strictVerdict(probe.client.cmd.split('/').pop()!))(client.stdout, server.stdout);
  if (verdict.refuse) throw new RefusedError(`${verdict.refuse}; nothing was stored`);
  if (verdict.warn) ctx.log.warn(verdict.warn, { component });
  return { client: verdict.client, server: verdict.server };
}

const SQL_TRAILER = /-- Dump completed/;

async function checkSqlTrailer(file: string): Promise<string | undefined> {
  const size = statSync(file).size;
  const fh = await open(file, 'r');
  try {
    const buf = Buffer.alloc(Math.min(4096, size));
    await fh.read(buf, 0, buf.length, size - buf.length);
    return SQL_TRAILER.test(buf.toString('utf8')) ? undefined : 'the SQL dump does not end with "-- Dump completed": truncated';
  } finally {
    await fh.close();
  }
}

async function checkFile(engine: StreamEngine, file: string): Promise<string | undefined> {
  const check = engine.checkFile?.(file);
  if (!check) return undefined;
  if (check === 'sql-trailer') return checkSqlTrailer(file);
  try {
    await run(check);
    return undefined;
  } catch (e) {
    if (e instanceof ProcessError) return `${engine.type} check of the stored dump failed: ${e.message}`;
    throw e;
  }
}

function spoolPath(ctx: RunContext, rec: ComponentRecord): string {
  return join(ctx.scratchDir, `restore-${rec.snapshotId.slice(0, 12)}-${rec.fileName}`);
}

/** Fetches a stored stream into the scratch spool, hashing it on the way; the caller compares and removes it. */
async function fetchSpool(c: Component, ctx: RunContext, rec: ComponentRecord): Promise<{ file: string; stats: StreamStats }> {
  const file = spoolPath(ctx, rec);
  const stats = await spool(ctx.restic.spec(dumpArgs(rec.snapshotId, rec.fileName)), file, ctx.log.progress('fetch', { component: c.name }));
  return { file, stats };
}

/** Bytes each backup record's stream carried into restic (counted on the way in), for checkStored. */
const piped = new WeakMap<ComponentRecord, number>();

export const streamHandler: ComponentHandler = {
  async backup(c, ctx, t) {
    const engine = requireStreamEngine(c);
    const e = endpoint(c, ctx);
    const versions = await checkVersions(engine, e, ctx, c.name);
    // What the database needs to exist again, read before the dump so that every role the dump names is in it.
    const globalsText = await captureGlobals(c, e);
    const fileName = engine.fileName(c.name);
    const started = Date.now();
    const store = ctx.restic.spec(backupStdinArgs({ host: t.host, tags: [...t.tags, componentTag(c.name)], filename: fileName }));
    // The dump's bytes are hashed on their way into restic (one reused buffer): the record's sha256 is known
    // without reading the stream back; checkStored compares the count with restic's (bench/README.md "Backup").
    const progress = ctx.log.progress('backup', { component: c.name });
    const { consumer, stats } = await hashedPipe(engine.dump(e), store, (text) => {
      const done = [...text.matchAll(/"bytes_done":(\d+)/g)].pop();
      if (done) progress(Number(done[1]));
    });
    const summary = summaryOf(consumer.stdout);
    const bytes = summary.total_bytes_processed ?? 0;
    const globals = globalsText === undefined ? undefined : await storeGlobals(ctx, c, globalsText, { host: t.host, tags: t.tags });
    ctx.log.info('component stored', { component: c.name, bytes, snapshot: summary.snapshot_id.slice(0, 8), seconds: (Date.now() - started) / 1000 });
    const rec: ComponentRecord = {
      ...(globals ? { globals } : {}),
      name: c.name,
      type: c.type,
      snapshotId: summary.snapshot_id,
      fileName,
      bytes,
      sha256: stats.sha256,
      durationMs: Date.now() - started,
      clientVersion: versions.client,
      serverVersion: versions.server,
    };
    piped.set(rec, stats.bytes);
    return rec;
  },

  /**
   * The bytes hashed on the way in must be what restic read. Then the stored stream is read back from the
   * repository (restic verifies each chunk's SHA-256 as it reads): with a list mode (pg_restore --list) only the
   * head it needs to prove the dump readable (the custom format's table of contents), else the whole stream,
   * checked by the engine's file check and against the sha256 taken on the way in — which restore verifies
   * before changing anything.
   */
  async checkStored(c, ctx, rec) {
    const engine = requireStreamEngine(c);
    const list = engine.list?.();
    const inWay = piped.get(rec);
    if (inWay !== undefined && inWay !== rec.bytes) return `${inWay} bytes went into restic, but restic read ${rec.bytes} from the dump`;
    try {
      let problem: string | undefined;
      // --no-lock: the read-back is stopped once the checker has the head, and a stopped restic must leave no lock.
      if (list) await checkHead(ctx.restic.spec(['--no-lock', ...dumpArgs(rec.snapshotId, rec.fileName)]), list);
      else {
        const spool = await fetchSpool(c, ctx, rec);
        try {
          problem = await checkFile(engine, spool.file);
        } finally {
          rmSync(spool.file, { force: true });
        }
        if (spool.stats.bytes !== rec.bytes) return `stored stream has ${spool.stats.bytes} bytes, but restic read ${rec.bytes} from the dump`;
        if (spool.stats.sha256 !== rec.sha256)
          return `stored stream's sha256 ${spool.stats.sha256.slice(0, 12)} differs from the dump's ${rec.sha256.slice(0, 12)}`;
      }
      return problem;
    } catch (e) {
      if (e instanceof SafeholdError) return `stored dump is not readable: ${e.message.split('\n')[0]}`;
      throw e;
    }
  },

  async plan(c, ctx, rec, o) {
    const where = o.target
      ? `${o.target.host ?? ('host' in c ? c.host : '')}:${o.target.port ?? ('port' in c ? c.port : '')}`
      : 'host' in c
        ? `${c.host}:${c.port}`
        : '';
    const db = o.target?.database ?? ('database' in c ? c.database : undefined);
    const restoreLine = `${c.name} (${c.type}): restore ${rec.fileName} (${rec.bytes} bytes, snapshot ${rec.snapshotId.slice(0, 8)}) into ${db ? `database ${db} on ` : ''}${where}`;
    if (c.type === 'postgres') {
      const globals = await readGlobals<PgGlobals>(ctx, rec).catch(() => undefined);
      return [restoreLine, ...(await planPostgres(endpoint(c, ctx, o.target), globals, { owners: ownerMode(ctx), drill: !!o.drill }, c.name))];
    }
    const lines: string[] = [];
    if (c.type === 'mysql' && !o.drill && rec.globals)
      lines.push(`${c.name}: create the accounts its DEFINERs and grants name that do not exist on this server (existing accounts are not changed)`);
    if (o.drop && db)
      lines.push(
        `${c.name}: DROP DATABASE ${db} and create it empty first${c.type === 'mysql' && rec.globals ? ' with its recorded charset and collation' : ''}`,
      );
    else if (c.type === 'mysql')
      lines.push(`${c.name}: create database ${db} with its recorded charset and collation if it does not exist; tables in the dump are replaced`);
    lines.push(restoreLine);
    if (c.type === 'redis')
      lines.push(
        `${c.name}: keys in the dump overwrite existing keys${'restoreMode' in c && c.restoreMode === 'flush' ? '; the database is flushed first' : ''}`,
      );
    return lines;
  },

  // PostgreSQL with one restore job: straight from the repository into the side database (nothing live changes
  // before the swap, so the manifest's sha256 is checked after the load; a mismatch throws the side database away).
  streams: (c) => c.type === 'postgres' && c.restoreJobs === 1,

  async prepare(c, ctx, rec, o): Promise<Prepared> {
    const engine = requireStreamEngine(c);
    if (o?.stream && engine.restoreFromStream) return { bytes: rec.bytes, state: await readGlobals(ctx, rec) };
    const { file, stats } = await fetchSpool(c, ctx, rec);
    if (stats.sha256 !== rec.sha256 || stats.bytes !== rec.bytes) {
      rmSync(file, { force: true });
      throw new SafeholdError(
        `${c.name}: the stored dump does not match its manifest (sha256 ${stats.sha256.slice(0, 12)} ≠ ${rec.sha256.slice(0, 12)}); nothing was changed`,
      );
    }
    try {
      const list = engine.list?.();
      if (list) await feedFile(file, list);
      const problem = await checkFile(engine, file);
      if (problem) throw new SafeholdError(`${c.name}: ${problem}; nothing was changed`);
    } catch (e) {
      rmSync(file, { force: true });
      throw e;
    }
    return { file, bytes: stats.bytes, state: await readGlobals(ctx, rec) };
  },

  async recreate(c, ctx, t, p) {
    const engine = requireStreamEngine(c);
    const e = endpoint(c, ctx, t);
    if (c.type === 'mysql') {
      await run(mysqlStatement(e, `DROP DATABASE IF EXISTS ${quoteMysqlIdent(e.database!)}`));
      await run(mysqlStatement(e, createMysqlDatabaseSql(quoteMysqlIdent(e.database!), p?.state as MysqlGlobals | undefined)));
      return;
    }
    for (const spec of engine.recreate?.(e) ?? []) await run(spec);
  },

  async stage(c, ctx, rec, p, o) {
    if (c.type !== 'postgres') return undefined;
    const engine = requireStreamEngine(c);
    const jobs = 'restoreJobs' in c ? c.restoreJobs : 1;
    const io = { start, scratchDir: ctx.scratchDir, log: ctx.log };
    try {
      return await stagePostgres(
        c.name,
        endpoint(c, ctx, o.target),
        p.state as PgGlobals | undefined,
        (into, lo) =>
          p.file ? engine.restoreFromFile!(into, p.file, { jobs, clean: false, ...lo }, io) : loadStreamed(c, ctx, rec, into, { jobs, clean: false, ...lo }),
        { jobs, owners: ownerMode(ctx), drill: !!o.drill },
        ctx.log,
      );
    } finally {
      if (p.file) rmSync(p.file, { force: true });
    }
  },

  async drop(c, ctx, t) {
    const engine = requireStreamEngine(c);
    for (const spec of engine.drop?.(endpoint(c, ctx, t)) ?? []) await run(spec);
  },

  async apply(c, ctx, _rec, p, o) {
    const engine = requireStreamEngine(c);
    const jobs = 'restoreJobs' in c ? c.restoreJobs : 1;
    const opts = { jobs, clean: o.clean, flush: o.flush ?? ('restoreMode' in c && c.restoreMode === 'flush') };
    const target = endpoint(c, ctx, o.target);
    try {
      if (c.type === 'mysql') {
        const g = p.state as MysqlGlobals | undefined;
        if (!o.drill && g) await createMissingAccounts(target, g, ctx.log, c.name);
        if (!(await mysqlDatabaseExists(target))) await run(mysqlStatement(target, createMysqlDatabaseSql(quoteMysqlIdent(target.database!), g)));
      }
      if (engine.restoreFromFile) await engine.restoreFromFile(target, p.file!, opts, { start, scratchDir: ctx.scratchDir, log: ctx.log });
      else for (const spec of engine.restore(target, p.file!, opts)) await runWithFile(spec, p.file!);
    } finally {
      rmSync(p.file!, { force: true });
    }
  },
};

/**
 * The streamed load into a side database: `restic dump | pg_restore`, then the bytes and sha256 compared with the
 * manifest; a mismatch fails the stage, which removes the side database. Where the engine needs a file (a server
 * older than pg_restore), the dump is fetched and verified into the spool first, as prepare() does.
 */
async function loadStreamed(c: Component, ctx: RunContext, rec: ComponentRecord, into: Endpoint, o: RestoreOptions): Promise<void> {
  const engine = requireStreamEngine(c);
  const io = { start, scratchDir: ctx.scratchDir, log: ctx.log };
  const stats = await engine.restoreFromStream!(into, ctx.restic.spec(dumpArgs(rec.snapshotId, rec.fileName)), o, io);
  if (!stats) {
    const p = await streamHandler.prepare(c, ctx, rec);
    try {
      await engine.restoreFromFile!(into, p.file!, o, io);
    } finally {
      rmSync(p.file!, { force: true });
    }
    return;
  }
  if (stats.sha256 !== rec.sha256 || stats.bytes !== rec.bytes)
    throw new SafeholdError(
      `${c.name}: the stored dump does not match its manifest (sha256 ${stats.sha256.slice(0, 12)} ≠ ${rec.sha256.slice(0, 12)}, ${stats.bytes} of ${rec.bytes} bytes); the side database is removed, nothing was changed`,
    );
}

/** restore.owners: keep the recorded owners (default), or give everything to the restore login. */
const ownerMode = (ctx: RunContext) => ctx.values.restore?.owners ?? 'keep';

/** Restore tools that read stdin get the spooled file there; tools that take a path already have it in args. */
async function runWithFile(spec: ProcessSpec, file: string): Promise<void> {
  if (spec.args.includes(file)) await run(spec);
  else await feedFile(file, spec);
}
