// One-shot requests recorded in the restic repository beside the sets: the durable truth, shared by every cluster using it.
import { hostname } from 'node:os';
import { randomBytes } from 'node:crypto';
import { resticHost } from '../../contract/layout.js';
import type { RunContext } from '../context.js';
import type { Snapshot } from '../restic/client.js';
import { baseFilter, tagValue } from '../sets.js';
import { compareText, compareTimes } from '../restic/time-order.js';

export const TAG_REQUEST = 'safehold-request';
export const TAG_STATE = 'safehold-request-state';
export const TAG_STEP = 'safehold-request-step';
export const TAG_HOLDER = 'safehold-request-holder';
/** A release recorded by `safehold release` ends every claim of the request, whoever holds it. */
export const ANY_HOLDER = '*';

export type RequestState = 'claimed' | 'dropped' | 'finished' | 'released';
export type RequestStep = 'drop' | 'restore';

export interface RequestRecord {
  readonly request: string;
  readonly state: RequestState;
  readonly step?: RequestStep;
  readonly holder: string;
  readonly time: string;
  readonly snapshotId: string;
  readonly shortId: string;
}

/** Who runs this process: pod name (or host) and pid, plus a nonce so two processes never share a name. */
export function newHolder(env: NodeJS.ProcessEnv = process.env): string {
  const host = (env.HOSTNAME || hostname())
    .toLowerCase()
    .replace(/[^a-z0-9.-]/g, '-')
    .slice(0, 63);
  return `${host}.${process.pid}.${randomBytes(3).toString('hex')}`;
}

/** The request records among an application's snapshots, oldest first (time, then snapshot id: the claim order). */
export function recordsOf(snapshots: readonly Snapshot[]): RequestRecord[] {
  const out: RequestRecord[] = [];
  for (const s of snapshots) {
    const request = tagValue(s, TAG_REQUEST);
    const state = tagValue(s, TAG_STATE) as RequestState | undefined;
    if (!request || !state) continue;
    const step = tagValue(s, TAG_STEP) as RequestStep | undefined;
    out.push({ request, state, step, holder: tagValue(s, TAG_HOLDER) ?? '', time: s.time, snapshotId: s.id, shortId: s.short_id });
  }
  return out.sort(byClaimOrder);
}

export const byClaimOrder = (a: RequestRecord, b: RequestRecord) => compareTimes(a.time, b.time) || compareText(a.snapshotId, b.snapshotId);

export interface RequestView {
  readonly records: readonly RequestRecord[];
  readonly finished?: RequestRecord;
  readonly dropped?: RequestRecord;
  /** The first restore-step claim, released or not: a drop after it could not be followed by its restore. */
  readonly restoreStarted?: RequestRecord;
  /** Claims not released, not finished, excluding drop claims handed over (dropped): the contenders. */
  readonly live: readonly RequestRecord[];
  /** Not finished and some claim not released (a handed-over drop counts: the database is empty). */
  readonly inProgress: boolean;
}

const releases = (recs: readonly RequestRecord[], c: RequestRecord, i: number) =>
  recs.slice(i + 1).some((r) => r.state === 'released' && (r.holder === c.holder || r.holder === ANY_HOLDER));

/** What the records say about one request. Pure. */
export function viewOf(all: readonly RequestRecord[], request: string): RequestView {
  const records = all.filter((r) => r.request === request).sort(byClaimOrder);
  const finished = records.find((r) => r.state === 'finished');
  const dropped = records.find((r) => r.state === 'dropped');
  const restoreStarted = records.find((r) => r.state === 'claimed' && r.step === 'restore');
  const unreleased = records.filter((c, i) => c.state === 'claimed' && !releases(records, c, i));
  const live = finished
    ? []
    : unreleased.filter((c) => !(c.step === 'drop' && records.some((r) => r.state === 'dropped' && r.holder === c.holder && byClaimOrder(r, c) > 0)));
  return { records, finished, dropped, restoreStarted, live, inProgress: !finished && unreleased.length > 0 };
}

/** Every request of the application still in progress: what a backup or prune must not run beside. */
export function requestsInProgress(all: readonly RequestRecord[]): RequestView[] {
  return [...new Set(all.map((r) => r.request))].map((id) => viewOf(all, id)).filter((v) => v.inProgress);
}

/** One `restic snapshots` listing of this application's request records (all requests, or one). */
export async function listRecords(ctx: RunContext, request?: string): Promise<RequestRecord[]> {
  const base = baseFilter(ctx.values);
  return recordsOf(await ctx.restic.snapshots({ ...base, tags: [...base.tags, request ? `${TAG_REQUEST}=${request}` : TAG_REQUEST] }));
}

/** Writes one record: a tiny snapshot (request.json) tagged so that one listing finds it. */
export async function writeRecord(
  ctx: RunContext,
  r: { request: string; state: RequestState; step?: RequestStep; holder: string; detail?: string },
): Promise<void> {
  const base = baseFilter(ctx.values);
  const body = { format: 'safehold.request/v1', ...r, at: ctx.now().toISOString() };
  await ctx.restic.backupBuffer(`${JSON.stringify(body, null, 2)}\n`, {
    host: resticHost(ctx.values),
    tags: [
      ...base.tags,
      TAG_REQUEST,
      `${TAG_REQUEST}=${r.request}`,
      `${TAG_STATE}=${r.state}`,
      ...(r.step ? [`${TAG_STEP}=${r.step}`] : []),
      `${TAG_HOLDER}=${r.holder}`,
    ],
    filename: 'request.json',
  });
}

/** How a human names a record in messages: restic can find it by this tag. */
export function describeRecord(ctx: RunContext, r: RequestRecord): string {
  return `repository record ${r.shortId} (${r.state}${r.step ? ` ${r.step}` : ''} by ${r.holder} at ${r.time.slice(0, 19)}Z, tag ${TAG_REQUEST}=${r.request}) in ${ctx.restic.access.location}`;
}
