// What `safehold status` knows about one application: pure, from one repository listing and the pushed metrics.
import { appTag, resticHost } from '../../contract/layout.js';
import { METRICS } from '../../contract/metrics.js';
import { durationSeconds } from '../../values/formats.js';
import type { Values } from '../../values/schema.js';
import type { PushedGroup } from '../metrics/read.js';
import type { Snapshot } from '../restic/client.js';
import { groupSets, sizesFromTags, TAG_SAFEHOLD, type BackupSet } from '../sets.js';
import { byTime, compareTimes } from '../restic/time-order.js';

/** Tag prefix of one-shot request records (restic snapshots) in the repository. */
export const REQUEST_TAG = 'safehold-request=';

export interface SetPoint {
  readonly id: string;
  readonly time: string;
  readonly status: BackupSet['status'];
  /** From the first component's snapshot to the manifest's: what the run took to store the set. */
  readonly durationSeconds?: number;
  /** Per component, from the manifest's size tags (complete sets only). */
  readonly bytes: Readonly<Record<string, number>>;
}

export interface ComponentStatus {
  readonly name: string;
  readonly type: string;
  readonly bytes?: number;
  readonly previousBytes?: number;
  /** Change against the previous good set, in percent (one decimal). */
  readonly changePercent?: number;
}

export interface DrillStatus {
  readonly result: 'passed' | 'failed' | 'unknown';
  readonly lastAttempt?: string;
  readonly lastSuccess?: string;
  readonly lastSuccessAgeSeconds?: number;
  /** Measured RTO: fetch, verify and apply of every component in the last passing drill. */
  readonly restoreSeconds?: number;
  /** RPO at that drill: how old the restored set was. */
  readonly restoredSetAgeSeconds?: number;
  readonly durationSeconds?: number;
  /** Why the result is unknown (no Pushgateway, or it did not answer). */
  readonly note?: string;
}

export interface RequestStatus {
  readonly id: string;
  /** The newest record's state tag (state=…), or "recorded". */
  readonly state: string;
  readonly time: string;
  readonly records: number;
  /** Every key=value tag of the newest record, as stored. */
  readonly tags: Readonly<Record<string, string>>;
}

export interface AppStatus {
  readonly app: string;
  readonly namespace: string;
  readonly instance?: string;
  readonly repository: string;
  readonly schedule: string;
  readonly maxAgeSeconds: number;
  readonly lastGood?: { readonly id: string; readonly time: string; readonly ageSeconds: number; readonly durationSeconds?: number };
  readonly overdue: boolean;
  readonly counts: { readonly good: number; readonly suspicious: number; readonly incomplete: number };
  /** Ids, newest last (at most 10). */
  readonly suspicious: readonly string[];
  readonly incomplete: readonly string[];
  readonly components: readonly ComponentStatus[];
  /** Absent when the values have no drill. */
  readonly drill?: DrillStatus;
  readonly requests: readonly RequestStatus[];
  readonly problems: readonly string[];
}

const iso = (seconds: number | undefined) => (seconds === undefined || !Number.isFinite(seconds) ? undefined : new Date(seconds * 1000).toISOString());

/** The snapshots of this application: its host and tags (the same scope as every other command). */
export function appSnapshots(v: Values, all: readonly Snapshot[]): Snapshot[] {
  const host = resticHost(v);
  const tag = appTag(v);
  return all.filter((s) => s.hostname === host && s.tags?.includes(TAG_SAFEHOLD) && s.tags.includes(tag));
}

export function setPoints(sets: readonly BackupSet[]): SetPoint[] {
  return sets.map((s) => {
    const first = Math.min(...s.snapshots.map((x) => Date.parse(x.time)));
    const end = s.manifestSnapshot ? Date.parse(s.manifestSnapshot.time) : undefined;
    return {
      id: s.id,
      time: s.time,
      status: s.status,
      durationSeconds: end !== undefined ? Math.round(end - first) / 1000 : undefined,
      bytes: s.manifestSnapshot ? Object.fromEntries(sizesFromTags(s.manifestSnapshot)) : {},
    };
  });
}

const tagMap = (s: Snapshot) =>
  Object.fromEntries((s.tags ?? []).filter((t) => t.includes('=')).map((t) => [t.slice(0, t.indexOf('=')), t.slice(t.indexOf('=') + 1)]));

/**
 * Request records as they are stored (issue 12 writes them): any snapshot tagged safehold-request=<id>
 * of this application (its app tag or host). Read defensively: unknown tags are shown, not interpreted.
 */
export function requestRecords(v: Values, all: readonly Snapshot[]): RequestStatus[] {
  const host = resticHost(v);
  const tag = appTag(v);
  const by = new Map<string, Snapshot[]>();
  for (const s of all) {
    const t = s.tags?.find((x) => x.startsWith(REQUEST_TAG));
    if (!t || !(s.hostname === host || s.tags?.includes(tag))) continue;
    const id = t.slice(REQUEST_TAG.length);
    const group = by.get(id);
    if (group) group.push(s);
    else by.set(id, [s]);
  }
  return [...by.entries()]
    .map(([id, records]) => {
      const newest = byTime(records).at(-1)!;
      const tags = tagMap(newest);
      return { id, state: tags.state ?? tags.status ?? tags['safehold-request-state'] ?? 'recorded', time: newest.time, records: records.length, tags };
    })
    .sort((a, b) => compareTimes(a.time, b.time));
}

function drillStatus(v: Values, pushed: PushedGroup | undefined, now: number, note?: string): DrillStatus {
  if (!pushed) return { result: 'unknown', note: note ?? 'no drill metrics pushed yet' };
  const status = pushed.get(METRICS.drillLastStatus);
  const success = pushed.get(METRICS.drillLastSuccess);
  return {
    result: status === 1 ? 'passed' : status === 0 ? 'failed' : 'unknown',
    lastAttempt: iso(pushed.get(METRICS.drillLastAttempt)),
    lastSuccess: iso(success),
    lastSuccessAgeSeconds: success === undefined ? undefined : Math.round(now - success),
    restoreSeconds: pushed.get(METRICS.drillRestoreDuration),
    restoredSetAgeSeconds: pushed.get(METRICS.drillRestoredSetAge),
    durationSeconds: pushed.get(METRICS.drillDuration),
  };
}

export interface StatusInput {
  readonly values: Values;
  readonly repository: string;
  /** Every snapshot of the repository (one listing, shared by the apps in it). */
  readonly snapshots: readonly Snapshot[];
  /** The app's drill group from the Pushgateway, when read. */
  readonly drill?: PushedGroup;
  /** Why the drill result cannot be known (no Pushgateway configured, not answering). */
  readonly drillNote?: string;
  readonly now: Date;
}

export function appStatus(i: StatusInput): AppStatus & { readonly history: readonly SetPoint[] } {
  const v = i.values;
  const now = i.now.getTime() / 1000;
  const maxAge = durationSeconds(v.monitoring.alerts.maxAge)!;
  const sets = groupSets(appSnapshots(v, i.snapshots));
  const history = setPoints(sets);
  const good = history.filter((s) => s.status === 'good');
  const last = good.at(-1);
  const previous = good.at(-2);
  const lastGood = last && { id: last.id, time: last.time, ageSeconds: Math.round(now - Date.parse(last.time) / 1000), durationSeconds: last.durationSeconds };
  const overdue = !lastGood || lastGood.ageSeconds > maxAge;
  const ids = (status: BackupSet['status']) => history.filter((s) => s.status === status).map((s) => s.id);
  const components = v.components.map((c) => {
    const bytes = last?.bytes[c.name];
    const previousBytes = previous?.bytes[c.name];
    const changePercent = bytes !== undefined && previousBytes ? Math.round(((bytes - previousBytes) / previousBytes) * 1000) / 10 : undefined;
    return { name: c.name, type: c.type, bytes, previousBytes, changePercent };
  });
  const drill = v.drill ? drillStatus(v, i.drill, now, i.drillNote) : undefined;
  const requests = requestRecords(v, i.snapshots);

  const problems: string[] = [];
  if (!lastGood) problems.push('no good backup set');
  else if (overdue)
    problems.push(`overdue: the last good set ${lastGood.id} is ${formatAge(lastGood.ageSeconds)} old, maxAge is ${v.monitoring.alerts.maxAge}`);
  const newest = history.at(-1);
  if (newest?.status === 'suspicious') problems.push(`the newest set ${newest.id} is suspicious (not counted by retention)`);
  if (drill?.result === 'failed') problems.push('the last drill failed');
  const drillMaxAge = durationSeconds(v.monitoring.alerts.drillMaxAge)!;
  if (drill && drill.result !== 'unknown' && (drill.lastSuccessAgeSeconds === undefined || drill.lastSuccessAgeSeconds > drillMaxAge)) {
    problems.push(`no passing drill in ${v.monitoring.alerts.drillMaxAge}`);
  }
  for (const r of requests) if (/fail/i.test(r.state)) problems.push(`request ${r.id} ${r.state}`);

  return {
    app: v.name,
    namespace: v.namespace,
    ...(v.instance ? { instance: v.instance } : {}),
    repository: i.repository,
    schedule: v.schedule,
    maxAgeSeconds: maxAge,
    lastGood,
    overdue,
    counts: { good: good.length, suspicious: ids('suspicious').length, incomplete: ids('incomplete').length },
    suspicious: ids('suspicious').slice(-10),
    incomplete: ids('incomplete').slice(-10),
    components,
    drill,
    requests,
    problems,
    history,
  };
}

/** 3d4h, 5h12m, 42m, 17s. */
export function formatAge(seconds: number): string {
  const s = Math.max(0, Math.round(seconds));
  const d = Math.floor(s / 86400);
  const h = Math.floor((s % 86400) / 3600);
  const m = Math.floor((s % 3600) / 60);
  if (d) return `${d}d${h}h`;
  if (h) return `${h}h${m}m`;
  if (m) return `${m}m`;
  return `${s}s`;
}
