// PostgreSQL, a whole server: capture of its roles and tablespaces at backup; at restore the missing ones created,
// then every database staged beside its live one (components/pg-swap.ts) and all swapped in together — or none.
import { RefusedError, SafeholdError } from '../../../errors.js';
import type { ServerComponent } from '../../../values/server-rules.js';
import type { RunContext } from '../../context.js';
import { endpointOf } from '../../engines/index.js';
import { dropDatabaseSql, psql, psqlScript } from '../../engines/postgres.js';
import { quoteIdent } from '../../engines/pg-quote.js';
import { createRolesScript, missingRoles } from '../../engines/postgres-globals.js';
import {
  createTablespaceSql,
  LIST_DATABASES_SQL,
  PASSWORDS_SQL,
  serverGlobalsSql,
  USER_OBJECTS_SQL,
  type PgServerGlobals,
} from '../../engines/pg-server-globals.js';
import type { Endpoint } from '../../engines/types.js';
import type { Logger } from '../../log.js';
import { run } from '../../process/spawn.js';
import { pgSideNames, refuseOldServer, serverState, swapBack, type Staged } from '../pg-swap.js';
import { streamHandler } from '../stream.js';
import type { ApplyOptions } from '../types.js';
import type { ServerPrepared } from './prepared.js';

const server = (e: Endpoint): Endpoint => ({ ...e, database: undefined });
const script = (e: Endpoint, sql: string) => run(psqlScript(server(e)), `SET standard_conforming_strings = on;\n${sql}\n`);

export async function listPgDatabases(e: Endpoint): Promise<string[]> {
  return JSON.parse((await run(psql(server(e), LIST_DATABASES_SQL))).stdout) as string[];
}

/** The roles (verifiers only when asked and readable) and tablespaces of the server. */
export async function capturePgServer(e: Endpoint, passwords: boolean, log: Logger, component: string): Promise<PgServerGlobals> {
  const readable = passwords && (await run(psql(server(e), PASSWORDS_SQL))).stdout.trim() === 't';
  if (passwords && !readable) log.warn('passwords: true, but the login cannot read pg_authid: the set records no password verifier', { component });
  // The maintenance database is not in a whole-server set: say so when it holds the application's objects.
  const userObjects = Number((await run(psql(server(e), USER_OBJECTS_SQL))).stdout.trim());
  if (userObjects > 0)
    log.warn('the maintenance database "postgres" holds user objects, which a whole-server backup does not store: move them to a database of their own', {
      component,
      objects: userObjects,
    });
  return JSON.parse((await run(psql(server(e), serverGlobalsSql(readable)))).stdout) as PgServerGlobals;
}

interface Created {
  roles: string[];
  tablespaces: string[];
}

/** Missing roles (one transaction) and tablespaces; existing ones are never changed. Records what it made in `created`. */
async function createServerGlobals(e: Endpoint, g: PgServerGlobals, roles: ReadonlySet<string>, created: Created, log: Logger, component: string) {
  const missing = missingRoles(g, roles);
  if (missing.length) {
    // No verifier recorded (passwords: false): LOGIN is kept without a password, as pg_dumpall --no-role-passwords does.
    const s = createRolesScript({ passwordsReadable: true, memberships: g.memberships }, missing, roles);
    await script(e, `BEGIN;\n${s.sql}\nCOMMIT;`);
    created.roles.push(...missing.map((r) => r.rolname));
    log.info('roles created (they did not exist on this server)', { component, roles: created.roles });
    const noPassword = missing.filter((r) => r.rolcanlogin && r.rolpassword === null).map((r) => r.rolname);
    if (noPassword.length)
      log.warn('login roles created without a password (the set records none; passwords: true records them): set one with ALTER ROLE … PASSWORD', {
        component,
        roles: noPassword,
      });
  }
  const known = new Set(JSON.parse((await run(psql(server(e), "SELECT coalesce(json_agg(spcname), '[]'::json) FROM pg_tablespace"))).stdout) as string[]);
  const allRoles = new Set([...roles, ...created.roles]);
  for (const t of g.tablespaces.filter((x) => !known.has(x.name))) {
    try {
      await run(psql(server(e), createTablespaceSql(t, allRoles.has(t.owner))));
    } catch (err) {
      throw new SafeholdError(
        `${component}: tablespace ${t.name} could not be created at ${t.location} (${(err as Error).message.split('\n').slice(-2).join(' ')}); create that directory on the server, empty and owned by the server's user, then run the restore again`,
      );
    }
    created.tablespaces.push(t.name);
  }
}

async function dropCreated(e: Endpoint, created: Created, log: Logger, component: string): Promise<void> {
  for (const t of created.tablespaces.splice(0))
    await run(psql(server(e), `DROP TABLESPACE IF EXISTS ${quoteIdent(t)}`)).catch((err) =>
      log.error('could not drop a tablespace this restore created', { component, tablespace: t, error: (err as Error).message }),
    );
  const roles = created.roles.splice(0);
  if (roles.length)
    await script(e, `BEGIN;\n${roles.map((r) => `DROP ROLE IF EXISTS ${quoteIdent(r)};`).join('\n')}\nCOMMIT;`).catch((err) =>
      log.error('could not drop the roles this restore created', { component, roles, error: (err as Error).message }),
    );
}

/**
 * Stages every database of the restore beside its live one (the single-database path, pg-swap.ts) after creating
 * the server's missing roles and tablespaces (restores of every database of the set, owners kept). The Staged it
 * returns swaps them all in; if one swap fails, those already swapped are put back, so every database is as it was.
 */
export async function stagePgServer(c: ServerComponent, ctx: RunContext, sp: ServerPrepared, o: ApplyOptions): Promise<Staged> {
  if (o.drill || o.target) throw new RefusedError(`${c.name}: a whole-server component is not drilled (docs/whole-servers.md); nothing was changed`);
  const e = endpointOf(c, ctx.secrets);
  const log = ctx.log;
  const state = await serverState(e);
  refuseOldServer(state.versionNum, c.name);
  const created: Created = { roles: [], tablespaces: [] };
  const staged: Staged[] = [];
  const owners = ctx.values.restore?.owners ?? 'keep';
  try {
    if (sp.all && owners === 'keep') await createServerGlobals(e, sp.globals as PgServerGlobals, state.roles, created, log, c.name);
    for (const part of sp.parts) staged.push((await streamHandler.stage!(part.c, ctx, part.rec, part.p, o))!);
  } catch (err) {
    for (const s of staged.reverse()) await s.abort();
    sp.removeFiles();
    await dropCreated(e, created, log, c.name);
    throw err;
  }
  let committed = 0;
  let settled = false;
  return {
    component: c.name,
    async commit() {
      const said: string[] = [];
      for (const [i, s] of staged.entries()) {
        try {
          said.push(await s.commit());
          committed = i + 1;
        } catch (err) {
          settled = true;
          for (const rest of staged.slice(i)) await rest.abort();
          const back = await putBackSwapped(e, sp, committed, state, log);
          await dropCreated(e, created, log, c.name);
          throw new SafeholdError(
            `${c.name}: the swap of database ${sp.parts[i].rec.database} failed (${(err as Error).message.split('\n')[0]}); ${back.length ? `NOT put back: ${back.join('; ')}` : 'the databases swapped before it were put back: every database is as it was'}`,
          );
        }
      }
      return said.join('; ');
    },
    async abort() {
      if (settled) return;
      settled = true;
      for (const s of staged.slice(committed)) await s.abort();
      if (!committed) await dropCreated(e, created, log, c.name);
    },
  };
}

/** Undoes the first `count` swaps: a replaced database swapped back (the restored copy dropped), a created one dropped. */
async function putBackSwapped(e: Endpoint, sp: ServerPrepared, count: number, before: { databases: ReadonlySet<string>; versionNum: number }, log: Logger) {
  const problems: string[] = [];
  for (const part of sp.parts.slice(0, count).reverse()) {
    const db = part.rec.database;
    const at = { ...e, database: db };
    try {
      if (before.databases.has(db)) {
        await swapBack(at, log, part.c.name);
        for (const sql of dropDatabaseSql(pgSideNames(db).previous, before.versionNum)) await run(psql(server(e), sql));
      } else for (const sql of dropDatabaseSql(db, before.versionNum)) await run(psql(server(e), sql));
    } catch (err) {
      problems.push(`${db}: ${(err as Error).message.split('\n')[0]}`);
    }
  }
  return problems;
}

/** Plan lines for the server's roles and tablespaces (read-only). */
export async function planPgServer(c: ServerComponent, ctx: RunContext, g: PgServerGlobals | undefined, all: boolean): Promise<string[]> {
  const owners = ctx.values.restore?.owners ?? 'keep';
  if (!g || !all || owners !== 'keep')
    return [
      `${c.name}: no server-wide roles created (${!all ? 'restore.databases chooses databases: each one creates the roles it references' : 'owners: login'})`,
    ];
  const state = await serverState(endpointOf(c, ctx.secrets)).catch(() => undefined);
  if (!state) return [`${c.name}: server not reachable for planning; missing roles and tablespaces of the set are created first`];
  const missing = missingRoles(g, state.roles).map((r) => r.rolname);
  return [
    missing.length
      ? `${c.name}: create roles that do not exist on this server: ${missing.join(', ')} (existing roles are not changed)`
      : `${c.name}: every role of the set exists on this server (none created, none changed)`,
    ...(g.tablespaces.length ? [`${c.name}: create missing tablespaces: ${g.tablespaces.map((t) => `${t.name} at ${t.location}`).join(', ')}`] : []),
  ];
}
