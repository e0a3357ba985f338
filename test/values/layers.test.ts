// Layered values: _defaults.yaml from the root down, maps merge, lists replace, null removes; provenance of every field.
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { ValuesError, type ValuesProblem } from '../../src/errors.js';
import { explainFile } from '../../src/values/explain.js';
import { defaultsFor, loadLayered, mergeLayers } from '../../src/values/layers.js';
import { acceptanceTree, app, PROD_DEFAULTS, ROOT_DEFAULTS, writeTree } from './_layered-tree.js';

function problems(f: () => unknown): readonly ValuesProblem[] {
  try {
    f();
  } catch (e) {
    if (e instanceof ValuesError) return e.problems;
    throw e;
  }
  throw new Error('expected a ValuesError');
}

describe('mergeLayers', () => {
  it('merges maps deeply, replaces lists and scalars, and null removes a field', () => {
    const merged = mergeLayers([
      { a: { b: 1, c: { d: 2, e: 3 } }, list: [1, 2, 3], gone: { x: 1 }, s: 'base' },
      { a: { c: { e: 30, f: 40 } }, list: [9], gone: null, s: { now: 'a map' } },
    ]);
    expect(merged).toEqual({ a: { b: 1, c: { d: 2, e: 30, f: 40 } }, list: [9], s: { now: 'a map' } });
  });

  it('does not share objects with its inputs', () => {
    const base = { a: { b: 1 } };
    const merged = mergeLayers([base, { a: { c: 2 } }]);
    expect(base).toEqual({ a: { b: 1 } });
    expect(merged.a).not.toBe(base.a);
  });
});

describe('layered values files', () => {
  it('finds every _defaults.yaml from the root down to the file, shallowest first', () => {
    const root = acceptanceTree();
    expect(defaultsFor(join(root, 'prod/shop.yaml'), root)).toEqual([join(root, '_defaults.yaml'), join(root, 'prod/_defaults.yaml')]);
    expect(defaultsFor(join(root, 'staging/shop.yaml'), root)).toEqual([join(root, '_defaults.yaml')]);
  });

  it('a deeper defaults file overrides a shallower one, and the values file overrides both', () => {
    const root = acceptanceTree();
    const shop = loadLayered(join(root, 'prod/shop.yaml'), { root }).values;
    expect(shop.schedule).toBe('0 1 * * *'); // prod over root
    expect(shop.image).toBe('registry.example.com/safehold/runner:1.2.3');
    expect(shop.repository.s3).toMatchObject({ bucket: 'acme-backups', region: 'us-east-1' });
    expect(shop.monitoring.alerts).toMatchObject({ maxAge: '30h', for: '15m' });
    expect(shop.retention).toEqual({ keepDaily: 7, keepWeekly: 4, prune: true });
    // The app's own retention map merges into prod's.
    expect(loadLayered(join(root, 'prod/blog.yaml'), { root }).values.retention).toEqual({ keepDaily: 14, keepWeekly: 4, prune: true });
    expect(loadLayered(join(root, 'staging/shop.yaml'), { root }).values.schedule).toBe('0 3 * * *');
  });

  it('null in a values file removes an inherited field, a list replaces the inherited list', () => {
    const root = writeTree({
      '_defaults.yaml': ROOT_DEFAULTS.replace('  alerts: { maxAge: 30h }', '  ruleLabels: { release: kps }'),
      'shop.yaml': `${app('shop', 'shop')}monitoring:\n  ruleLabels: null\n`,
    });
    const v = loadLayered(join(root, 'shop.yaml'), { root }).values;
    expect(v.monitoring.ruleLabels).toEqual({});
    expect(v.monitoring.pushgateway).toBe('http://pushgateway.monitoring:9091');
  });

  it('a mistake in a _defaults.yaml is reported with that file, line and column', () => {
    const root = writeTree({
      '_defaults.yaml': ROOT_DEFAULTS,
      'prod/_defaults.yaml': `schedule: "0 1 * * *"\nretention:\n  keepDaily: many\n  keepWeeks: 4\n`,
      'prod/shop.yaml': app('shop', 'shop-prod'),
    });
    const p = problems(() => loadLayered(join(root, 'prod/shop.yaml'), { root }));
    expect(p).toEqual([
      expect.objectContaining({
        file: join(root, 'prod/_defaults.yaml'),
        line: 3,
        col: 14,
        path: 'retention.keepDaily',
        message: expect.stringMatching(/expected number, got "many"/),
      }),
      expect.objectContaining({ file: join(root, 'prod/_defaults.yaml'), line: 4, col: 3, path: 'retention.keepWeeks', message: 'unknown field' }),
    ]);
  });

  it('a mistake in a _defaults.yaml is an error even where every values file overrides that field', () => {
    const root = writeTree({ '_defaults.yaml': `${ROOT_DEFAULTS}timeout: soon\n`, 'shop.yaml': `${app('shop', 'shop')}timeout: 1h\n` });
    expect(problems(() => loadLayered(join(root, 'shop.yaml'), { root }))).toEqual([
      expect.objectContaining({ file: join(root, '_defaults.yaml'), line: 13, col: 10, path: 'timeout' }),
    ]);
  });

  it('a defaults file may leave out required fields, but not hold credentials', () => {
    const root = writeTree({
      '_defaults.yaml':
        'repository:\n  s3:\n    endpoint: https://s3.example.com\n    bucket: acme-backups\n    credentials: { secretName: s3 }\n  password: hunter2hunter2\n',
      'shop.yaml': app('shop', 'shop'),
    });
    const p = problems(() => loadLayered(join(root, 'shop.yaml'), { root }));
    expect(p).toHaveLength(1);
    expect(p[0]).toMatchObject({ file: join(root, '_defaults.yaml'), line: 6, col: 13, path: 'repository.password' });
    expect(p[0]!.message).toMatch(/secret|credential/i);
  });

  it('an error about a merged value names the defaults file that wrote it', () => {
    // Valid alone in each file, wrong together: two repository kinds (s3 from the root, local from the app).
    const root = writeTree({ '_defaults.yaml': ROOT_DEFAULTS, 'shop.yaml': `${app('shop', 'shop')}repository:\n  local: { path: /backups }\n` });
    const p = problems(() => loadLayered(join(root, 'shop.yaml'), { root }));
    expect(p).toEqual([expect.objectContaining({ path: 'repository', message: expect.stringMatching(/exactly one of s3, pvc or local, got s3, local/) })]);
    // The repository map was written by both; the winner (the app) is named.
    expect(p[0]!.file).toBe(join(root, 'shop.yaml'));
    // A wrong value that only a defaults file wrote, found by a cross-field rule, is located there.
    const root2 = writeTree({ '_defaults.yaml': `${ROOT_DEFAULTS}timeZone: Mars/Olympus\n`, 'shop.yaml': app('shop', 'shop') });
    expect(problems(() => loadLayered(join(root2, 'shop.yaml'), { root: root2 }))).toEqual([
      expect.objectContaining({ file: join(root2, '_defaults.yaml'), line: 13, col: 11, path: 'timeZone' }),
    ]);
  });

  it('--explain: every field with its source, the winner of a field set twice first', () => {
    const root = acceptanceTree();
    const text = explainFile(join(root, 'prod/shop.yaml'), { root });
    const line = (path: string) => text.split('\n').find((l) => l.startsWith(`${path}: `));
    expect(text.split('\n')[0]).toBe(
      `# ${join(root, 'prod/shop.yaml')}: merged from ${join(root, '_defaults.yaml')} → ${join(root, 'prod/_defaults.yaml')} → ${join(root, 'prod/shop.yaml')}`,
    );
    expect(line('schedule')).toBe(`schedule: "0 1 * * *"  # ${join(root, 'prod/_defaults.yaml')}:1:11 (overrides ${join(root, '_defaults.yaml')}:12:11)`);
    expect(line('repository.s3.bucket')).toBe(`repository.s3.bucket: "acme-backups"  # ${join(root, '_defaults.yaml')}:5:13`);
    expect(line('retention.keepWeekly')).toBe(`retention.keepWeekly: 4  # ${join(root, 'prod/_defaults.yaml')}:2:40`);
    expect(line('components[0].host')).toBe(`components[0].host: "pg.shop-prod.svc"  # ${join(root, 'prod/shop.yaml')}:6:11`);
    expect(line('timeZone')).toBe('timeZone: "UTC"  # safehold default');
    expect(PROD_DEFAULTS).toContain('keepWeekly: 4');
  });
});
