// The soak's own checks can fail: a restored copy that differs row by row, a run's lock encounters, a growing trend.
import { describe, expect, it } from 'vitest';
import { rowDifference, type Fingerprint } from '../../bench/lib/soak-data.js';
import { relativeSlope } from '../../bench/lib/soak-report.js';
import { readRunLog } from '../../bench/lib/soak-runs.js';

const source: Fingerprint = { shape: '1 tables, 2 indexes', rows: ['1 aaa', '2 bbb', '3 ccc'] };

describe('soak: row-by-row comparison', () => {
  it('an equal copy passes', () => {
    expect(rowDifference(source, { ...source, rows: [...source.rows] })).toBeUndefined();
  });

  it('names a changed, a missing and an extra row, and a changed schema', () => {
    expect(rowDifference(source, { ...source, rows: ['1 aaa', '2 XXX', '3 ccc'] })).toBe('1 row(s) differ (ids 2…) of 3 source rows');
    expect(rowDifference(source, { ...source, rows: ['1 aaa', '3 ccc'] })).toBe('1 row(s) missing (ids 2…) of 3 source rows');
    expect(rowDifference(source, { ...source, rows: [...source.rows, '4 ddd'] })).toBe('1 row(s) not in the source (ids 4…) of 3 source rows');
    expect(rowDifference(source, { shape: '1 tables, 1 indexes', rows: [...source.rows] })).toBe(
      'schema 1 tables, 1 indexes, source 1 tables, 2 indexes of 3 source rows',
    );
  });

  it('an empty restore of a non-empty source differs', () => {
    expect(rowDifference(source, { shape: source.shape, rows: [] })).toBe('3 row(s) missing (ids 1, 2, 3…) of 3 source rows');
  });
});

describe("soak: a run's log", () => {
  const line = (msg: string, extra: Record<string, unknown> = {}) => ({ level: 'info', msg, ...extra });

  it('counts listings that met a lock, lock retries apart from storage retries, and collects error lines', () => {
    const r = readRunLog([
      line('backup started'),
      line('restic: the repository is locked; removing stale locks', { error: 'unable to create lock in backend: repository is already locked exclusively' }),
      { level: 'warn', msg: 'restic: transient error, retrying', error: 'repository is already locked by PID 7' },
      { level: 'warn', msg: 'restic: transient error, retrying', error: 'connection reset by peer' },
      { level: 'error', msg: 'retention FAILED; the new set is stored and good, old sets remain until the next run', error: 'locked by another process\nmore' },
    ]);
    expect(r.contention).toEqual({ lockedListings: 1, lockRetries: 1, storageRetries: 1 });
    expect(r.errors).toEqual(['retention FAILED; the new set is stored and good, old sets remain until the next run: locked by another process']);
  });

  it("an error line without an error field gives its other fields as the cause (a drill check's got)", () => {
    const r = readRunLog([{ time: 't', level: 'error', msg: 'drill check FAILED', app: 'a', namespace: 'n', check: 'sql', ok: false, got: '"5 x"' }]);
    expect(r.errors).toEqual(['drill check FAILED: {"check":"sql","ok":false,"got":"\\"5 x\\""}']);
  });

  it('a quiet run has no contention and no errors', () => {
    expect(readRunLog([line('backup started'), line('backup finished')])).toEqual({
      contention: { lockedListings: 0, lockRetries: 0, storageRetries: 0 },
      errors: [],
    });
  });
});

describe('soak: trend', () => {
  it('flat series have no slope; a series growing 10 % of its mean per cycle shows +0.10', () => {
    expect(relativeSlope([5, 5, 5, 5])).toBe(0);
    expect(relativeSlope([9, 9.5, 10, 10.5, 11])).toBeCloseTo(0.05, 5);
    expect(relativeSlope([90, 100, 110])).toBeCloseTo(0.1, 5);
    expect(relativeSlope([7])).toBe(0);
  });
});
