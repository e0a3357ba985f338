// PostgreSQL restores that are all or nothing: build the set into a side database (missing roles created, the
// database's recorded properties applied), then swap names in one short transaction. The live database is
// untouched until the swap; afterwards it stays as <db>.safehold-previous — the way back — until the next
// successful restore replaces it or it is discarded.
import { createHash } from 'node:crypto';
import { RefusedError, SafeholdError } from '../../errors.js';
import { dropDatabaseSql, psql, psqlScript, terminateSql } from '../engines/postgres.js';
import { quoteIdent } from '../engines/pg-quote.js';
import { createDatabaseSql, createRolesScript, databasePropertiesScript, missingRoles, sideNames, type PgGlobals } from '../engines/postgres-globals.js';
import type { Endpoint } from '../engines/types.js';
import type { Logger } from '../log.js';
import { run } from '../process/spawn.js';

/** A component restored beside production, waiting for the swap (or to be thrown away). */
export interface Staged {
  readonly component: string;
  /** Puts the restored database in place; returns what the plan and log should say. */
  commit(): Promise<string>;
  /** Removes everything the staging created; the target is as it was. */
  abort(): Promise<void>;
  /** The side database, loaded and not yet swapped in (clones mask it here: runner/clones/). */
  readonly side?: Endpoint;
}

export type OwnerMode = 'keep' | 'login';

export interface StageOptions {
  readonly jobs: number;
  readonly owners: OwnerMode;
  /** Drills: no roles created, no privileges restored, no previous database kept. */
  readonly drill: boolean;
  /**
   * Clones: no privileges restored, and the side database is created closed (no CONNECT for PUBLIC) before any
   * session can reach it, so only its owner (the restore login) and superusers connect until the caller opens it.
   */
  readonly sealed?: boolean;
}

const hash = (s: string) => createHash('sha256').update(s).digest('hex');
export const pgSideNames = (db: string) => sideNames(db, hash);

/** Server facts a restore plans with. */
export interface PgServerState {
  readonly versionNum: number;
  readonly login: string;
  readonly roles: ReadonlySet<string>;
  readonly databases: ReadonlySet<string>;
}

export async function serverState(e: Endpoint): Promise<PgServerState> {
  const sql = `SELECT json_build_object('v', current_setting('server_version_num')::int, 'login', current_user,
    'roles', (SELECT json_agg(rolname) FROM pg_roles), 'dbs', (SELECT json_agg(datname) FROM pg_database))`;
  const out = JSON.parse((await run(psql(e, sql))).stdout) as { v: number; login: string; roles: string[]; dbs: string[] };
  return { versionNum: out.v, login: out.login, roles: new Set(out.roles), databases: new Set(out.dbs) };
}

/** PostgreSQL 12 is the oldest server a restore supports (no WITH (FORCE) before 13: sessions are ended first). */
export function refuseOldServer(versionNum: number, where: string): void {
  if (versionNum < 120000)
    throw new RefusedError(
      `${where}: PostgreSQL ${Math.floor(versionNum / 10000)} is older than 12, the oldest server safehold restores into; nothing was changed. ` +
        'Restore into a PostgreSQL 12 or newer server (a restore target), or upgrade this one first',
    );
}

const server = (e: Endpoint): Endpoint => ({ ...e, database: undefined });
const script = (e: Endpoint, sql: string) => run(psqlScript(server(e)), `SET standard_conforming_strings = on;\n${sql}\n`);

async function dropDatabase(e: Endpoint, db: string, versionNum: number): Promise<void> {
  for (const sql of dropDatabaseSql(db, versionNum)) await run(psql(server(e), sql));
}

/** Renames in one transaction; retried while a session that slipped in holds the database. */
async function renames(e: Endpoint, pairs: ReadonlyArray<readonly [string, string]>, endSessionsOf: readonly string[], log: Logger): Promise<void> {
  const sql = ['BEGIN;', ...pairs.map(([a, b]) => `ALTER DATABASE ${quoteIdent(a)} RENAME TO ${quoteIdent(b)};`), 'COMMIT;'].join('\n');
  for (let attempt = 1; ; attempt++) {
    for (const db of endSessionsOf) await run(psql(server(e), terminateSql(db)));
    try {
      await script(e, sql);
      return;
    } catch (err) {
      if (attempt >= 5 || !/being accessed by other users/.test((err as Error).message)) throw err;
      log.warn('a session reconnected during the swap; ending it and retrying', { attempt });
      await new Promise((r) => setTimeout(r, 200 * attempt));
    }
  }
}

/** Created with connections off, CONNECT revoked from PUBLIC before they are allowed: no other role's session ever opens in it. */
async function seal(e: Endpoint, db: string): Promise<void> {
  await run(psql(server(e), `REVOKE ALL ON DATABASE ${quoteIdent(db)} FROM PUBLIC`));
  await allowConnections(e, db, true);
}

const allowConnections = (e: Endpoint, db: string, allow: boolean) => run(psql(server(e), `ALTER DATABASE ${quoteIdent(db)} ALLOW_CONNECTIONS ${allow}`));

/**
 * Stages a restore: missing roles, the side database with the recorded properties, the data loaded by
 * `load`. Anything that fails removes what this created and rethrows; the target is never touched here.
 */
export async function stagePostgres(
  component: string,
  e: Endpoint,
  globals: PgGlobals | undefined,
  load: (into: Endpoint, o: { noOwner: boolean; noPrivileges: boolean }) => Promise<void>,
  o: StageOptions,
  log: Logger,
): Promise<Staged> {
  const target = e.database!;
  const names = pgSideNames(target);
  const state = await serverState(e);
  refuseOldServer(state.versionNum, component);
  if (state.databases.has(names.restoring)) {
    log.warn('removing the side database a failed restore left behind', { component, database: names.restoring });
    await dropDatabase(e, names.restoring, state.versionNum);
  }
  const login = o.drill || o.owners === 'login' || !globals;
  const created: string[] = [];
  const cleanUp = async () => {
    await dropDatabase(e, names.restoring, state.versionNum).catch((err) =>
      log.error('could not drop the side database', { component, database: names.restoring, error: (err as Error).message }),
    );
    if (created.length) {
      await script(e, `BEGIN;\n${created.map((r) => `DROP ROLE IF EXISTS ${quoteIdent(r)};`).join('\n')}\nCOMMIT;`).catch((err) =>
        log.error('could not drop the roles this restore created', { component, roles: created, error: (err as Error).message }),
      );
    }
  };
  try {
    let roles = state.roles;
    if (!login && globals) {
      const missing = missingRoles(globals, state.roles);
      if (missing.length) {
        const s = createRolesScript(globals, missing, state.roles);
        await script(e, `BEGIN;\n${s.sql}\nCOMMIT;`);
        created.push(...missing.map((r) => r.rolname));
        roles = new Set([...state.roles, ...created]);
        log.info('roles created (they did not exist on this server)', { component, roles: created });
        if (s.noLogin.length)
          log.warn('login roles created NOLOGIN: their passwords could not be read at backup time; set one with ALTER ROLE … LOGIN PASSWORD', {
            component,
            roles: s.noLogin,
          });
      }
    }
    const owner = !login && globals && roles.has(globals.database.owner) ? globals.database.owner : state.login;
    await run(
      psql(
        server(e),
        globals && !o.drill
          ? createDatabaseSql(globals, names.restoring, owner, state.versionNum)
          : `CREATE DATABASE ${quoteIdent(names.restoring)}${o.sealed ? ' WITH ALLOW_CONNECTIONS false' : ''}`,
      ),
    );
    if (o.sealed) await seal(e, names.restoring);
    // restore.owners: login creates no role: privileges naming roles this server lacks would fail the load.
    const absent = !o.drill && login && globals ? missingRoles(globals, state.roles).map((r) => r.rolname) : [];
    if (absent.length)
      log.warn('restore.owners: login and the set grants privileges to roles missing here: restored without privileges (pg_restore --no-privileges)', {
        component,
        roles: absent,
      });
    await load({ ...e, database: names.restoring }, { noOwner: login, noPrivileges: o.drill || !!o.sealed || absent.length > 0 });
    if (globals && !o.drill) {
      const props = databasePropertiesScript(globals, names.restoring, (r) => roles.has(r));
      if (props.sql) await script(e, props.sql);
      if (props.skipped.length) log.warn('database properties skipped: their roles do not exist here', { component, skipped: props.skipped });
    }
  } catch (err) {
    await cleanUp();
    throw err;
  }
  log.info('restored into the side database; swapping next', { component, side: names.restoring });
  return {
    component,
    commit: () => swapIn(e, state, names, !o.drill, log, component),
    abort: cleanUp,
    side: { ...e, database: names.restoring },
  };
}

async function swapIn(
  e: Endpoint,
  state: PgServerState,
  names: ReturnType<typeof pgSideNames>,
  keepPrevious: boolean,
  log: Logger,
  component: string,
): Promise<string> {
  const target = e.database!;
  const now = await serverState(e);
  if (!now.databases.has(target)) {
    await renames(e, [[names.restoring, target]], [], log);
    return `${component}: ${target} created from the set (it did not exist)`;
  }
  const hadPrevious = now.databases.has(names.previous);
  await allowConnections(e, target, false);
  try {
    await renames(e, [...(hadPrevious ? [[names.previous, names.discard] as const] : []), [target, names.previous], [names.restoring, target]], [target], log);
  } catch (err) {
    await allowConnections(e, target, true).catch(() => undefined);
    throw err;
  }
  if (hadPrevious) await dropDatabase(e, names.discard, state.versionNum);
  if (!keepPrevious) {
    await dropDatabase(e, names.previous, state.versionNum);
    return `${component}: ${target} replaced`;
  }
  log.info('previous database kept: the way back', { component, previous: names.previous });
  return `${component}: ${target} replaced; the previous database is kept as ${names.previous}`;
}

/** The way back: the restored database and the kept previous one change places (running it again swaps back). */
export async function swapBack(e: Endpoint, log: Logger, component: string): Promise<string> {
  const target = e.database!;
  const names = pgSideNames(target);
  const state = await serverState(e);
  refuseOldServer(state.versionNum, component);
  if (!state.databases.has(names.previous))
    throw new RefusedError(`${component}: no previous database ${names.previous} on this server: there is nothing to go back to; nothing was changed`);
  if (state.databases.has(names.discard))
    throw new SafeholdError(`${component}: ${names.discard} exists (an interrupted swap); inspect it and drop it, then retry`);
  if (!state.databases.has(target)) {
    await renames(e, [[names.previous, target]], [], log);
  } else {
    await allowConnections(e, target, false);
    try {
      await renames(
        e,
        [
          [target, names.discard],
          [names.previous, target],
          [names.discard, names.previous],
        ],
        [target],
        log,
      );
    } catch (err) {
      await allowConnections(e, target, true).catch(() => undefined);
      throw err;
    }
  }
  await allowConnections(e, target, true);
  return `${component}: ${target} is the previous database again; the one it replaced is kept as ${names.previous}`;
}

/** Drops the kept previous database (an explicit discard). */
export async function discardPrevious(e: Endpoint, component: string): Promise<string> {
  const names = pgSideNames(e.database!);
  const state = await serverState(e);
  if (!state.databases.has(names.previous)) return `${component}: no previous database to discard`;
  await dropDatabase(e, names.previous, state.versionNum);
  return `${component}: ${names.previous} dropped`;
}

/** What the plan says a PostgreSQL restore will do, in order (read-only queries). */
export async function planPostgres(
  e: Endpoint,
  globals: PgGlobals | undefined,
  o: { owners: OwnerMode; drill: boolean },
  component: string,
): Promise<string[]> {
  const target = e.database!;
  const names = pgSideNames(target);
  const state = await serverState(e).catch(() => undefined);
  const lines: string[] = [];
  if (!state) return [`${component}: server not reachable for planning; the restore builds ${names.restoring} and swaps it in`];
  const login = o.drill || o.owners === 'login' || !globals;
  if (!login && globals) {
    const missing = missingRoles(globals, state.roles).map((r) => r.rolname);
    lines.push(
      missing.length
        ? `${component}: create roles that do not exist on this server: ${missing.join(', ')}`
        : `${component}: every role the set references exists (none created, none changed)`,
    );
  } else lines.push(`${component}: objects owned by the restore login ${state.login} (owners: login${globals ? '' : '; the set records no roles'})`);
  lines.push(
    `${component}: create side database ${names.restoring}${globals ? ` (encoding ${globals.database.encoding}, collation ${globals.database.collate}${globals.database.locale ? `, locale ${globals.database.locale}` : ''})` : ''} and restore the dump into it`,
  );
  if (globals && !o.drill) lines.push(`${component}: apply the recorded database comment, privileges and settings to ${names.restoring}`);
  if (state.databases.has(target)) {
    lines.push(`${component}: swap: end sessions of ${target}, rename ${target} → ${names.previous}, ${names.restoring} → ${target} (one transaction)`);
    if (!o.drill)
      lines.push(
        `${component}: way back: ${names.previous} is kept${state.databases.has(names.previous) ? ' (the older previous database is dropped after the swap)' : ''}; \`safehold restore --undo\` swaps it back`,
      );
  } else lines.push(`${component}: ${target} does not exist: rename ${names.restoring} → ${target}`);
  lines.push(
    `${component}: on any failure before the swap, ${names.restoring}${!login ? ' and the roles created' : ''} are dropped and ${target} is left as it was`,
  );
  return lines;
}
