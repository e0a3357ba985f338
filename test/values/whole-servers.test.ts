// Whole-server components in values files: database and databases exclude each other; what a restore or a drop of
// a whole server must say; every error names the file, the line and the field.
import { describe, expect, it } from 'vitest';
import { ValuesError } from '../../src/errors.js';
import { parseValues } from '../../src/values/load.js';

const values = (component: string, extra = '') => `name: shop
namespace: prod
schedule: "0 2 * * *"
repository:
  local: { path: /backups }
  password: { secretName: restic-key }
components:
  - name: srv
    type: postgres
    host: pg
    credentials: { secretName: shop-db }
${component}
${extra}`;

const problems = (text: string) => {
  try {
    parseValues(text, 'v.yaml');
    return [];
  } catch (e) {
    if (e instanceof ValuesError) return e.problems.map((p) => `${p.file}:${p.line} ${p.path}: ${p.message}`);
    throw e;
  }
};

describe('whole-server components (databases:)', () => {
  it.each([
    ['    databases: all', 'all'],
    ['    databases: [shop, "Billing Db"]', ['shop', 'Billing Db']],
    ['    databases: { match: "shop_*", exclude: [shop_old] }', { match: 'shop_*', exclude: ['shop_old'] }],
  ])('accepts %s', (line, expected) => {
    expect(problems(values(line))).toEqual([]);
    expect((parseValues(values(line), 'v.yaml').components[0] as { databases: unknown }).databases).toEqual(expected);
  });

  it('database and databases together: refused, with the line and a fix', () => {
    expect(problems(values('    database: shop\n    databases: all'))).toEqual([
      'v.yaml:13 components[0].databases: database and databases exclude each other: keep database: shop for one database, or remove it and keep databases: for the whole server',
    ]);
  });

  it('neither: refused, naming both ways', () => {
    const [p] = problems(values(''));
    expect(p).toMatch(/^v\.yaml:8 components\[0\]\.database: needs the database to back up: database: <name> .* or databases: all/);
  });

  it("the server's own databases, passwords without databases, a drop Job of a whole server: refused", () => {
    expect(problems(values('    databases: [shop, template1]'))).toEqual([
      `v.yaml:12 components[0].databases[1]: "template1" is the server's own database, which safehold does not back up or restore: remove it (docs/whole-servers.md says why)`,
    ]);
    expect(problems(values('    database: shop\n    passwords: true'))[0]).toMatch(/components\[0\]\.passwords: only meaningful with databases:/);
    const drop = problems(values('    databases: all', 'restore: {}\ndropDatabase: { component: srv, confirm: srv }'));
    expect(drop.join('\n')).toMatch(/dropDatabase\.component: srv is a whole server .* use restore\.dropExisting with confirm: "all of srv"/);
  });

  it('restore.databases needs a restored whole-server component; dropExisting confirms "all of <component>"', () => {
    expect(problems(values('    databases: all', 'restore: { databases: [shop] }'))).toEqual([]);
    expect(problems(values('    database: shop', 'restore: { databases: [shop] }'))[0]).toMatch(
      /restore\.databases: chooses databases of whole-server components \(databases:\), but none is restored/,
    );
    expect(problems(values('    databases: all', 'restore: { dropExisting: true, confirm: "all of srv" }'))).toEqual([]);
    expect(problems(values('    databases: [a, b]', 'restore: { dropExisting: true, confirm: "all of srv" }'))[0]).toMatch(/confirm: "a,b"/);
  });
});
