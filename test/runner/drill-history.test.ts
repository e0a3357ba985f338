// Drill runs from Prometheus range samples: one run per distinct pushed attempt, figures only for passing runs.
import { describe, expect, it } from 'vitest';
import { drillRuns } from '../../src/runner/metrics/drill-history.js';

describe('drillRuns', () => {
  it('one run per attempt timestamp, however many scrapes show it; a failed run keeps no stale RTO', () => {
    const t0 = 1_764_600_000;
    const attempt = [
      [t0, String(t0 - 5)],
      [t0 + 60, String(t0 - 5)],
      [t0 + 120, String(t0 + 100)],
      [t0 + 180, String(t0 + 100)],
      [t0 + 240, String(t0 + 200)],
    ] as const;
    const status = [
      [t0, '1'],
      [t0 + 60, '1'],
      [t0 + 120, '0'],
      [t0 + 180, '0'],
      [t0 + 240, '1'],
    ] as const;
    // The Pushgateway keeps the last passing run's restore time after a failure: it must not be shown for the failure.
    const restore = [
      [t0, '7.5'],
      [t0 + 60, '7.5'],
      [t0 + 120, '7.5'],
      [t0 + 180, '7.5'],
      [t0 + 240, '6.25'],
    ] as const;
    const setAge = [
      [t0, '20'],
      [t0 + 240, '30'],
    ] as const;
    expect(drillRuns({ attempt, status, restore, setAge })).toEqual([
      { time: new Date((t0 - 5) * 1000).toISOString(), result: 'passed', restoreSeconds: 7.5, restoredSetAgeSeconds: 20 },
      { time: new Date((t0 + 100) * 1000).toISOString(), result: 'failed' },
      { time: new Date((t0 + 200) * 1000).toISOString(), result: 'passed', restoreSeconds: 6.25, restoredSetAgeSeconds: 30 },
    ]);
    expect(drillRuns({ attempt: [], status: [], restore: [], setAge: [] })).toEqual([]);
  });
});
