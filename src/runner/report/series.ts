// The report's charts as data: pure, from the set history `safehold status` already collected (no second listing).
import type { DrillRun } from '../metrics/drill-history.js';
import type { AppStatus, SetPoint } from '../status/model.js';
import { byTime } from '../restic/time-order.js';

export interface ChartSeries {
  readonly label: string;
  /** One value per x; null where the set has no value (a component missing, no manifest). */
  readonly values: ReadonlyArray<number | null>;
}

export interface ChartData {
  /** Stable within a report: `<app key>/<chart>`. */
  readonly id: string;
  readonly title: string;
  readonly unit: 'bytes' | 'seconds';
  /** Unix seconds. */
  readonly x: readonly number[];
  readonly series: readonly ChartSeries[];
}

const unix = (iso: string) => Date.parse(iso) / 1000;

/** Complete sets (good or suspicious: they have a manifest), oldest first. */
function storedSets(history: readonly SetPoint[]): SetPoint[] {
  return byTime(history.filter((s) => s.status !== 'incomplete'));
}

/** Size per component at each stored set. */
export function sizeChart(key: string, a: Pick<AppStatus, 'components'>, history: readonly SetPoint[]): ChartData {
  const sets = storedSets(history);
  return {
    id: `${key}/size`,
    title: 'Size per component',
    unit: 'bytes',
    x: sets.map((s) => unix(s.time)),
    series: a.components.map((c) => ({ label: c.name, values: sets.map((s) => s.bytes[c.name] ?? null) })),
  };
}

/** What each stored set took, from its first component's snapshot to its manifest. */
export function durationChart(key: string, history: readonly SetPoint[]): ChartData {
  const sets = storedSets(history);
  return {
    id: `${key}/duration`,
    title: 'Backup duration',
    unit: 'seconds',
    x: sets.map((s) => unix(s.time)),
    series: [{ label: 'duration', values: sets.map((s) => s.durationSeconds ?? null) }],
  };
}

/** Each drill's restore time (measured RTO); null for a failed run. From Prometheus (the Pushgateway keeps one run). */
export function drillChart(key: string, runs: readonly DrillRun[]): ChartData {
  return {
    id: `${key}/drill`,
    title: 'Drill restore time (RTO)',
    unit: 'seconds',
    x: runs.map((r) => unix(r.time)),
    series: [{ label: 'restore', values: runs.map((r) => r.restoreSeconds ?? null) }],
  };
}

/**
 * How old the newest good set had become: at each good set, the age its predecessor had reached (the worst RPO
 * of that gap), and now, the age of the last one. The maxAge line is the threshold `status` and the alert use.
 */
export function ageChart(key: string, a: Pick<AppStatus, 'maxAgeSeconds'>, history: readonly SetPoint[], now: Date): ChartData {
  const good = storedSets(history).filter((s) => s.status === 'good');
  const x: number[] = [];
  const age: number[] = [];
  for (let i = 1; i < good.length; i++) {
    x.push(unix(good[i].time));
    age.push(Math.round(unix(good[i].time) - unix(good[i - 1].time)));
  }
  if (good.length) {
    x.push(Math.round(now.getTime() / 1000));
    age.push(Math.round(now.getTime() / 1000 - unix(good.at(-1)!.time)));
  }
  return {
    id: `${key}/age`,
    title: 'Age of the newest good set (RPO)',
    unit: 'seconds',
    x,
    series: [
      { label: 'age', values: age },
      { label: 'maxAge', values: x.map(() => a.maxAgeSeconds) },
    ],
  };
}
