// MariaDB through restic, local and S3: rows, a trigger, routines, an event and a view survive; refusals surface the tool's own message.
import { chmodSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { backup } from '../../src/runner/commands/backup.js';
import { restore } from '../../src/runner/commands/restore.js';
import { listSets } from '../../src/runner/commands/snapshots.js';
import { BINARIES, binaryPath } from '../../src/runner/binaries.js';
import { mysqlQuery, tmpDir } from '../support/env.js';
import { majorPattern, onVariant, rows } from '../support/matrix.js';
import { makeApp, mysqlComponent, s3Repository, uniqueName } from './fixture.js';

/** utf8mb4 on the connection, so 4-byte characters go in and come out as they are. */
const q = (sql: string, db?: string) => mysqlQuery(`SET NAMES utf8mb4; ${sql}`, db);

async function seed(db: string, rows = 300): Promise<void> {
  await q(`CREATE DATABASE \`${db}\` CHARACTER SET utf8mb4`);
  await q(
    `CREATE TABLE items (
       id INT AUTO_INCREMENT PRIMARY KEY, name VARCHAR(100) NOT NULL, body TEXT, price DECIMAL(10,2), qty INT,
       ratio DOUBLE, born DATE, at DATETIME(6), data BLOB, flag TINYINT(1), KEY items_name (name)
     );
     CREATE TABLE audit (id INT AUTO_INCREMENT PRIMARY KEY, item_id INT, note VARCHAR(200));
     INSERT INTO items (name, body, price, qty, ratio, born, at, data, flag)
       SELECT CONCAT('item ', seq), CONCAT('line one\\nline\\ttwo ''quoted'' \\\\ back ', seq, ' é 😀'), seq * 1.25, CAST(seq AS SIGNED) - 150,
              seq / 7, DATE_ADD('1999-12-31', INTERVAL seq DAY), TIMESTAMP('2024-02-29 23:59:59.123456') + INTERVAL seq SECOND,
              UNHEX(CONCAT(LPAD(HEX(seq % 256), 2, '0'), '00FF0A0D5C27')), seq % 2
       FROM seq_1_to_${rows};
     INSERT INTO items (name, body, data) VALUES ('nulls', NULL, NULL);
     CREATE TRIGGER items_audit AFTER INSERT ON items FOR EACH ROW INSERT INTO audit (item_id, note) VALUES (NEW.id, CONCAT('added ', NEW.name));
     CREATE FUNCTION with_tax(p DECIMAL(10,2)) RETURNS DECIMAL(10,2) DETERMINISTIC RETURN p * 1.2;
     CREATE PROCEDURE cheap(IN lim DECIMAL(10,2)) SELECT COUNT(*) FROM items WHERE price < lim;
     CREATE EVENT nightly ON SCHEDULE EVERY 1 DAY STARTS '2030-01-01 00:00:00' DO DELETE FROM audit WHERE id < 0;
     CREATE VIEW expensive AS SELECT id, name FROM items WHERE price > 300;`,
    db,
  );
}

/** Everything the test compares: rows (blobs in hex), audit rows, and which objects exist. */
async function snapshot(db: string): Promise<string> {
  return [
    await q('SELECT id, name, body, price, qty, ratio, born, at, HEX(data), flag FROM items ORDER BY id', db),
    await q('SELECT * FROM audit ORDER BY id', db),
    await q(`SELECT TABLE_NAME, VIEW_DEFINITION FROM information_schema.VIEWS WHERE TABLE_SCHEMA = '${db}'`),
    await q(`SELECT ROUTINE_TYPE, ROUTINE_NAME FROM information_schema.ROUTINES WHERE ROUTINE_SCHEMA = '${db}' ORDER BY 2`),
    await q(`SELECT TRIGGER_NAME, EVENT_OBJECT_TABLE FROM information_schema.TRIGGERS WHERE TRIGGER_SCHEMA = '${db}'`),
    await q(`SELECT EVENT_NAME FROM information_schema.EVENTS WHERE EVENT_SCHEMA = '${db}'`),
    await q(`SELECT INDEX_NAME FROM information_schema.STATISTICS WHERE TABLE_SCHEMA = '${db}' AND TABLE_NAME = 'items' ORDER BY 1`),
  ].join('\n---\n');
}

async function damage(db: string): Promise<void> {
  await q(
    `DELETE FROM items WHERE id % 3 = 0; UPDATE items SET body = 'changed' WHERE id = 1; INSERT INTO items (name) VALUES ('after backup');
     DROP TRIGGER items_audit; DROP FUNCTION with_tax; DROP VIEW expensive;`,
    db,
  );
}

describe.each(rows('mariadb'))("mysql round trip (%s, the image's clients, restic 0.18)", (_name, variant) => {
  onVariant(variant);
  for (const where of ['local', 's3'] as const) {
    it(`backs up and restores row by row, with trigger, routines, event and view (${where} repository)`, async () => {
      const db = uniqueName('my');
      await seed(db);
      const before = await snapshot(db);
      expect(before).toContain('😀');
      expect(before).toMatch(/FUNCTION\twith_tax/);
      const app = await makeApp({
        repo: where === 's3' ? s3Repository(uniqueName('myrt')) : undefined,
        values: { components: [mysqlComponent('db', db)], restore: { snapshot: 'latest', dropExisting: true, confirm: db } },
      });
      const report = await backup(app.ctx());
      expect(report.status).toBe('good');
      expect(report.components[0]).toMatchObject({
        type: 'mysql',
        fileName: 'db.sql',
        clientVersion: expect.stringMatching(/^11\.8\./),
        serverVersion: expect.stringMatching(majorPattern(variant)),
      });
      expect(report.components[0].bytes).toBeGreaterThan(20_000);

      await damage(db);
      expect(await snapshot(db)).not.toBe(before);
      const plan = await restore(app.ctx());
      expect(plan.drop).toEqual(['db']);
      expect(await snapshot(db)).toBe(before);
      // The trigger and the function work after the restore, not only exist.
      await q(`INSERT INTO items (name) VALUES ('post-restore')`, db);
      expect(await q(`SELECT note FROM audit ORDER BY id DESC LIMIT 1`, db)).toBe('added post-restore');
      expect(await q('SELECT with_tax(10)', db)).toBe('12.00');
      expect(await q('SELECT COUNT(*) FROM expensive', db)).toBe('60');
    });
  }

  it('restores over an existing database without dropping it: objects in the dump are replaced, others stay', async () => {
    const db = uniqueName('my');
    await seed(db, 50);
    const before = await snapshot(db);
    const app = await makeApp({ values: { components: [mysqlComponent('db', db)], restore: { snapshot: 'latest' } } });
    await backup(app.ctx());
    await damage(db);
    await q('CREATE TABLE keep_me (id INT); INSERT INTO keep_me VALUES (7)', db);
    await restore(app.ctx());
    expect(await snapshot(db)).toBe(before);
    expect(await q('SELECT id FROM keep_me', db)).toBe('7');
  });

  it('restores into another database name (a drill target): the dump names no database', async () => {
    const db = uniqueName('my');
    const scratch = uniqueName('myscratch');
    await seed(db, 20);
    const rows = await q('SELECT id, name, HEX(data) FROM items ORDER BY id', db);
    const app = await makeApp({ values: { components: [mysqlComponent('db', db)] } });
    await backup(app.ctx());
    await restore(app.ctx(), { drill: true, targets: { db: { database: scratch } } });
    expect(await q('SELECT id, name, HEX(data) FROM items ORDER BY id', scratch)).toBe(rows);
    expect(await q(`SELECT COUNT(*) FROM information_schema.TRIGGERS WHERE TRIGGER_SCHEMA = '${scratch}'`)).toBe('1');
    expect(await q('SELECT COUNT(*) FROM items', db)).toBe('21');
    await q(`DROP DATABASE \`${scratch}\``);
  });

  it('mariadb-dump refusing (unknown database) fails the backup with its own message; no set is stored', async () => {
    const db = uniqueName('missing');
    const app = await makeApp({ values: { components: [mysqlComponent('db', db)] } });
    const err = await backup(app.ctx()).catch((e: Error) => e);
    expect(err).toBeInstanceOf(Error);
    expect((err as Error).message).toMatch(/mariadb-dump .*exited with code 2/);
    expect((err as Error).message).toContain(`Unknown database '${db}'`);
    expect(await listSets(app.ctx())).toEqual([]);
  });

  it("a wrong password fails the backup with the server's refusal and never shows the password", async () => {
    const db = uniqueName('my');
    await seed(db, 5);
    const app = await makeApp({ values: { components: [mysqlComponent('db', db)] } });
    const wrong = 'not-the-password-4711';
    writeFileSync(join(app.secretsDir, 'mysql', 'password'), wrong);
    const err = await backup(app.ctx()).catch((e: Error) => e);
    expect((err as Error).message).toMatch(/Access denied for user 'root'/);
    expect((err as Error).message).not.toContain(wrong);
    expect(app.logs.join('')).not.toContain(wrong);
  });

  it('an older mariadb-dump is a warning, not a refusal (only PostgreSQL refuses)', async () => {
    const db = uniqueName('my');
    await seed(db, 5);
    // A stand-in that claims an old release for --version and runs the real tool otherwise.
    const dir = await tmpDir('olddump');
    const fake = join(dir, 'mariadb-dump');
    writeFileSync(
      fake,
      `#!${process.execPath}\nconst a = process.argv.slice(2);\nif (a.includes('--version')) { console.log('mariadb-dump  Ver 10.19 Distrib 10.3.39-MariaDB, for debian-linux-gnu (x86_64)'); process.exit(0); }\n` +
        `const r = require('node:child_process').spawnSync(${JSON.stringify(binaryPath(BINARIES.mysqlDump))}, a, { stdio: 'inherit' });\nprocess.exit(r.status ?? 1);\n`,
    );
    chmodSync(fake, 0o755);
    const app = await makeApp({ values: { components: [mysqlComponent('db', db)] } });
    process.env.SAFEHOLD_BIN_MARIADB_DUMP = fake;
    try {
      const report = await backup(app.ctx());
      expect(report.status).toBe('good');
      expect(report.components[0].clientVersion).toBe('10.3.39');
    } finally {
      delete process.env.SAFEHOLD_BIN_MARIADB_DUMP;
    }
    const warning = app.logs.map((l) => JSON.parse(l)).find((l) => l.level === 'warn' && /older than the server/.test(l.msg));
    expect(warning).toMatchObject({ component: 'db' });
    expect(warning.msg).toMatch(new RegExp(`mariadb-dump 10\\.3\\.39 is older than the server ${majorPattern(variant).source.slice(1)}`));
  });
});
