// A clone's side database between load and swap: the masking steps run on it, then it gets the live target's owner and CONNECT rights.
import { rmSync } from 'node:fs';
import { join } from 'node:path';
import { SafeholdError } from '../../errors.js';
import type { MaskStep } from '../../values/clone.js';
import type { RunContext } from '../context.js';
import { psql } from '../engines/postgres.js';
import { quoteIdent } from '../engines/pg-quote.js';
import { quoteLiteral } from '../engines/postgres-globals.js';
import type { Endpoint } from '../engines/types.js';
import { runHooks } from '../hooks/run.js';
import { run } from '../process/spawn.js';

/** One -c string: the server runs it as one implicit transaction (all statements or none), and psql reads no backslash command in it. */
export function maskStatement(sql: string | readonly string[]): string {
  return (typeof sql === 'string' ? [sql] : sql).map((s) => s.trim().replace(/;\s*$/, '')).join(';\n');
}

/** What a masking hook finds in its environment: the side database and the restore login (never in argv). */
export function maskHookEnv(side: Endpoint, component: string): Record<string, string> {
  return {
    PGHOST: side.host,
    PGPORT: String(side.port),
    PGDATABASE: side.database!,
    ...(side.username ? { PGUSER: side.username } : {}),
    ...(side.password !== undefined ? { PGPASSWORD: side.password } : {}),
    SAFEHOLD_CLONE_COMPONENT: component,
    SAFEHOLD_CLONE_DATABASE: side.database!,
  };
}

/** Runs a component's masking steps on its side database, in the order written; the first failure stops the clone. */
export async function maskSide(ctx: RunContext, component: string, side: Endpoint, steps: readonly MaskStep[], setId: string): Promise<void> {
  const artifactsDir = join(ctx.scratchDir, `clone-mask-${setId}`);
  try {
    await maskSteps(ctx, component, side, steps, setId, artifactsDir);
  } finally {
    rmSync(artifactsDir, { recursive: true, force: true });
  }
}

async function maskSteps(ctx: RunContext, component: string, side: Endpoint, steps: readonly MaskStep[], setId: string, artifactsDir: string): Promise<void> {
  for (const [i, m] of steps.entries()) {
    const what = `clone.mask step ${i + 1} of ${component}`;
    try {
      if ('sql' in m) await run(psql(side, maskStatement(m.sql), side.database));
      else
        await runHooks('mask', [{ ...m.hook, onError: 'fail' }], ctx, {
          artifactsDir,
          setId,
          extraEnv: maskHookEnv(side, component),
        });
    } catch (e) {
      throw new SafeholdError(`${what} failed: ${(e as Error).message.split('\n').slice(0, 3).join(' ')}`);
    }
    ctx.log.info('masking step done', { component, step: i + 1, kind: 'sql' in m ? 'sql' : `hook ${m.hook.name}` });
  }
}

/**
 * The live target's owner and database privileges (its ACL, or the defaults of a new database when it has none), as
 * statements for the side database; a target that does not exist yet gives the defaults of a new database to PUBLIC.
 */
export function openSql(side: string, target: string): string {
  return `SELECT coalesce((SELECT format('ALTER DATABASE %I OWNER TO %I;', ${quoteLiteral(side)}, pg_get_userbyid(d.datdba))
      || string_agg(format('GRANT %s ON DATABASE %I TO %s;', a.privilege_type, ${quoteLiteral(side)},
           CASE WHEN a.grantee = 0 THEN 'PUBLIC' ELSE quote_ident(pg_get_userbyid(a.grantee)) END), ' ')
    FROM pg_database d, aclexplode(coalesce(d.datacl, acldefault('d', d.datdba))) a WHERE d.datname = ${quoteLiteral(target)} GROUP BY d.datdba),
    ${quoteLiteral(`GRANT CONNECT, TEMPORARY ON DATABASE ${quoteIdent(side)} TO PUBLIC;`)})`;
}

/** Opens the masked side database as the live target is open (only now can the application's roles connect to it). */
export async function openSide(side: Endpoint, target: string): Promise<string> {
  const server = { ...side, database: undefined };
  const statements = (await run(psql(server, openSql(side.database!, target)))).stdout.trim();
  await run(psql(server, statements));
  return statements;
}
