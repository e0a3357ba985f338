// The Grafana dashboard, built with Grafana's typed foundation SDK: age, duration, size trend, status, drills, verify.
import { DashboardBuilder, DatasourceVariableBuilder, QueryVariableBuilder, RowBuilder } from '@grafana/grafana-foundation-sdk/dashboard';
import { DataqueryBuilder } from '@grafana/grafana-foundation-sdk/prometheus';
import { PanelBuilder as StatPanel } from '@grafana/grafana-foundation-sdk/stat';
import { PanelBuilder as TimeseriesPanel } from '@grafana/grafana-foundation-sdk/timeseries';
import { METRICS } from '../contract/metrics.js';

/** Every series selector of the dashboard: the namespace and app variables (multi-value regexes). */
export const DASHBOARD_SELECTOR = '{namespace=~"$namespace",app=~"$app"}';

export interface DashboardPanelSpec {
  readonly title: string;
  readonly expr: string;
  readonly unit: string;
  readonly legend: string;
  readonly kind: 'stat' | 'timeseries';
}

const s = DASHBOARD_SELECTOR;
/** The panels by row: what an SRE asks first, first. Exported so a test runs every query against Prometheus. */
export const DASHBOARD_ROWS: ReadonlyArray<{ readonly title: string; readonly panels: readonly DashboardPanelSpec[] }> = [
  {
    title: 'Backups',
    panels: [
      {
        title: 'Age of the last good set (RPO)',
        expr: `time() - ${METRICS.backupLastSuccess}${s}`,
        unit: 's',
        legend: '{{namespace}}/{{app}} {{instance}}',
        kind: 'stat',
      },
      { title: 'Last run (1 ok, 0 failed)', expr: `${METRICS.backupLastStatus}${s}`, unit: 'none', legend: '{{namespace}}/{{app}} {{instance}}', kind: 'stat' },
      { title: 'Last set suspicious', expr: `${METRICS.backupSuspicious}${s}`, unit: 'none', legend: '{{namespace}}/{{app}} {{instance}}', kind: 'stat' },
      {
        title: 'Retention (1 ok, 0 failed)',
        expr: `${METRICS.retentionLastStatus}${s}`,
        unit: 'none',
        legend: '{{namespace}}/{{app}} {{instance}}',
        kind: 'stat',
      },
      { title: 'Backup duration', expr: `${METRICS.backupDuration}${s}`, unit: 's', legend: '{{namespace}}/{{app}} {{instance}}', kind: 'timeseries' },
      { title: 'Size per component', expr: `${METRICS.backupSize}${s}`, unit: 'bytes', legend: '{{app}}/{{component}}', kind: 'timeseries' },
      {
        title: 'Size against the previous good set',
        expr: `${METRICS.backupSize}${s} / ${METRICS.backupPreviousSize}${s}`,
        unit: 'percentunit',
        legend: '{{app}}/{{component}}',
        kind: 'timeseries',
      },
    ],
  },
  {
    title: 'Drills and verification',
    panels: [
      {
        title: 'Last drill (1 passed, 0 failed)',
        expr: `${METRICS.drillLastStatus}${s}`,
        unit: 'none',
        legend: '{{namespace}}/{{app}} {{instance}}',
        kind: 'stat',
      },
      {
        title: 'Age of the last passing drill',
        expr: `time() - ${METRICS.drillLastSuccess}${s}`,
        unit: 's',
        legend: '{{namespace}}/{{app}} {{instance}}',
        kind: 'stat',
      },
      {
        title: 'Drill restore time (measured RTO)',
        expr: `${METRICS.drillRestoreDuration}${s}`,
        unit: 's',
        legend: '{{namespace}}/{{app}} {{instance}}',
        kind: 'timeseries',
      },
      {
        title: 'Age of the data the drill restored (RPO)',
        expr: `${METRICS.drillRestoredSetAge}${s}`,
        unit: 's',
        legend: '{{namespace}}/{{app}} {{instance}}',
        kind: 'timeseries',
      },
      {
        title: 'Repository check (1 passed, 0 failed)',
        expr: `${METRICS.verifyLastStatus}${s}`,
        unit: 'none',
        legend: '{{namespace}}/{{app}} {{instance}}',
        kind: 'stat',
      },
    ],
  },
];

const datasource = { type: 'prometheus', uid: '${datasource}' };

/** The dashboard JSON (Grafana's dashboard model). `uid`/`title` differ per copy; the queries never do. */
export function safeholdDashboard(o: { uid?: string; title?: string; namespace?: string; app?: string } = {}): object {
  const variable = (name: string, label: string, query: string, preset?: string) => {
    const v = new QueryVariableBuilder(name).label(label).datasource(datasource).query(query).definition(query).multi(true).includeAll(true).allValue('.*');
    return preset ? v.current({ text: preset, value: preset }) : v;
  };
  const d = new DashboardBuilder(o.title ?? 'safehold backups')
    .uid(o.uid ?? 'safehold')
    .tags(['safehold', 'backup'])
    .refresh('1m')
    .time({ from: 'now-7d', to: 'now' })
    .withVariable(new DatasourceVariableBuilder('datasource').label('Data source').type('prometheus'))
    .withVariable(variable('namespace', 'Namespace', `label_values(${METRICS.backupLastAttempt}, namespace)`, o.namespace))
    .withVariable(variable('app', 'Application', `label_values(${METRICS.backupLastAttempt}{namespace=~"$namespace"}, app)`, o.app));
  for (const row of DASHBOARD_ROWS) {
    d.withRow(new RowBuilder(row.title));
    for (const p of row.panels) {
      const target = new DataqueryBuilder().expr(p.expr).legendFormat(p.legend).datasource(datasource);
      const panel =
        p.kind === 'stat'
          ? new StatPanel().title(p.title).unit(p.unit).datasource(datasource).withTarget(target).span(6).height(4)
          : new TimeseriesPanel().title(p.title).unit(p.unit).datasource(datasource).withTarget(target).span(12).height(8);
      d.withPanel(panel);
    }
  }
  return d.build();
}
