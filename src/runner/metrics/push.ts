// Pushes a run's metrics to the Pushgateway (text format, PUT per grouping key); never fails the run.
import { readFileSync } from 'node:fs';
import { groupingKey, PUSH_JOB, type PushOperation } from '../../contract/metrics.js';
import type { Values } from '../../values/schema.js';
import type { Logger } from '../log.js';
import type { SecretStore } from '../secrets.js';
import { httpRequest } from './http.js';

export interface Sample {
  readonly name: string;
  readonly value: number;
  readonly labels?: Readonly<Record<string, string>>;
  readonly help?: string;
}

const esc = (s: string) => s.replace(/\\/g, '\\\\').replace(/\n/g, '\\n').replace(/"/g, '\\"');

export function exposition(samples: readonly Sample[]): string {
  const byName = new Map<string, Sample[]>();
  for (const s of samples) byName.set(s.name, [...(byName.get(s.name) ?? []), s]);
  let out = '';
  for (const [name, list] of byName) {
    out += `# TYPE ${name} gauge\n`;
    for (const s of list) {
      const labels = Object.entries(s.labels ?? {}).map(([k, v]) => `${k}="${esc(v)}"`);
      out += `${name}${labels.length ? `{${labels.join(',')}}` : ''} ${Number.isFinite(s.value) ? s.value : 0}\n`;
    }
  }
  return out;
}

/** Grouping-key URL; an empty label value uses the base64 form the Pushgateway documents. */
export function pushUrl(base: string, v: Values, operation: PushOperation, copy?: string): string {
  const parts = groupingKey(v, operation, copy).map(([k, val]) => (val === '' ? `${k}@base64/=` : `${k}/${encodeURIComponent(val)}`));
  return `${base.replace(/\/$/, '')}/metrics/job/${PUSH_JOB}/${parts.join('/')}`;
}

/** The CA bundle of monitoring.caCert (an https Pushgateway with a private CA); undefined: the system's CAs. */
export function pushgatewayCa(v: Values, secrets: SecretStore): Buffer | undefined {
  const ref = v.monitoring.caCert;
  return ref ? readFileSync(secrets.path(ref.secretName, ref.key)) : undefined;
}

/**
 * POST replaces only the metric names it sends within the group, so a failed run's push
 * (status 0, attempt time) keeps the last success timestamp of an earlier run.
 */
export async function pushMetrics(
  v: Values,
  operation: PushOperation,
  samples: readonly Sample[],
  log: Logger,
  secrets: SecretStore,
  copy?: string,
): Promise<void> {
  const base = v.monitoring.enabled ? v.monitoring.pushgateway : undefined;
  if (!base) return;
  const url = pushUrl(base, v, operation, copy);
  try {
    const ca = pushgatewayCa(v, secrets);
    const res = await httpRequest(url, {
      method: 'POST',
      body: exposition(samples),
      headers: { 'content-type': 'text/plain; version=0.0.4' },
      ca,
      timeoutMs: 15000,
    });
    if (!res.ok) throw new Error(`HTTP ${res.status}: ${res.text.slice(0, 200)}`);
    log.info('metrics pushed', { pushgateway: base, samples: samples.length });
  } catch (e) {
    const untrusted = /CERT|SELF_SIGNED|UNABLE_TO/.test(String((e as { code?: unknown }).code ?? ''));
    const hint = untrusted
      ? `; the Pushgateway's certificate was not trusted: ${v.monitoring.caCert ? 'monitoring.caCert must hold the CA bundle that signed it' : 'set monitoring.caCert: { secretName: <Secret with the CA bundle>, key: ca.crt }'}`
      : '';
    log.error('metrics push failed (alerts on stale metrics will fire)', { pushgateway: base, error: `${(e as Error).message}${hint}` });
  }
}
