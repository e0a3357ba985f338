// The clone: rules (one request at a time, never the application itself, PostgreSQL only, masking steps on cloned
// components, no psql backslash commands, no exec or continuing hooks) and the request id; the pure matching and refusal.
import { describe, expect, it } from 'vitest';
import { stringify } from 'yaml';
import { cloneRequestId } from '../../src/contract/requests.js';
import { matchComponents, ownTargetProblem, sameHost } from '../../src/runner/clones/plan.js';
import { maskStatement } from '../../src/runner/clones/side.js';
import type { Manifest } from '../../src/runner/sets.js';
import { parseValues } from '../../src/values/load.js';
import { BASE } from '../constructs/_fixtures.js';
import { problems } from './_problems.js';

const from = { namespace: 'prod', name: 'shop' };
const mask = [{ component: 'db', sql: "UPDATE users SET email = 'x'" }];

describe('clone values', () => {
  it('accepts a clone with defaults', () => {
    const v = parseValues(stringify({ ...BASE, clone: { from, mask } }), 'v.yaml');
    expect(v.clone).toMatchObject({ from, snapshot: 'latest', timeout: '2h', mask });
  });

  it('refuses, each at its path: restore and clone together, the application itself, a missing or non-PostgreSQL component, bad steps', () => {
    const p = problems({
      components: [...(BASE.components as object[]), { name: 'cache', type: 'redis', host: 'redis', port: 6379 }],
      restore: {},
      clone: {
        from: { namespace: 'team', name: 'shop' },
        components: ['db', 'cache', 'nope'],
        mask: [
          { component: 'other', sql: 'SELECT 1' },
          { component: 'db', sql: ['SELECT 1', '\\! rm -rf /'] },
          { component: 'db', hook: { name: 'x', type: 'exec', selector: 'app=x', command: ['true'] } },
          { component: 'db', hook: { name: 'y', type: 'command', command: ['true'], onError: 'continue' } },
        ],
      },
    });
    const at = Object.fromEntries(p);
    expect(at['clone']).toMatch(/one request at a time/);
    expect(at['clone.from']).toMatch(/names this application itself \(team\/shop\)/);
    expect(at['clone.components[2]']).toMatch(/must name a component \(db, cache\), got "nope"/);
    expect(at['clone.components[1]']).toMatch(/component cache is redis: clones are built for PostgreSQL only/);
    expect(at['clone.mask[0].component']).toMatch(/must name a cloned component/);
    expect(at['clone.mask[1].sql[1]']).toMatch(/got a psql command "\\!"/);
    expect(at['clone.mask[2].hook.type']).toMatch(/command or http hook/);
    expect(at['clone.mask[3].hook.onError']).toMatch(/never continues/);
  });

  it('is one request: defaults and tuning keep the id; another source, set, mask or requestId is a new one', () => {
    const id = (clone: Record<string, unknown>) => cloneRequestId(parseValues(stringify({ ...BASE, clone }), 'v.yaml'));
    const base = id({ from, mask });
    expect(base).toMatch(/^clone-[0-9a-f]{10}$/);
    expect(id({ from, mask, snapshot: 'latest', timeout: '5h' })).toBe(base);
    const changed = [
      id({ from: { ...from, name: 'shop2' }, mask }),
      id({ from, mask, snapshot: '20261201-030000-abcdef' }),
      id({ from, mask: [{ component: 'db', sql: 'UPDATE users SET email = NULL' }] }),
      id({ from, mask, requestId: 'again' }),
      id({ from: { ...from, repository: { local: { path: '/prod' }, password: { secretName: 'p' } } }, mask }),
    ];
    expect(new Set([base, ...changed]).size).toBe(changed.length + 1);
  });
});

describe('clone plan (pure)', () => {
  const manifest = (components: Manifest['components']): Manifest => ({ format: 'safehold.backup-set/v1', setId: 's1', components }) as unknown as Manifest;
  const rec = (name: string, type = 'postgres', source?: { host: string; port: number; database: string }) =>
    ({ name, type, snapshotId: 'x', fileName: 'f', bytes: 1, sha256: 'h', durationMs: 1, ...(source ? { source } : {}) }) as Manifest['components'][number];
  const c = (name: string, type = 'postgres') => ({ name, type }) as never;

  it('matches by name and type; a missing name or another type is a problem naming what the set has', () => {
    const r = matchComponents([c('db'), c('cache'), c('other')], manifest([rec('db'), rec('cache', 'redis'), rec('extra')]), 'prod/shop');
    expect(r.pairs.map((p) => p.c)).toEqual([c('db')]);
    expect(r.problems).toEqual([
      expect.stringMatching(/^cache: is postgres here but redis in set s1/),
      expect.stringMatching(/^other: set s1 of prod\/shop has no component other \(it has db, cache, extra\)/),
    ]);
    expect(r.ignored).toEqual(['extra']);
  });

  it("refuses the source's own target, whatever the host's spelling, and a set that does not record it", () => {
    const src = { host: 'pg.prod.svc.cluster.local', port: 5432, database: 'shop' };
    const pair = { c: c('db'), rec: rec('db', 'postgres', src) };
    expect(sameHost('PG.prod.svc', 'pg.prod.svc.cluster.local.')).toBe(true);
    expect(ownTargetProblem(pair, { host: 'pg.prod.svc', port: 5432, database: 'shop' }, 'prod/shop')).toMatch(/never overwrites its source/);
    expect(ownTargetProblem(pair, { host: 'pg.prod.svc', port: 5432, database: 'shop_staging' }, 'prod/shop')).toBeUndefined();
    expect(ownTargetProblem(pair, { host: 'pg.staging.svc', port: 5432, database: 'shop' }, 'prod/shop')).toBeUndefined();
    expect(ownTargetProblem({ c: c('db'), rec: rec('db') }, { host: 'h', port: 1, database: 'd' }, 'prod/shop')).toMatch(/does not record where/);
  });

  it('a masking step is one -c string (one transaction on the server)', () => {
    expect(maskStatement(['UPDATE a SET b = 1;', ' DELETE FROM c '])).toBe('UPDATE a SET b = 1;\nDELETE FROM c');
  });
});
