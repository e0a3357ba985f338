// restic's snapshot times (RFC 3339, nanoseconds with trailing zeros trimmed, the host's offset) in time order.
import { describe, expect, it } from 'vitest';
import { byClaimOrder, type RequestRecord } from '../../src/runner/requests/records.js';
import { byTime, compareTimes } from '../../src/runner/restic/time-order.js';
import { groupSets } from '../../src/runner/sets.js';

describe('restic time order', () => {
  it('orders trimmed fractions, offsets and whole seconds by time, not as text', () => {
    const times = [
      '2026-12-01T22:26:16.41Z',
      '2026-12-01T22:26:16Z',
      '2026-12-01T23:26:16.4+01:00',
      '2026-12-01T22:26:16.000000001Z',
      '2026-12-01T22:26:15.999999999Z',
    ];
    expect(byTime(times.map((time) => ({ time }))).map((t) => t.time)).toEqual([
      '2026-12-01T22:26:15.999999999Z',
      '2026-12-01T22:26:16Z',
      '2026-12-01T22:26:16.000000001Z',
      '2026-12-01T23:26:16.4+01:00',
      '2026-12-01T22:26:16.41Z',
    ]);
    expect(compareTimes('2026-12-01T22:26:16.4Z', '2026-12-01T22:26:16.41Z')).toBeLessThan(0);
    expect(compareTimes('2026-12-01T22:26:16.40Z', '2026-12-01T22:26:16.4Z')).toBe(0);
  });

  it('the first claim of a request is the earlier one, even when its time string sorts later', () => {
    const rec = (time: string, snapshotId: string) =>
      ({ request: 'r', state: 'claimed', holder: snapshotId, time, snapshotId, shortId: snapshotId }) as RequestRecord;
    const sorted = [rec('2026-12-01T22:26:16.41Z', 'later'), rec('2026-12-01T22:26:16.4Z', 'first')].sort(byClaimOrder);
    expect(sorted.map((r) => r.snapshotId)).toEqual(['first', 'later']);
  });

  it('sets come out oldest first whatever order the listing had', () => {
    const snap = (id: string, set: string, time: string) => ({
      id,
      short_id: id,
      time,
      hostname: 'h',
      tags: ['safehold', `set=${set}`, 'manifest', 'status=good'],
    });
    const sets = groupSets([snap('b', 'second', '2026-12-01T22:26:16.41Z'), snap('a', 'first', '2026-12-01T22:26:16.4Z')] as never);
    expect(sets.map((s) => s.id)).toEqual(['first', 'second']);
  });
});
