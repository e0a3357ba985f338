// `safehold report` as one self-contained HTML page: charts (uPlot, inlined), the last drill, requests and the sets table.
import { formatBytes } from '../status/format.js';
import { formatAge, type AppStatus, type SetPoint } from '../status/model.js';
import type { DrillRun } from '../metrics/drill-history.js';
import type { ReportAssets } from './assets.js';
import { PAGE_SCRIPT } from './page-script.js';
import { ageChart, drillChart, durationChart, sizeChart, type ChartData } from './series.js';
import { byTime } from '../restic/time-order.js';

export type ReportApp = AppStatus & {
  readonly history: readonly SetPoint[];
  /** Drill runs from Prometheus (`--prometheus`), oldest first; or why they could not be read. */
  readonly drillHistory?: readonly DrillRun[];
  readonly drillHistoryNote?: string;
};

const ESCAPES: Record<string, string> = { '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' };
export const escapeHtml = (s: string) => s.replace(/[&<>"']/g, (c) => ESCAPES[c]);
/** JSON inside a <script> element: no "</script>" or "<!--" can come out of the data. */
const scriptJson = (v: unknown) => JSON.stringify(v).replace(/</g, '\\u003c');

const when = (t: string | undefined) => (t ? `${t.slice(0, 19).replace('T', ' ')}Z` : '-');
const appKey = (a: AppStatus) => `${a.namespace}/${a.app}${a.instance ? `/${a.instance}` : ''}`;

const STYLE = `
body { font: 14px/1.4 system-ui, sans-serif; margin: 0 auto; max-width: 1200px; padding: 16px; color: #222; }
h1 { margin: 0 0 4px; } h2 { margin: 32px 0 4px; border-bottom: 1px solid #ccc; } h3 { margin: 16px 0 4px; }
.badge { font-size: 12px; padding: 2px 8px; border-radius: 4px; color: #fff; vertical-align: middle; }
.ok { background: #2a7d2a; } .problem { background: #b3261e; }
.problems li { color: #b3261e; }
.charts { display: grid; grid-template-columns: repeat(auto-fill, minmax(360px, 1fr)); gap: 12px; }
figure { margin: 0; } figcaption { font-weight: 600; } .chart.empty { color: #888; padding: 24px 0; }
table { border-collapse: collapse; margin: 4px 0; } th, td { text-align: left; padding: 2px 12px 2px 0; border-bottom: 1px solid #eee; }
td.num { text-align: right; font-variant-numeric: tabular-nums; }
tr.suspicious td { color: #a15c00; } tr.incomplete td { color: #888; }
.sets { max-height: 420px; overflow: auto; }
`;

function table(head: readonly string[], rows: ReadonlyArray<{ cells: readonly string[]; cls?: string; numeric?: readonly number[] }>): string {
  const th = head.map((h) => `<th>${escapeHtml(h)}</th>`).join('');
  const tr = rows.map(
    (r) =>
      `<tr${r.cls ? ` class="${r.cls}"` : ''}>${r.cells.map((c, i) => `<td${r.numeric?.includes(i) ? ' class="num"' : ''}>${escapeHtml(c)}</td>`).join('')}</tr>`,
  );
  return `<table><thead><tr>${th}</tr></thead><tbody>${tr.join('')}</tbody></table>`;
}

function drillHistory(a: ReportApp): string {
  if (a.drillHistoryNote) return `<p>Drill history: ${escapeHtml(a.drillHistoryNote)}</p>`;
  if (!a.drillHistory) return '<p>Drill history: give <code>--prometheus URL</code> (the Pushgateway keeps only the last run).</p>';
  const rows = [...a.drillHistory].reverse().map((r) => ({
    cells: [
      when(r.time),
      r.result.toUpperCase(),
      r.restoreSeconds === undefined ? '-' : `${r.restoreSeconds} s`,
      r.restoredSetAgeSeconds === undefined ? '-' : formatAge(r.restoredSetAgeSeconds),
    ],
    cls: r.result === 'failed' ? 'suspicious' : undefined,
  }));
  return `<h3>Drill history</h3>${rows.length ? `<div class="drills">${table(['time', 'result', 'restore (RTO)', 'restored set age (RPO)'], rows)}</div>` : '<p>No drill runs in Prometheus for this range.</p>'}`;
}

function drillSection(a: ReportApp): string {
  const d = a.drill;
  if (!d) return '<p>No drill in the values (<code>drill:</code>).</p>';
  return `${lastDrill(d)}${drillHistory(a)}`;
}

function lastDrill(d: NonNullable<AppStatus['drill']>): string {
  if (d.result === 'unknown') return `<p>Last drill: unknown (${escapeHtml(d.note ?? 'no result pushed')}).</p>`;
  const secs = (n: number | undefined) => (n === undefined ? '-' : `${n} s`);
  return table(
    ['result', 'last attempt', 'last pass', 'restore (RTO)', 'restored set age (RPO)', 'drill took'],
    [
      {
        cells: [
          d.result.toUpperCase(),
          when(d.lastAttempt),
          when(d.lastSuccess),
          secs(d.restoreSeconds),
          d.restoredSetAgeSeconds === undefined ? '-' : formatAge(d.restoredSetAgeSeconds),
          secs(d.durationSeconds),
        ],
        cls: d.result === 'failed' ? 'suspicious' : undefined,
      },
    ],
  );
}

function setsTable(a: ReportApp): string {
  const names = a.components.map((c) => c.name);
  const rows = byTime(a.history)
    .reverse()
    .map((s) => ({
      cells: [s.id, when(s.time), s.status, s.durationSeconds === undefined ? '-' : `${s.durationSeconds} s`, ...names.map((n) => formatBytes(s.bytes[n]))],
      cls: s.status === 'good' ? undefined : s.status === 'incomplete' ? 'incomplete' : 'suspicious',
      numeric: [3, ...names.map((_, i) => 4 + i)],
    }));
  return `<div class="sets">${table(['set', 'time', 'status', 'duration', ...names], rows)}</div>`;
}

function appSection(a: ReportApp, charts: readonly ChartData[]): string {
  const key = appKey(a);
  const g = a.lastGood;
  const figures = charts.map(
    (c) => `<figure><figcaption>${escapeHtml(c.title)}</figcaption><div class="chart" data-chart-id="${escapeHtml(c.id)}"></div></figure>`,
  );
  return [
    `<section class="app" data-app="${escapeHtml(key)}">`,
    `<h2>${escapeHtml(key)} <span class="badge ${a.problems.length ? 'problem">PROBLEM' : 'ok">OK'}</span></h2>`,
    `<p>repository <code>${escapeHtml(a.repository)}</code>, schedule <code>${escapeHtml(a.schedule)}</code>, maxAge ${formatAge(a.maxAgeSeconds)}; ` +
      `${g ? `last good set ${escapeHtml(g.id)} at ${when(g.time)}, age ${formatAge(g.ageSeconds)}${a.overdue ? ' (OVERDUE)' : ''}` : 'no good set'}; ` +
      `${a.counts.good} good, ${a.counts.suspicious} suspicious, ${a.counts.incomplete} incomplete</p>`,
    a.problems.length ? `<ul class="problems">${a.problems.map((p) => `<li>${escapeHtml(p)}</li>`).join('')}</ul>` : '',
    `<div class="charts">${figures.join('')}</div>`,
    '<h3>Drill</h3>',
    drillSection(a),
    ...(a.requests.length
      ? [
          '<h3>One-shot requests</h3>',
          table(
            ['request', 'state', 'time', 'records'],
            a.requests.map((r) => ({ cells: [r.id, r.state, when(r.time), String(r.records)] })),
          ),
        ]
      : []),
    '<h3>Sets</h3>',
    a.history.length ? setsTable(a) : '<p>No sets in the repository.</p>',
    '</section>',
  ].join('\n');
}

/** The charts of one application, in page order. */
export function appCharts(a: ReportApp, now: Date): ChartData[] {
  const key = appKey(a);
  return [
    sizeChart(key, a, a.history),
    durationChart(key, a.history),
    ageChart(key, a, a.history, now),
    ...(a.drillHistory?.length ? [drillChart(key, a.drillHistory)] : []),
  ];
}

/** The whole page. Deterministic for the same input; loads nothing (a CSP forbids every fetch). */
export function renderReport(apps: readonly ReportApp[], assets: ReportAssets, now: Date): string {
  const charts = apps.map((a) => appCharts(a, now));
  const problems = apps.filter((a) => a.problems.length).length;
  return [
    '<!doctype html>',
    '<html lang="en"><head><meta charset="utf-8">',
    `<meta http-equiv="Content-Security-Policy" content="default-src 'none'; script-src 'unsafe-inline'; style-src 'unsafe-inline'; img-src data:">`,
    '<meta name="viewport" content="width=device-width, initial-scale=1">',
    '<title>safehold report</title>',
    `<style>${assets.style}${STYLE}</style>`,
    '</head><body>',
    `<header><h1>safehold report</h1><p>Generated ${when(now.toISOString())} · ${apps.length} application${apps.length === 1 ? '' : 's'} · ` +
      `<span class="badge ${problems ? 'problem' : 'ok'}">${problems ? `${problems} with a problem` : 'all OK'}</span></p></header>`,
    ...apps.map((a, i) => appSection(a, charts[i])),
    `<script>${assets.script}</script>`,
    `<script type="application/json" id="safehold-report-data">${scriptJson({ format: 'safehold.report/v1', generatedAt: now.toISOString(), charts: charts.flat() })}</script>`,
    `<script>${PAGE_SCRIPT}</script>`,
    '</body></html>',
    '',
  ].join('\n');
}
