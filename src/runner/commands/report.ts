// `safehold report --out FILE`: the status data (one listing per repository) as a self-contained HTML page.
import { renameSync, writeFileSync } from 'node:fs';
import { UsageError } from '../../errors.js';
import type { ContextOptions } from '../context.js';
import { readDrillHistory } from '../metrics/drill-history.js';
import { uplotAssets } from '../report/assets.js';
import { renderReport, type ReportApp } from '../report/html.js';
import { collectStatus, statusContexts } from './status.js';

export interface ReportResult {
  readonly file: string;
  readonly apps: number;
  readonly problems: number;
  readonly bytes: number;
}

/** Writes the page atomically (a temporary file renamed over the target): a reader never sees half a report. */
export async function writeReport(o: ContextOptions & { out?: string; pushgateway?: string; prometheus?: string; now?: Date }): Promise<ReportResult> {
  if (!o.out) throw new UsageError('give --out FILE (e.g. --out report.html)');
  const ctxs = statusContexts(o);
  const now = o.now ?? ctxs[0]?.now() ?? new Date();
  const statuses = await collectStatus(ctxs, { pushgateway: o.pushgateway, now });
  const apps: ReportApp[] = await Promise.all(
    statuses.map(async (a, i) => {
      if (!o.prometheus || !a.drill) return a;
      // A drill restores a set: none ran before the first set (30 days back when there is none).
      const start = a.history.length ? new Date(Math.min(...a.history.map((s) => Date.parse(s.time)))) : new Date(now.getTime() - 30 * 86400_000);
      try {
        return { ...a, drillHistory: await readDrillHistory(o.prometheus, ctxs[i].values, start, now) };
      } catch (e) {
        return { ...a, drillHistoryNote: `Prometheus ${o.prometheus} did not answer: ${(e as Error).message}` };
      }
    }),
  );
  const html = renderReport(apps, uplotAssets(), now);
  const tmp = `${o.out}.tmp-${process.pid}`;
  writeFileSync(tmp, html);
  renameSync(tmp, o.out);
  return { file: o.out, apps: apps.length, problems: apps.filter((a) => a.problems.length).length, bytes: Buffer.byteLength(html) };
}
