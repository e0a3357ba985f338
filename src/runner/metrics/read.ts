// Reads back what the runner pushed (the Pushgateway's JSON API): `safehold status` shows drill results from it.
import { PUSH_JOB } from '../../contract/metrics.js';
import type { Values } from '../../values/schema.js';
import { httpRequest } from './http.js';

/** One pushed group's gauges: `name` → value, per-component ones as `name{component}`. */
export type PushedGroup = ReadonlyMap<string, number>;

interface ApiGroup {
  readonly labels: Record<string, string>;
  readonly [metric: string]: unknown;
}

/** Every group of the safehold job, by `namespace/app/instance/operation`. Pure over the API's body. */
export function pushedGroups(body: unknown): Map<string, PushedGroup> {
  const out = new Map<string, PushedGroup>();
  const data = (body as { data?: ApiGroup[] })?.data ?? [];
  for (const g of data) {
    if (g.labels?.job !== PUSH_JOB) continue;
    const values = new Map<string, number>();
    for (const [name, fam] of Object.entries(g)) {
      const metrics = (fam as { metrics?: Array<{ value: string; labels?: Record<string, string> }> })?.metrics;
      for (const m of metrics ?? []) values.set(m.labels?.component ? `${name}{${m.labels.component}}` : name, Number(m.value));
    }
    out.set(groupId(g.labels.namespace, g.labels.app, g.labels.instance ?? '', g.labels.operation), values);
  }
  return out;
}

export const groupId = (namespace: string, app: string, instance: string, operation: string) => `${namespace}/${app}/${instance}/${operation}`;

export function groupOf(groups: ReadonlyMap<string, PushedGroup>, v: Values, operation: string): PushedGroup | undefined {
  return groups.get(groupId(v.namespace, v.name, v.instance ?? '', operation));
}

/** Fetches every group once; undefined (with the reason) when the Pushgateway does not answer. */
export async function readPushgateway(base: string, ca?: Buffer): Promise<{ groups?: Map<string, PushedGroup>; error?: string }> {
  try {
    const res = await httpRequest(`${base.replace(/\/$/, '')}/api/v1/metrics`, { ca, timeoutMs: 10_000 });
    if (!res.ok) return { error: `HTTP ${res.status}` };
    return { groups: pushedGroups(JSON.parse(res.text)) };
  } catch (e) {
    return { error: (e as Error).message };
  }
}
