// `safehold report --out FILE`: the status data (one listing per repository) as a self-contained HTML page.
import { renameSync, writeFileSync } from 'node:fs';
import { UsageError } from '../../errors.js';
import type { ContextOptions } from '../context.js';
import { uplotAssets } from '../report/assets.js';
import { renderReport } from '../report/html.js';
import { collectStatus, statusContexts } from './status.js';

export interface ReportResult {
  readonly file: string;
  readonly apps: number;
  readonly problems: number;
  readonly bytes: number;
}

/** Writes the page atomically (a temporary file renamed over the target): a reader never sees half a report. */
export async function writeReport(o: ContextOptions & { out?: string; pushgateway?: string; now?: Date }): Promise<ReportResult> {
  if (!o.out) throw new UsageError('give --out FILE (e.g. --out report.html)');
  const ctxs = statusContexts(o);
  const now = o.now ?? ctxs[0]?.now() ?? new Date();
  const apps = await collectStatus(ctxs, { pushgateway: o.pushgateway, now });
  const html = renderReport(apps, uplotAssets(), now);
  const tmp = `${o.out}.tmp-${process.pid}`;
  writeFileSync(tmp, html);
  renameSync(tmp, o.out);
  return { file: o.out, apps: apps.length, problems: apps.filter((a) => a.problems.length).length, bytes: Buffer.byteLength(html) };
}
