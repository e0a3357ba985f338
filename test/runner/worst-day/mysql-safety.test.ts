// MariaDB restores in place, so a safety copy of the live database is stored first: a restore that dies midway
// puts it back (rows and charset as they were), and after a successful restore the safety set is the way back.
import { describe, expect, it } from 'vitest';
import { backup } from '../../../src/runner/commands/backup.js';
import { restore } from '../../../src/runner/commands/restore.js';
import { listSets } from '../../../src/runner/commands/snapshots.js';
import { bin } from '../../support/servers.js';
import { mysqlQuery, servers } from '../../support/env.js';
import { tool, withEnv } from '../../support/with-env.js';
import { makeApp, uniqueName } from '../fixture.js';

async function seed(): Promise<string> {
  const db = uniqueName('safety');
  await mysqlQuery(`CREATE DATABASE ${db} CHARACTER SET utf8mb4 COLLATE utf8mb4_unicode_ci`);
  await mysqlQuery(
    `CREATE TABLE items (id INT PRIMARY KEY, body TEXT); CREATE TABLE notes (id INT PRIMARY KEY, t TEXT);
    INSERT INTO items SELECT seq, REPEAT(MD5(seq), 20) FROM seq_1_to_3000; INSERT INTO notes VALUES (1, 'a'), (2, 'b');`,
    db,
  );
  return db;
}
const checksum = (db: string) => mysqlQuery('CHECKSUM TABLE items, notes', db);
const props = (db: string) =>
  mysqlQuery(`SELECT DEFAULT_CHARACTER_SET_NAME, DEFAULT_COLLATION_NAME FROM information_schema.SCHEMATA WHERE SCHEMA_NAME = '${db}'`);

async function appFor(db: string) {
  const m = servers().mariadb;
  return makeApp({
    values: {
      components: [{ name: 'db', type: 'mysql', host: m.host, port: m.port, database: db, credentials: { secretName: 'mysql' } }],
      restore: { dropExisting: true, confirm: db },
    },
  });
}

describe('mariadb safety copy', () => {
  it('a restore that dies midway (client killed after part of the dump) puts the live database back exactly', async () => {
    const db = await seed();
    const app = await appFor(db);
    await backup(app.ctx());
    await mysqlQuery("INSERT INTO notes VALUES (3, 'written after the backup'); DELETE FROM items WHERE id > 2500", db);
    const live = { sum: await checksum(db), props: await props(db) };

    const plan = await restore(app.ctx(), { planOnly: true });
    expect(plan.steps.join('\n')).toMatch(/safety copy: the live data of db is stored[^]*DROP DATABASE[^]*restore db\.sql/);

    const undo = withEnv({
      SAFEHOLD_BIN_MARIADB: tool('mariadb-dies-midway.mjs'),
      SAFEHOLD_REAL_TOOL: bin('mariadb'),
      KILL_AFTER: '60000',
      KILL_ONCE_FILE: `${app.dir}/killed-once`,
    });
    let err: Error | undefined;
    try {
      err = await restore(app.ctx()).then(
        () => undefined,
        (e: Error) => e,
      );
    } finally {
      undo();
    }
    expect(err?.message).toMatch(/killed by SIGKILL[^]*the live data was put back from safety set/);
    expect({ sum: await checksum(db), props: await props(db) }).toEqual(live);
    const safety = (await listSets(app.ctx())).filter((s) => s.status === 'safety');
    expect(safety).toHaveLength(1);
  });

  it('after a successful restore, the safety set restores the pre-restore state', async () => {
    const db = await seed();
    const app = await appFor(db);
    const good = await backup(app.ctx());
    await mysqlQuery("UPDATE notes SET t = 'changed after the backup'", db);
    const preRestore = await checksum(db);
    await restore(app.ctx());
    expect(await checksum(db)).not.toBe(preRestore);
    const sets = await listSets(app.ctx());
    const safety = sets.find((s) => s.status === 'safety')!;
    expect(safety).toBeTruthy();
    // The newest good set is still the backup: a safety copy is never `latest`.
    expect(sets.filter((s) => s.status === 'good').map((s) => s.id)).toEqual([good.setId]);
    app.update({ restore: undefined });
    await restore(app.ctx(), { snapshot: safety.id });
    expect(await checksum(db)).toBe(preRestore);
  });
});
