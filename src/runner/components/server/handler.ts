// Whole-server components (`databases:`): one stream per database — each the single-database path of stream.ts,
// reused whole (dump, globals, checks, side-database swap) — plus the server's roles/accounts; docs/whole-servers.md.
import { SafeholdError } from '../../../errors.js';
import type { Component } from '../../../values/components.js';
import type { ServerComponent } from '../../../values/server-rules.js';
import type { RunContext } from '../../context.js';
import { endpointOf } from '../../engines/index.js';
import { captureMysqlServer, listSchemas, type MysqlServerGlobals } from '../../engines/mysql-server-globals.js';
import { globalsScript, type PgServerGlobals } from '../../engines/pg-server-globals.js';
import type { Endpoint } from '../../engines/types.js';
import type { Logger } from '../../log.js';
import type { ComponentRecord, DatabaseRecord } from '../../sets.js';
import { readGlobals, storeGlobals } from '../globals.js';
import { streamHandler } from '../stream.js';
import type { ComponentHandler } from '../types.js';
import { applyMysqlServer, planMysqlServer } from './mysql-server.js';
import { capturePgServer, listPgDatabases, planPgServer, stagePgServer } from './pg-server.js';
import { serverPrepared, type DatabasePart, type ServerPrepared } from './prepared.js';
import { chooseRestored, databaseComponent, selectDatabases } from './select.js';

interface EngineOps {
  list(e: Endpoint): Promise<string[]>;
  capture(e: Endpoint, passwords: boolean, log: Logger, component: string): Promise<unknown>;
}

const OPS: Record<ServerComponent['type'], EngineOps> = {
  postgres: { list: listPgDatabases, capture: capturePgServer },
  mysql: { list: listSchemas, capture: (e, passwords) => captureMysqlServer(e, passwords) },
};

const asServer = (c: Component) => c as ServerComponent;

function serverOf(c: Component, rec: ComponentRecord) {
  if (!rec.server)
    throw new SafeholdError(
      `${c.name}: the set stored it as one database (${rec.fileName}), but the values now say databases:; restore it with database: as it was backed up; nothing was changed`,
    );
  return rec.server;
}

const readServerGlobals = <T>(ctx: RunContext, rec: ComponentRecord) => readGlobals<T>(ctx, { ...rec, globals: rec.server!.globals });

export const serverHandler: ComponentHandler = {
  async backup(c, ctx, t) {
    const s = asServer(c);
    const e = endpointOf(s, ctx.secrets);
    const started = Date.now();
    const ops = OPS[s.type];
    const sel = selectDatabases(s.type, s.databases, await ops.list(e));
    if (sel.missing.length)
      throw new SafeholdError(
        `${c.name}: databases: lists ${sel.missing.map((d) => `"${d}"`).join(', ')}, which ${sel.missing.length > 1 ? 'do' : 'does'} not exist on ${e.host}:${e.port}; nothing was stored (remove ${sel.missing.length > 1 ? 'them' : 'it'} from the list, or write databases: all)`,
      );
    if (!sel.databases.length) ctx.log.warn('no database of the server matches databases:; only the roles/accounts are stored', { component: c.name });
    // Read before the dumps, so that every role or account a dump names is in it.
    const captured = await ops.capture(e, s.passwords ?? false, ctx.log, c.name);
    const globalsText = `${JSON.stringify(captured, null, 2)}\n`;
    const databases: DatabaseRecord[] = [];
    for (const db of sel.databases) {
      // The same object checkStored gets back (stream.ts keys its byte count by it).
      databases.push(Object.assign(await streamHandler.backup(databaseComponent(s, db), ctx, t), { database: db }));
    }
    const where = { host: t.host, tags: t.tags };
    const globals = await storeGlobals(ctx, c, globalsText, where, `${c.name}.server.json`);
    const sql = s.type === 'postgres' ? await storeGlobals(ctx, c, globalsScript(captured as PgServerGlobals), where, `${c.name}.globals.sql`) : undefined;
    const bytes = databases.reduce((n, d) => n + d.bytes, globals.bytes + (sql?.bytes ?? 0));
    ctx.log.info('whole server stored', { component: c.name, databases: sel.databases, bytes, seconds: (Date.now() - started) / 1000 });
    return {
      name: c.name,
      type: c.type,
      snapshotId: globals.snapshotId,
      fileName: globals.fileName,
      bytes,
      sha256: globals.sha256,
      durationMs: Date.now() - started,
      clientVersion: databases[0]?.clientVersion,
      serverVersion: databases[0]?.serverVersion,
      server: { globals, ...(sql ? { sql } : {}), databases },
    };
  },

  async checkStored(c, ctx, rec) {
    const server = serverOf(c, rec);
    for (const d of server.databases) {
      const problem = await streamHandler.checkStored!(databaseComponent(asServer(c), d.database), ctx, d);
      if (problem) return `database ${d.database}: ${problem}`;
    }
    try {
      await readServerGlobals(ctx, rec);
    } catch (e) {
      if (e instanceof SafeholdError) return `stored ${server.globals.fileName} is not readable: ${e.message.split('\n')[0]}`;
      throw e;
    }
    return undefined;
  },

  async plan(c, ctx, rec, o) {
    const s = asServer(c);
    const server = serverOf(c, rec);
    // Checked here, before anything changes: every database restore.databases names is in the set.
    const wanted = ctx.values.restore?.databases;
    const chosen = chooseRestored(c.name, server.databases, wanted);
    const g = await readServerGlobals<PgServerGlobals | MysqlServerGlobals>(ctx, rec).catch(() => undefined);
    const all = !wanted;
    const lines = [
      `${c.name} (${c.type}, whole server ${s.host}:${s.port}): restore ${chosen.length} of the set's ${server.databases.length} databases: ${chosen.map((d) => d.database).join(', ') || 'none'}; databases of the server not named here are not touched`,
      ...(s.type === 'postgres'
        ? await planPgServer(s, ctx, g as PgServerGlobals | undefined, all)
        : await planMysqlServer(s, ctx, g as MysqlServerGlobals | undefined, all)),
    ];
    for (const d of chosen) lines.push(...(await streamHandler.plan(databaseComponent(s, d.database), ctx, d, o)));
    return lines;
  },

  async prepare(c, ctx, rec) {
    const s = asServer(c);
    const server = serverOf(c, rec);
    const wanted = ctx.values.restore?.databases;
    // A safety set holds only the chosen databases that existed: what is in it of the choice is put back.
    const chosen = server.databases.filter((d) => !wanted || wanted.includes(d.database));
    const globals = await readServerGlobals<PgServerGlobals | MysqlServerGlobals>(ctx, rec);
    const parts: DatabasePart[] = [];
    const sp = serverPrepared(globals, parts, !wanted);
    try {
      for (const d of chosen) {
        const dc = databaseComponent(s, d.database);
        parts.push({ rec: d, c: dc, p: await streamHandler.prepare(dc, ctx, d) });
      }
    } catch (e) {
      sp.removeFiles();
      throw e;
    }
    return { bytes: parts.reduce((n, x) => n + x.p.bytes, 0), state: sp };
  },

  async recreate(c, ctx, t, p) {
    for (const part of (p!.state as ServerPrepared).parts) await streamHandler.recreate!(part.c, ctx, t, part.p);
  },

  async stage(c, ctx, _rec, p, o) {
    if (c.type !== 'postgres') return undefined;
    return stagePgServer(asServer(c), ctx, p.state as ServerPrepared, o);
  },

  async apply(c, ctx, _rec, p, o) {
    await applyMysqlServer(asServer(c), ctx, p.state as ServerPrepared, o);
  },
};
