// Before the first byte of a backup: every database component is connected to, versioned and checked for the
// privileges its dump needs. A failure names the component, what is missing and the fix; nothing is stored.
import { RefusedError } from '../../errors.js';
import type { Component } from '../../values/components.js';
import type { RunContext } from '../context.js';
import { endpointOf, streamEngine } from '../engines/index.js';
import { psql } from '../engines/postgres.js';
import { quoteIdent } from '../engines/pg-quote.js';
import { RespClient } from '../engines/resp.js';
import type { Endpoint } from '../engines/types.js';
import { run } from '../process/spawn.js';

/** Relations and sequences of the database the login cannot read (pg_dump would fail on the first). */
export const UNREADABLE_SQL = `SELECT coalesce(string_agg(format('%I.%I', n.nspname, c.relname), ', ' ORDER BY 1), '')
  FROM pg_catalog.pg_class c JOIN pg_catalog.pg_namespace n ON n.oid = c.relnamespace
 WHERE c.relkind IN ('r', 'p', 'S', 'v', 'm', 'f') AND n.nspname NOT IN ('pg_catalog', 'information_schema') AND n.nspname NOT LIKE 'pg\\_toast%'
   AND (NOT has_schema_privilege(n.oid, 'USAGE') OR NOT CASE WHEN c.relkind = 'S' THEN has_sequence_privilege(c.oid, 'SELECT') ELSE has_table_privilege(c.oid, 'SELECT') END)`;

async function postgresProblems(where: string, e: Endpoint): Promise<string[]> {
  const out = (await run(psql(e, `SELECT current_user || E'\\t' || (${UNREADABLE_SQL})`, e.database))).stdout.trim();
  const [login, unreadable] = out.split('\t');
  if (!unreadable) return [];
  return [`${where}: login ${login} cannot read ${unreadable}; grant it, e.g. GRANT pg_read_all_data TO ${quoteIdent(login)}; (PostgreSQL 14+) or GRANT USAGE ON SCHEMA … / GRANT SELECT ON ALL TABLES IN SCHEMA … TO ${quoteIdent(login)};`];
}

async function redisProblems(where: string, field: string, e: Endpoint): Promise<string[]> {
  const client = await RespClient.connect({ host: e.host, port: e.port });
  try {
    await client.auth({ username: e.username, password: e.password });
    const pong = await client.call('PING');
    const text = Buffer.isBuffer(pong) ? pong.toString('utf8') : String(pong);
    if (/NOAUTH/i.test(text)) return [`${where}: the Redis server requires a password and none was given: set ${field}.credentials: { secretName: <Secret>, passwordKey: password }`];
    return [];
  } catch (err) {
    const msg = (err as Error).message;
    if (/NOAUTH/i.test(msg)) return [`${where}: the Redis server requires a password and none was given: set ${field}.credentials: { secretName: <Secret>, passwordKey: password }`];
    if (/WRONGPASS|invalid password|invalid username/i.test(msg)) return [`${where}: the Redis server refused the password from ${field}.credentials (${msg})`];
    throw err;
  } finally {
    client.close();
  }
}

/** Every problem of every component, collected before any dump starts. */
export async function preflight(ctx: RunContext): Promise<void> {
  const problems: string[] = [];
  for (const [i, c] of ctx.values.components.entries()) {
    if (!('host' in c) || !streamEngine(c.type)) continue;
    const field = `components[${i}]`;
    const where = `${field} (${c.name})`;
    try {
      problems.push(...(await componentProblems(c, where, field, endpointOf(c, ctx.secrets))));
    } catch (err) {
      problems.push(`${where}: cannot connect to ${c.host}:${c.port}: ${(err as Error).message.split('\n').slice(0, 3).join(' | ')}`);
    }
  }
  if (problems.length) throw new RefusedError(`backup refused before any dump, nothing was stored:\n  ${problems.join('\n  ')}`);
}

async function componentProblems(c: Component, where: string, field: string, e: Endpoint): Promise<string[]> {
  if (c.type === 'postgres') return postgresProblems(where, e);
  if (c.type === 'redis') return redisProblems(where, field, e);
  return [];
}
