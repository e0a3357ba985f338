// The drill's runtime guard: no resolved scratch target may be a production place, whatever the values say.
import { describe, expect, it } from 'vitest';
import { ExitCode, RefusedError } from '../../../src/errors.js';
import { canonicalHost, guardProblems, refuseProductionTargets, type AddressLookup } from '../../../src/runner/drill/guard.js';
import { resolveDrillTargets, type DrillTarget } from '../../../src/runner/drill/targets.js';
import { values as valuesSchema, type ValuesInput } from '../../../src/values/schema.js';

const login = { secretName: 'db' };
const PG = { name: 'db', type: 'postgres', host: 'pg.prod.svc', port: 5432, database: 'orders', credentials: login } as const;
const MY = { name: 'shop', type: 'mysql', host: '10.0.0.7', port: 3306, database: 'shop', credentials: login } as const;
const REDIS = { name: 'cache', type: 'redis', host: 'redis.prod.svc', port: 6379 } as const;

/** Values parsed by the schema only: the loader's cross-field rules are bypassed on purpose. */
function vals(components: ValuesInput['components'], targets: Record<string, unknown> = {}, extra: Partial<ValuesInput> = {}) {
  return valuesSchema.parse({
    name: 'app',
    namespace: 'prod',
    schedule: '0 3 * * *',
    repository: { local: { path: '/srv/repo' }, password: { secretName: 'restic' } },
    components,
    drill: { schedule: '0 5 * * 0', targets },
    ...extra,
  });
}

const resolve = (v: ReturnType<typeof vals>, support: 'dry-run' | 'restore-to' | undefined = undefined) =>
  resolveDrillTargets(v, { scratchDir: '/tmp/scratch', support: () => support }).targets;

const noDns: AddressLookup = async () => [];

describe('canonicalHost', () => {
  it.each([
    ['localhost', 'loopback'],
    ['LOCALHOST', 'loopback'],
    ['127.0.0.1', 'loopback'],
    ['127.1.2.3', 'loopback'],
    ['::1', 'loopback'],
    ['[::1]', 'loopback'],
    ['0:0:0:0:0:0:0:1', 'loopback'],
    ['::ffff:127.0.0.1', 'loopback'],
    ['0.0.0.0', 'loopback'],
    ['db.localhost', 'loopback'],
    ['localhost.', 'loopback'],
    ['PG.Prod.SVC.', 'pg.prod.svc'],
    ['::ffff:10.0.0.7', '10.0.0.7'],
    [' 10.0.0.7 ', '10.0.0.7'],
  ])('%s → %s', (host, canonical) => expect(canonicalHost(host)).toBe(canonical));
});

describe('drill guard', () => {
  it('accepts the default targets: scratch databases on the production servers, Redis on another server', async () => {
    const v = vals([PG, MY, REDIS], { cache: { host: 'redis-scratch.drill.svc' } });
    const targets = resolve(v);
    expect(targets.map((t) => (t.kind === 'server' ? [t.host, t.port, t.database] : t.kind))).toEqual([
      ['pg.prod.svc', 5432, 'safehold_drill_db'],
      ['10.0.0.7', 3306, 'safehold_drill_shop'],
      ['redis-scratch.drill.svc', 6379, undefined],
    ]);
    expect(await guardProblems(v, targets, noDns)).toEqual([]);
  });

  it('refuses the production database named as the target', async () => {
    const v = vals([PG], { db: { database: 'orders' } });
    const problems = await guardProblems(v, resolve(v), noDns);
    expect(problems).toEqual(['drill target of db (pg.prod.svc:5432/orders) is the production database of component db (pg.prod.svc:5432/orders)']);
  });

  it.each([
    ['a differently cased host', { host: 'PG.PROD.SVC', database: 'orders' }],
    ['a trailing dot', { host: 'pg.prod.svc.', database: 'orders' }],
    ['a differently cased database', { database: 'ORDERS' }],
    ['the explicit default port', { host: 'pg.prod.svc', port: 5432, database: 'orders' }],
  ])('refuses the production database spelt with %s', async (_what, target) => {
    const v = vals([PG], { db: target });
    expect(await guardProblems(v, resolve(v), noDns)).toHaveLength(1);
  });

  it.each(['localhost', '127.0.0.1', '::1', '[::1]', 'LocalHost', '127.0.0.53'])(
    'treats %s as the same host as every other loopback spelling',
    async (alias) => {
      const v = vals([{ ...PG, host: 'localhost' }], { db: { host: alias, database: 'orders' } });
      expect(await guardProblems(v, resolve(v), noDns)).toHaveLength(1);
    },
  );

  it('compares resolved addresses: a name and the IP it resolves to are the same server', async () => {
    const dns: AddressLookup = async (h) => (h === 'pg.prod.svc' ? ['10.96.0.12'] : h === 'pg-alias.prod.svc' ? ['10.96.0.12'] : []);
    for (const host of ['10.96.0.12', 'pg-alias.prod.svc']) {
      const v = vals([PG], { db: { host, database: 'orders' } });
      expect(await guardProblems(v, resolve(v), dns)).toHaveLength(1);
    }
    const elsewhere = vals([PG], { db: { host: 'pg-scratch.drill.svc', database: 'orders' } });
    expect(await guardProblems(elsewhere, resolve(elsewhere), dns)).toEqual([]);
  });

  it('a host resolving to loopback equals localhost', async () => {
    const dns: AddressLookup = async (h) => (h === 'myhost' ? ['127.0.1.1'] : []);
    const v = vals([{ ...PG, host: 'localhost' }], { db: { host: 'myhost', database: 'orders' } });
    expect(await guardProblems(v, resolve(v), dns)).toHaveLength(1);
  });

  it('the same database name on another port or another server is scratch', async () => {
    for (const t of [
      { port: 5433, database: 'orders' },
      { host: 'pg-scratch', database: 'orders' },
    ]) {
      const v = vals([PG], { db: t });
      expect(await guardProblems(v, resolve(v), noDns)).toEqual([]);
    }
  });

  it('refuses a target that is the production database of another component', async () => {
    const other = { ...PG, name: 'events', database: 'events' };
    const v = vals([PG, other], { db: { database: 'events' } });
    expect(await guardProblems(v, resolve(v), noDns)).toEqual([
      'drill target of db (pg.prod.svc:5432/events) is the production database of component events (pg.prod.svc:5432/events)',
    ]);
  });

  it("refuses a sidecar that would be production (production on this pod's loopback at the default port)", async () => {
    const v = vals([{ ...PG, host: 'localhost' }], { db: { sidecar: { image: 'postgres:16' }, database: 'orders' } });
    const targets = resolve(v);
    expect(targets[0]).toMatchObject({ kind: 'server', host: '127.0.0.1', port: 5432, sidecar: true });
    expect(await guardProblems(v, targets, noDns)).toHaveLength(1);
  });

  it('Redis: the same host and port is production whatever the database index', async () => {
    const v = vals([REDIS], { cache: { host: 'REDIS.prod.svc', port: 6379 } });
    expect(await guardProblems(v, resolve(v), noDns)).toEqual([
      'drill target of cache (REDIS.prod.svc:6379) is the production server of component cache (redis.prod.svc:6379)',
    ]);
    const other = vals([REDIS], { cache: { port: 6380 } });
    expect(await guardProblems(other, resolve(other), noDns)).toEqual([]);
  });

  it('a server target on the host and port of a production server of another type is refused', async () => {
    const v = vals([PG, REDIS], { cache: { host: 'pg.prod.svc', port: 5432 } });
    expect(await guardProblems(v, resolve(v), noDns)).toEqual([
      'drill targets of db and cache are the same place (pg.prod.svc:5432/safehold_drill_db)',
      'drill target of cache (pg.prod.svc:5432) is the production database of component db (pg.prod.svc:5432/orders)',
    ]);
  });

  it('refuses two targets on the same place', async () => {
    const v = vals([PG, { ...PG, name: 'events', database: 'events' }], { db: { database: 'scratch' }, events: { database: 'scratch' } });
    expect(await guardProblems(v, resolve(v), noDns)).toEqual(['drill targets of db and events are the same place (pg.prod.svc:5432/scratch)']);
  });

  it('refuses a scratch directory over production files or the repository; a dry run (stores nothing) may use the production namespace', async () => {
    const v = vals([PG]);
    const bad: DrillTarget[] = [
      { kind: 'dry-run', component: 'k', type: 'kubernetes', namespace: 'prod', restore: { dryRunNamespace: 'prod' } },
      { kind: 'directory', component: 'f', type: 'files', directory: '/srv/repo/x' },
    ];
    expect(await guardProblems(v, bad, noDns)).toEqual(['drill target of f (/srv/repo/x) overlaps the production path /srv/repo']);
  });

  it('throws a RefusedError (exit 3) listing every clash', async () => {
    const v = vals([PG, REDIS], { db: { database: 'orders' }, cache: { host: 'redis.prod.svc' } });
    const err = await refuseProductionTargets(v, resolve(v), noDns).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(RefusedError);
    expect((err as RefusedError).exitCode).toBe(ExitCode.refused);
    expect((err as Error).message).toMatch(/nothing was changed/);
    expect((err as Error).message).toMatch(/db \(pg\.prod\.svc:5432\/orders\)/);
    expect((err as Error).message).toMatch(/cache \(redis\.prod\.svc:6379\)/);
  });

  it('real DNS: localhost resolves to loopback', async () => {
    const v = vals([{ ...PG, host: '127.0.0.1' }], { db: { host: 'localhost', database: 'orders' } });
    expect(await guardProblems(v, resolve(v))).toHaveLength(1);
  });
});

describe('drill targets', () => {
  it('names scratch databases safehold_drill_<component>, sanitized and at most 63 characters', () => {
    const long = 'a'.repeat(63);
    const v = vals([
      { ...PG, name: 'my-db' },
      { ...PG, name: long, database: 'x' },
    ]);
    const [a, b] = resolve(v) as Array<Extract<DrillTarget, { kind: 'server' }>>;
    expect(a.database).toBe('safehold_drill_my_db');
    expect(b.database!.length).toBeLessThanOrEqual(63);
    expect(b.database).toMatch(/^safehold_drill_a+_[0-9a-f]{8}$/);
  });

  it('sidecars: 127.0.0.1 at the engine default port, the image superuser without password or TLS', () => {
    const v = vals([PG, MY, REDIS], {
      db: { sidecar: { image: 'postgres:16' } },
      shop: { sidecar: { image: 'mariadb:11' }, database: 'copy' },
      cache: { sidecar: { image: 'redis:7' } },
    });
    expect(resolve(v)).toEqual([
      expect.objectContaining({
        host: '127.0.0.1',
        port: 5432,
        database: 'safehold_drill_db',
        restore: expect.objectContaining({ connection: { username: 'postgres', password: undefined, sslMode: 'disable' } }),
      }),
      expect.objectContaining({
        host: '127.0.0.1',
        port: 3306,
        database: 'copy',
        restore: expect.objectContaining({ connection: { username: 'root', password: undefined } }),
      }),
      expect.objectContaining({
        host: '127.0.0.1',
        port: 6379,
        database: undefined,
        restore: expect.objectContaining({ connection: { username: undefined, password: undefined } }),
      }),
    ]);
  });

  it('Redis needs a sidecar or another server', () => {
    expect(() => resolve(vals([REDIS]))).toThrow(/drill\.targets\.cache: a redis drill needs a sidecar or another server/);
  });

  it("a scratch Redis server gets its own credentials or none, never production's", () => {
    const [t] = resolve(vals([{ ...REDIS, credentials: { secretName: 'prod-redis' } }], { cache: { port: 6380 } }));
    expect(t).toMatchObject({ restore: { host: 'redis.prod.svc', port: 6380, connection: { password: undefined } } });
    const [u] = resolve(vals([REDIS], { cache: { port: 6380, credentials: { secretName: 'scratch' } } }));
    expect(u).toMatchObject({ restore: { credentials: { secretName: 'scratch' } } });
    expect((u as { restore: { connection?: unknown } }).restore.connection).toBeUndefined();
  });

  it('kubernetes and files components: dry run / scratch directory when the handler supports it, else skipped', () => {
    const k8s = { name: 'objs', type: 'kubernetes' as const, resources: [{ apiVersion: 'v1', kind: 'Secret' }] };
    const files = { name: 'data', type: 'files' as const, paths: ['/data'] };
    const v = vals([k8s, files]);
    expect(resolve(v).map((t) => t.kind)).toEqual(['skipped', 'skipped']);
    expect(resolve(v, 'dry-run')[0]).toMatchObject({ kind: 'dry-run', namespace: v.namespace, restore: { dryRunNamespace: v.namespace } });
    expect(resolve(v, 'restore-to')[1]).toMatchObject({ kind: 'directory', directory: '/tmp/scratch/drill-files-data' });
  });

  it('a target for a component that does not exist is a usage error', () => {
    expect(() => resolve(vals([PG], { nope: { database: 'x' } }))).toThrow(/drill\.targets\.nope: no component is named "nope"/);
  });
});
