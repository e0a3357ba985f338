// MariaDB partial restores (restore.only tables): a dropped table back from the set by one RENAME TABLE; the other
// tables untouched row by row; tables with triggers or foreign keys refused before anything changes.
import { describe, expect, it } from 'vitest';
import { backup } from '../../src/runner/commands/backup.js';
import { restore } from '../../src/runner/commands/restore.js';
import { mysqlQuery } from '../support/env.js';
import { onVariant, rows } from '../support/matrix.js';
import { makeApp, mysqlComponent, uniqueName } from './fixture.js';

const q = (sql: string, db?: string) => mysqlQuery(`SET NAMES utf8mb4; ${sql}`, db);

async function seed(db: string): Promise<void> {
  await q(`CREATE DATABASE \`${db}\` CHARACTER SET utf8mb4`);
  await q(
    `CREATE TABLE items (id INT AUTO_INCREMENT PRIMARY KEY, name VARCHAR(100) NOT NULL, body TEXT, KEY items_name (name));
     CREATE TABLE notes (id INT AUTO_INCREMENT PRIMARY KEY, note VARCHAR(200));
     INSERT INTO items (name, body) SELECT CONCAT('item ', seq), CONCAT('body é 😀 ', seq) FROM seq_1_to_300;
     INSERT INTO notes (note) SELECT CONCAT('note ', seq) FROM seq_1_to_50;`,
    db,
  );
}

const items = (db: string) => q('SELECT id, name, body FROM items ORDER BY id', db);
const notes = (db: string) => q('SELECT id, note FROM notes ORDER BY id', db);
const indexes = (db: string) => q(`SELECT INDEX_NAME FROM information_schema.STATISTICS WHERE TABLE_SCHEMA = '${db}' AND TABLE_NAME = 'items' ORDER BY 1`);
const databases = (db: string) => q(`SELECT GROUP_CONCAT(SCHEMA_NAME ORDER BY SCHEMA_NAME) FROM information_schema.SCHEMATA WHERE SCHEMA_NAME LIKE '${db}%'`);

describe.each(rows('mariadb'))('mysql partial restores (%s)', (_name, variant) => {
  onVariant(variant);

  it('restore.only of a dropped table brings back its rows and indexes; the other table keeps its changes; replaced tables are kept', async () => {
    const db = uniqueName('myp');
    await seed(db);
    const stored = await items(db);
    const app = await makeApp({ values: { components: [mysqlComponent('db', db)] } });
    await backup(app.ctx());
    await q(`DROP TABLE items; DELETE FROM notes WHERE id > 40; INSERT INTO notes (note) VALUES ('after backup')`, db);
    const notesAfter = await notes(db);
    app.update({ restore: { only: { db: { tables: ['items'] } } } });

    const plan = await restore(app.ctx());
    expect(plan.steps.join('\n')).toMatch(/partial restore of tables items[^]*RENAME TABLE/);
    expect(await items(db)).toBe(stored);
    expect(await indexes(db)).toBe('items_name\nPRIMARY');
    expect(await notes(db)).toBe(notesAfter);
    expect(await databases(db)).toBe(`${db},${db}-safehold-previous`);
    // No safety copy of the whole database: the replaced tables are the way back.
    expect(app.logs.join('')).not.toMatch(/safety copy/);

    // Again over a changed table: the changed one is kept in the previous database.
    await q(`UPDATE items SET name = 'changed' WHERE id = 1`, db);
    const changed = await items(db);
    app.update({ restore: { only: { db: { tables: ['items'] } }, requestId: 'again' } });
    await restore(app.ctx());
    expect(await items(db)).toBe(stored);
    expect(await items(`${db}-safehold-previous`)).toBe(changed);
  });

  it('into: side restores the tables into <db>-safehold-restored and leaves the live ones alone', async () => {
    const db = uniqueName('myp');
    await seed(db);
    const stored = await items(db);
    const app = await makeApp({ values: { components: [mysqlComponent('db', db)] } });
    await backup(app.ctx());
    await q(`DELETE FROM items WHERE id % 2 = 0`, db);
    const damaged = await items(db);
    app.update({ restore: { only: { db: { tables: ['items'], into: 'side' } } } });
    await restore(app.ctx());
    expect(await items(db)).toBe(damaged);
    expect(await items(`${db}-safehold-restored`)).toBe(stored);
    expect(await q('SHOW TABLES', `${db}-safehold-restored`)).toBe('items');
  });

  it('refuses a table with a trigger, or one the set lacks, before anything changes', async () => {
    const db = uniqueName('myp');
    await seed(db);
    await q(`CREATE TRIGGER items_note AFTER INSERT ON items FOR EACH ROW INSERT INTO notes (note) VALUES (NEW.name)`, db);
    const app = await makeApp({ values: { components: [mysqlComponent('db', db)] } });
    await backup(app.ctx());
    await q(`DELETE FROM items WHERE id > 100`, db);
    const asItWas = [await items(db), await notes(db), await databases(db)].join('\n');
    app.update({ restore: { only: { db: { tables: ['items'] } } } });
    await expect(restore(app.ctx())).rejects.toThrow(/restore refused, nothing was changed[^]*table items has trigger items_note/);
    app.update({ restore: { only: { db: { tables: ['nosuch'] } } } });
    await expect(restore(app.ctx())).rejects.toThrow(/tables the set does not hold: nosuch; nothing was changed/);
    expect([await items(db), await notes(db), await databases(db)].join('\n')).toBe(asItWas);
  });
});
