// restore.only: which selectors each component type takes, where the errors point, and that `only` is part of the request id.
import { describe, expect, it } from 'vitest';
import { stringify } from 'yaml';
import { restoreRequestId } from '../../src/contract/requests.js';
import { ValuesError } from '../../src/errors.js';
import { parseValues } from '../../src/values/load.js';
import { BASE, makeValues } from '../constructs/_fixtures.js';

const COMPONENTS = [
  ...BASE.components,
  { name: 'shopdb', type: 'mysql', host: 'maria.team.svc', database: 'shop', credentials: { secretName: 'maria' } },
  { name: 'cache', type: 'redis', host: 'redis.team.svc' },
  { name: 'files', type: 'files', paths: ['/data'] },
  { name: 'objects', type: 'kubernetes', resources: [{ apiVersion: 'v1', kind: 'ConfigMap' }] },
];

function problems(restore: Record<string, unknown>, more: Record<string, unknown> = {}): Array<[string, string, number]> {
  try {
    parseValues(stringify({ ...BASE, components: COMPONENTS, restore, ...more }), 'v.yaml');
  } catch (e) {
    if (e instanceof ValuesError) return e.problems.map((p) => [p.path, p.message, p.line]);
    throw e;
  }
  return [];
}

describe('restore.only values', () => {
  it('accepts each selector on its component type, into: live by default', () => {
    const v = parseValues(
      stringify({
        ...BASE,
        components: COMPONENTS,
        restore: {
          only: {
            db: { tables: ['public.orders', 'items'], schemas: ['billing'] },
            shopdb: { tables: ['orders'], into: 'side' },
            cache: { keys: ['session:*'] },
            files: { paths: ['/data/uploads'] },
          },
        },
      }),
      'v.yaml',
    );
    expect(v.restore!.only!.db.into).toBe('live');
    expect(v.restore!.only!.shopdb.into).toBe('side');
  });

  it('names the file line, the field, what was expected and what to write', () => {
    const p = problems({
      only: {
        nosuch: { tables: ['t'] },
        db: { keys: ['x:*'] },
        cache: {},
        files: { paths: ['/elsewhere/x'] },
        objects: { paths: ['/x'] },
      },
      components: ['db', 'cache', 'files', 'objects'],
      dropExisting: true,
      confirm: 'shop',
    });
    expect(p.map(([path, message]) => [path, message]).sort((a, b) => String(a[0]).localeCompare(String(b[0])))).toEqual(
      [
        ['restore.only.nosuch', 'must name a component (db, shopdb, cache, files, objects), got "nosuch"'],
        ['restore.only.db.keys', 'is not a selector of a postgres component; write tables: [public.orders] or schemas: [billing]'],
        ['restore.only.db', 'says nothing to restore; write tables: [public.orders] or schemas: [billing]'],
        ['restore.only.cache', 'says nothing to restore; write keys: ["session:*"]'],
        ['restore.only.files.paths[0]', 'must lie inside one of the component\'s paths (/data), got "/elsewhere/x"'],
        ['restore.only.objects', expect.stringMatching(/^partial restores cover postgres, mysql, redis and files components; objects is kubernetes/)],
        ['restore.dropExisting', 'a partial restore (restore.only) never drops a database: remove dropExisting and confirm'],
      ].sort((a, b) => String(a[0]).localeCompare(String(b[0]))),
    );
    // Each at the line it was written on (the YAML puts restore after the components).
    expect(Math.min(...p.map(([, , line]) => line))).toBeGreaterThan(20);
    expect(problems({ only: { shopdb: { tables: ['t'] } }, components: ['db'] })).toEqual([
      ['restore.only.shopdb', 'must be restored by the same request: add "shopdb" to restore.components (or remove restore.components)', expect.any(Number)],
    ]);
  });

  it('is part of the request id: a new only is a new request; defaults and order written out are not', () => {
    const id = (only: object) => restoreRequestId(makeValues({ restore: { only } }));
    const first = id({ db: { tables: ['orders', 'items'] } });
    expect(id({ db: { tables: ['items', 'orders'], into: 'live' } })).toBe(first);
    expect(id({ db: { tables: ['orders'] } })).not.toBe(first);
    expect(id({ db: { tables: ['orders', 'items'], into: 'side' } })).not.toBe(first);
    expect(restoreRequestId(makeValues({ restore: {} }))).not.toBe(first);
  });
});
