// The Grafana dashboard against the real chain: real backups, a real drill and verify → the real Pushgateway → a real
// Prometheus scraping it with honor_labels → every panel's query returns series.
import { afterAll, describe, expect, it } from 'vitest';
import { DASHBOARD_ROWS, safeholdDashboard } from '../../src/constructs/dashboard.js';
import { backup } from '../../src/runner/commands/backup.js';
import { drill } from '../../src/runner/commands/drill.js';
import { verify } from '../../src/runner/commands/verify.js';
import { servers } from '../support/env.js';
import { startPrometheus, type PrometheusInfo, type Stoppable } from '../support/servers.js';
import { makeApp, pgComponent, seededTable } from '../runner/fixture.js';
import { makeValues, objectsOf, one, synth } from './_fixtures.js';

let prometheus: (PrometheusInfo & Stoppable) | undefined;
afterAll(async () => prometheus?.stop());

async function query(expr: string): Promise<unknown[]> {
  const res = await fetch(`${prometheus!.url}/api/v1/query?query=${encodeURIComponent(expr)}`);
  const body = (await res.json()) as { status: string; error?: string; data: { result: unknown[] } };
  if (body.status !== 'success') throw new Error(`${expr}: ${body.error}`);
  return body.data.result;
}

describe('Grafana dashboard', () => {
  it('is a dashboard model with every panel, its variables and a Prometheus data source', () => {
    const d = safeholdDashboard({ uid: 'x', namespace: 'team', app: 'shop' }) as {
      uid: string;
      panels: Array<{ type: string; targets?: Array<{ expr: string }> }>;
      templating: { list: Array<{ name: string; current?: { value: string } }> };
    };
    expect(d.uid).toBe('x');
    const exprs = d.panels.flatMap((p) => p.targets?.map((t) => t.expr) ?? []);
    expect(exprs).toEqual(DASHBOARD_ROWS.flatMap((r) => r.panels.map((p) => p.expr)));
    expect(d.panels.filter((p) => p.type === 'row')).toHaveLength(DASHBOARD_ROWS.length);
    expect(d.templating.list.map((v) => v.name)).toEqual(['datasource', 'namespace', 'app']);
    expect(d.templating.list[2].current?.value).toBe('shop');
  });

  it("monitoring.dashboard: a ConfigMap with the Grafana sidecar label holding the set's dashboard; none by default", () => {
    expect(objectsOf(synth(makeValues()), 'ConfigMap').map((c) => c.metadata.name)).not.toContain('shop-safehold-dashboard');
    const cm = one(synth(makeValues({ monitoring: { dashboard: true } })), 'ConfigMap', 'shop-safehold-dashboard');
    expect(cm.metadata.labels).toMatchObject({ grafana_dashboard: '1', 'app.kubernetes.io/component': 'dashboard' });
    const d = JSON.parse(cm.data['shop.json']);
    expect(d.uid).toMatch(/^safehold-[0-9a-f]{16}$/);
    expect(d.title).toBe('safehold team/shop');
  });

  it('real backups → Pushgateway → Prometheus: every panel query returns series for the app', async () => {
    prometheus = await startPrometheus({ pushgateway: servers().pushgateway.url });
    const db = await seededTable(2000);
    const app = await makeApp({
      values: { components: [pgComponent('db', db)], monitoring: { pushgateway: servers().pushgateway.url }, drill: { schedule: '0 5 * * 0' } },
    });
    await backup(app.ctx());
    await backup(app.ctx());
    await drill(app.ctx());
    await verify(app.ctx());
    const v = app.ctx().values;
    const bind = (expr: string) => expr.replaceAll('$namespace', v.namespace).replaceAll('$app', v.name);
    const panels = DASHBOARD_ROWS.flatMap((r) => r.panels);
    const empty = async () => (await Promise.all(panels.map(async (p) => ((await query(bind(p.expr))).length ? undefined : p.title)))).filter(Boolean);
    // Scrapes run every second: wait until the pushed groups are in.
    let missing = await empty();
    for (let i = 0; i < 30 && missing.length; i++) {
      await new Promise((r) => setTimeout(r, 1000));
      missing = await empty();
    }
    expect(missing).toEqual([]);
    // honor_labels kept the pushed job and (empty) instance, as the alerts' selectors expect, not exported_*.
    expect(await query(`safehold_backup_size_bytes{job="safehold",namespace="${v.namespace}",app="${v.name}",instance="",component="db"}`)).toHaveLength(1);
  });
});
