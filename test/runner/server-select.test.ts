// The pure parts of whole-server components: which databases a selection takes, stream names, which a restore
// chooses, and what an account statement keeps when the set records no password.
import { describe, expect, it } from 'vitest';
import { chooseRestored, databaseStreamName, globRegex, selectDatabases } from '../../src/runner/components/server/select.js';
import { withoutAuthentication } from '../../src/runner/engines/mysql-globals.js';
import { needsObjects } from '../../src/runner/engines/mysql-server-globals.js';
import { manifestInCopy } from '../../src/runner/copies/plan.js';
import type { BackupSet, DatabaseRecord, Manifest } from '../../src/runner/sets.js';

const live = ['postgres', 'template1', 'shop', 'shop_old', 'Shop Eu', 'billing', 'shop.safehold-previous', 'safehold_drill_db', 'x.safehold-restoring'];

describe('whole-server selection', () => {
  it('all: every user database; never templates, the maintenance database, or what safehold made beside one', () => {
    expect(selectDatabases('postgres', 'all', live).databases).toEqual(['shop', 'shop_old', 'Shop Eu', 'billing']);
    expect(selectDatabases('mysql', 'all', ['mysql', 'sys', 'information_schema', 'performance_schema', 'app']).databases).toEqual(['app']);
  });

  it('a list keeps its order and reports names the server lacks; a pattern matches whole names, minus exclude', () => {
    expect(selectDatabases('postgres', ['billing', 'gone', 'shop'], live)).toEqual({ databases: ['billing', 'shop'], missing: ['gone'] });
    expect(selectDatabases('postgres', { match: 'shop*', exclude: ['shop_old'] }, live).databases).toEqual(['shop']);
    expect(selectDatabases('postgres', { match: '?hop*', exclude: [] }, live).databases).toEqual(['shop', 'shop_old', 'Shop Eu']);
    expect(globRegex('a.b*').test('aXb')).toBe(false);
  });

  it('stream names are flat and distinct; odd names carry a hash', () => {
    expect(databaseStreamName('srv', 'shop_old')).toBe('srv.shop_old');
    const odd = databaseStreamName('srv', 'Shop Eu/ü');
    expect(odd).toMatch(/^srv\.Shop_Eu__-[0-9a-f]{8}$/);
    expect(databaseStreamName('srv', 'Shop Eu ü')).not.toBe(odd);
  });

  it('restore.databases must name databases of the set; nothing is chosen silently', () => {
    const stored = ['a', 'b', 'c'].map((database) => ({ database }) as DatabaseRecord);
    expect(chooseRestored('srv', stored).map((r) => r.database)).toEqual(['a', 'b', 'c']);
    expect(chooseRestored('srv', stored, ['c', 'a']).map((r) => r.database)).toEqual(['a', 'c']);
    expect(() => chooseRestored('srv', stored, ['a', 'z'])).toThrow(
      /restore\.databases: "z" not in component srv of the set \(it holds a, b, c\); nothing was changed/,
    );
  });
});

describe('MariaDB accounts without their passwords', () => {
  it('CREATE USER loses its authentication and is locked; GRANT lines lose IDENTIFIED BY PASSWORD', () => {
    expect(withoutAuthentication("CREATE USER `app`@`%` IDENTIFIED BY PASSWORD '*AB12' WITH MAX_QUERIES_PER_HOUR 100")).toBe(
      'CREATE USER `app`@`%` WITH MAX_QUERIES_PER_HOUR 100 ACCOUNT LOCK',
    );
    expect(withoutAuthentication("CREATE USER `a`@`h` IDENTIFIED VIA mysql_native_password USING '*AB12' OR unix_socket ACCOUNT UNLOCK")).toBe(
      'CREATE USER `a`@`h` ACCOUNT LOCK',
    );
    expect(withoutAuthentication("GRANT USAGE ON *.* TO `app`@`%` IDENTIFIED BY PASSWORD '*AB12'")).toBe('GRANT USAGE ON *.* TO `app`@`%`');
  });

  it('grants on tables, columns and routines wait for the data; schema and global grants do not', () => {
    expect(needsObjects('GRANT SELECT ON `Beta Db`.`items` TO `app`@`%`')).toBe(true);
    expect(needsObjects('GRANT EXECUTE ON PROCEDURE `shop`.`p` TO `app`@`%`')).toBe(true);
    expect(needsObjects('GRANT SELECT, INSERT ON `shop`.* TO `app`@`%`')).toBe(false);
    expect(needsObjects('GRANT USAGE ON *.* TO `app`@`%`')).toBe(false);
  });
});

describe('a whole-server set read from a copy', () => {
  it("every stream's snapshot id (each database, its globals, the server globals and script) becomes the copy's", () => {
    const stream = (id: string) => ({ snapshotId: id, fileName: `${id}.x`, sha256: 'h', bytes: 1 });
    const db = { ...stream('d1'), name: 'srv.a', type: 'postgres', durationMs: 1, globals: stream('g1'), database: 'a' };
    const m = {
      components: [{ ...stream('s1'), name: 'srv', type: 'postgres', durationMs: 1, server: { globals: stream('s1'), sql: stream('q1'), databases: [db] } }],
    } as unknown as Manifest;
    const set = { snapshots: ['d1', 'g1', 's1', 'q1'].map((o) => ({ id: `copy-${o}`, original: `${o}0000` })) } as unknown as BackupSet;
    const rec = manifestInCopy(m, set).components[0];
    expect([rec.snapshotId, rec.server!.globals.snapshotId, rec.server!.sql!.snapshotId]).toEqual(['copy-s1', 'copy-s1', 'copy-q1']);
    expect(rec.server!.databases.map((d) => [d.database, d.snapshotId, d.globals!.snapshotId])).toEqual([['a', 'copy-d1', 'copy-g1']]);
  });
});
