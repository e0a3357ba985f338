// The history of drills, from Prometheus: the Pushgateway keeps only the latest push, Prometheus every scrape of it.
import { METRICS, PUSH_JOB } from '../../contract/metrics.js';
import type { Values } from '../../values/schema.js';

export interface DrillRun {
  /** When the drill ran (its pushed attempt timestamp), ISO. */
  readonly time: string;
  readonly result: 'passed' | 'failed';
  /** Measured RTO of a passing run. */
  readonly restoreSeconds?: number;
  /** RPO of a passing run: how old the set it restored was. */
  readonly restoredSetAgeSeconds?: number;
}

type Samples = ReadonlyArray<readonly [number, string]>;

/** One run per distinct attempt timestamp; status and restore figures as scraped at the sample that first shows it. Pure. */
export function drillRuns(s: { attempt: Samples; status: Samples; restore: Samples; setAge: Samples }): DrillRun[] {
  const at = (series: Samples) => new Map(series.map(([t, v]) => [t, Number(v)]));
  const status = at(s.status);
  const restore = at(s.restore);
  const setAge = at(s.setAge);
  const runs: DrillRun[] = [];
  let last: string | undefined;
  for (const [t, v] of s.attempt) {
    if (v === last) continue;
    last = v;
    const passed = status.get(t) === 1;
    runs.push({
      time: new Date(Number(v) * 1000).toISOString(),
      result: passed ? 'passed' : 'failed',
      ...(passed && restore.has(t) ? { restoreSeconds: restore.get(t) } : {}),
      ...(passed && setAge.has(t) ? { restoredSetAgeSeconds: setAge.get(t) } : {}),
    });
  }
  return runs;
}

/** Drill runs of one application between start and end (at most ~10,000 steps: runs closer than a step merge). */
export async function readDrillHistory(base: string, v: Values, start: Date, end: Date): Promise<DrillRun[]> {
  const selector = `{job="${PUSH_JOB}",namespace="${v.namespace}",app="${v.name}",instance="${v.instance ?? ''}"}`;
  const from = Math.floor(start.getTime() / 1000);
  const to = Math.ceil(end.getTime() / 1000);
  const step = Math.max(1, Math.ceil((to - from) / 10_000));
  const range = async (metric: string): Promise<Samples> => {
    const q = new URLSearchParams({ query: `${metric}${selector}`, start: String(from), end: String(to), step: String(step) });
    const res = await fetch(`${base.replace(/\/$/, '')}/api/v1/query_range?${q}`, { signal: AbortSignal.timeout(30_000) });
    const body = (await res.json()) as { status: string; error?: string; data?: { result: Array<{ values: Samples }> } };
    if (body.status !== 'success') throw new Error(`Prometheus ${base}: ${metric}: ${body.error ?? `HTTP ${res.status}`}`);
    return body.data!.result[0]?.values ?? [];
  };
  const [attempt, status, restore, setAge] = await Promise.all(
    [METRICS.drillLastAttempt, METRICS.drillLastStatus, METRICS.drillRestoreDuration, METRICS.drillRestoredSetAge].map(range),
  );
  return drillRuns({ attempt, status, restore, setAge });
}
