// The "globals" stream of a database component: what the database needs to exist again (properties, roles or
// accounts), captured at backup, stored as its own small snapshot in the set and checked by sha256 at restore.
import { createHash } from 'node:crypto';
import { SafeholdError } from '../../errors.js';
import type { Component } from '../../values/components.js';
import type { RunContext } from '../context.js';
import { psql } from '../engines/postgres.js';
import { captureSql, parseCapture, PASSWORDS_READABLE_SQL } from '../engines/postgres-globals.js';
import { captureMysqlGlobals } from '../engines/mysql-globals.js';
import type { Endpoint } from '../engines/types.js';
import { run } from '../process/spawn.js';
import { componentTag, type ComponentRecord, type GlobalsRecord } from '../sets.js';

export const TAG_GLOBALS = 'globals';

/** A database of a whole server records password verifiers only when its values ask (passwords: true). */
const passwordsWanted = (c: Component) => !('passwords' in c && c.passwords === false);

const CAPTURE: Partial<Record<Component['type'], (e: Endpoint, c: Component) => Promise<unknown>>> = {
  async postgres(e, c) {
    const readable = passwordsWanted(c) && (await run(psql(e, PASSWORDS_READABLE_SQL, e.database))).stdout.trim() === 't';
    return parseCapture((await run(psql(e, captureSql(readable), e.database))).stdout);
  },
  mysql: (e, c) => captureMysqlGlobals(e, { passwords: passwordsWanted(c) }),
};

export const hasGlobals = (c: Component): boolean => !!CAPTURE[c.type];

export async function captureGlobals(c: Component, e: Endpoint): Promise<string | undefined> {
  const capture = CAPTURE[c.type];
  return capture ? `${JSON.stringify(await capture(e, c), null, 2)}\n` : undefined;
}

const sha256 = (text: string) => createHash('sha256').update(text).digest('hex');

export async function storeGlobals(
  ctx: RunContext,
  c: Pick<Component, 'name'>,
  text: string,
  t: { host: string; tags: readonly string[] },
  fileName = `${c.name}.globals.json`,
): Promise<GlobalsRecord> {
  const snapshotId = await ctx.restic.backupBuffer(text, { host: t.host, tags: [...t.tags, componentTag(c.name), TAG_GLOBALS], filename: fileName });
  return { snapshotId, fileName, sha256: sha256(text), bytes: Buffer.byteLength(text) };
}

/** Stored globals read by this process, by repository and snapshot: the plan and the restore read them once. */
const readTexts = new Map<string, Promise<string>>();

/** The recorded globals of a component (undefined for sets made before they were recorded); refused when altered. */
export async function readGlobals<T>(ctx: RunContext, rec: ComponentRecord): Promise<T | undefined> {
  if (!rec.globals) return undefined;
  const { snapshotId, fileName } = rec.globals;
  const key = `${ctx.restic.access.location}\n${snapshotId}\n${fileName}`;
  let read = readTexts.get(key);
  if (!read) {
    read = ctx.restic.dumpText(snapshotId, fileName);
    readTexts.set(key, read);
    // A failed read is not kept: the next caller tries again.
    read.catch(() => readTexts.delete(key));
  }
  const text = await read;
  if (sha256(text) !== rec.globals.sha256)
    throw new SafeholdError(`${rec.name}: the stored ${rec.globals.fileName} does not match its manifest; nothing was changed`);
  return JSON.parse(text) as T;
}
