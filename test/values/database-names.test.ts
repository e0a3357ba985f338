// Database names: any name the servers accept (spaces, dots, mixed case, unicode); what they refuse, refused with the rule.
import { describe, expect, it } from 'vitest';
import { ValuesError } from '../../src/errors.js';
import { parseValues } from '../../src/values/load.js';

const withDb = (db: string) => `name: shop
namespace: prod
schedule: "0 2 * * *"
repository:
  local: { path: /backups }
  password: { secretName: restic-key }
components:
  - name: db
    type: postgres
    host: pg
    database: ${JSON.stringify(db)}
    credentials: { secretName: shop-db }
`;

const problems = (db: string) => {
  try {
    parseValues(withDb(db), 'v.yaml');
    return [];
  } catch (e) {
    if (e instanceof ValuesError) return e.problems.map((p) => `${p.path}: ${p.message}`);
    throw e;
  }
};

describe('database names', () => {
  it.each(['Shop Db', 'shop.prod', 'MixedCase', 'ünïcödé データ', '1starts-with-digit', "o'brien", 'a=b', 'x'.repeat(63)])('accepts %j', (db) => {
    expect(problems(db)).toEqual([]);
    expect((parseValues(withDb(db), 'v.yaml').components[0] as { database: string }).database).toBe(db);
  });

  it.each([
    ['', /database name/],
    ['trailing ', /not ending in white space/],
    ['a/b', /"\/"/],
    ['tab\there', /control characters/],
    ['x'.repeat(64), /63/],
    ['ü'.repeat(32), /63 bytes in UTF-8/],
  ])('refuses %j', (db, why) => {
    const p = problems(db);
    expect(p.length).toBeGreaterThan(0);
    for (const x of p) expect(x).toMatch(/^components\[0\]\.database: /);
    expect(p.join('\n')).toMatch(why);
  });
});
