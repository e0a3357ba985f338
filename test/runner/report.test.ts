// safehold report: real backups and a real drill → one self-contained HTML file → loaded in headless Chromium (Debian's
// chromium, driven by playwright-core): no console error, no request leaves the page, and the plotted points read back
// from the uPlot instances are the sets in the repository. A screenshot goes to .tmp/report-screenshot.png.
import { existsSync, mkdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { chromium, type Browser } from 'playwright-core';
import { afterAll, afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { main } from '../../src/cli.js';
import { backup } from '../../src/runner/commands/backup.js';
import { drill } from '../../src/runner/commands/drill.js';
import type { Snapshot } from '../../src/runner/restic/client.js';
import { sizesFromTags, TAG_MANIFEST } from '../../src/runner/sets.js';
import { pgExec, servers } from '../support/env.js';
import { startPrometheus, type PrometheusInfo, type Stoppable } from '../support/servers.js';
import { makeApp, pgComponent, seededTable, uniqueName } from './fixture.js';

const ROOT = join(import.meta.dirname, '..', '..');
const SCREENSHOT = join(ROOT, '.tmp', 'report-screenshot.png');
const CHROMIUM = '/usr/bin/chromium';

let browser: Browser | undefined;
let prometheus: (PrometheusInfo & Stoppable) | undefined;
afterAll(async () => {
  await browser?.close();
  await prometheus?.stop();
});

/** Distinct drill attempts Prometheus has scraped for the app (the last ten minutes). */
async function scrapedAttempts(app: string): Promise<number> {
  const now = Math.ceil(Date.now() / 1000);
  const q = new URLSearchParams({
    query: `safehold_drill_last_attempt_timestamp_seconds{app="${app}"}`,
    start: String(now - 600),
    end: String(now),
    step: '1',
  });
  const body = (await (await fetch(`${prometheus!.url}/api/v1/query_range?${q}`)).json()) as { data?: { result: Array<{ values: Array<[number, string]> }> } };
  return new Set(body.data?.result[0]?.values.map(([, v]) => v) ?? []).size;
}
let stdout = '';
beforeEach(() => {
  stdout = '';
  vi.spyOn(process.stdout, 'write').mockImplementation((s) => ((stdout += String(s)), true));
});
afterEach(() => vi.restoreAllMocks());

interface Plotted {
  id: string;
  labels: string[];
  x: number[];
  series: Array<Array<number | null>>;
}

describe('safehold report', () => {
  it('renders in headless Chromium with no console error and plots the sets of the repository', async () => {
    const db = await seededTable(5000);
    const app = await makeApp({
      name: uniqueName('rep'),
      values: { components: [pgComponent('db', db)], monitoring: { pushgateway: servers().pushgateway.url }, drill: { schedule: '0 5 * * 0' } },
    });
    const runs = [await backup(app.ctx())];
    await pgExec('INSERT INTO t SELECT g, md5(g::text) FROM generate_series(5001, 15000) g;', db);
    runs.push(await backup(app.ctx()));
    await pgExec('INSERT INTO t SELECT g, md5(g::text) FROM generate_series(15001, 30000) g;', db);
    runs.push(await backup(app.ctx()));
    // Two drills, each scraped by a real Prometheus: the report's drill history comes from it.
    prometheus = await startPrometheus({ pushgateway: servers().pushgateway.url });
    const drills = [await drill(app.ctx())];
    await vi.waitUntil(async () => (await scrapedAttempts(app.ctx().values.name)) === 1, { timeout: 60_000, interval: 500 });
    drills.push(await drill(app.ctx()));
    await vi.waitUntil(async () => (await scrapedAttempts(app.ctx().values.name)) === 2, { timeout: 60_000, interval: 500 });
    const drilled = drills[1];

    const out = join(app.dir, 'report.html');
    expect(await main(['report', '--values', app.valuesFile, '--secrets-dir', app.secretsDir, '--out', out, '--prometheus', prometheus.url])).toBe(0);
    expect(stdout).toMatch(/^wrote .*report\.html: 1 application, 0 with a problem, \d+ bytes\n$/);
    const html = readFileSync(out, 'utf8');
    // Self-contained: uPlot inlined, no external script, stylesheet or URL to fetch.
    const uplot = readFileSync(join(ROOT, 'node_modules', 'uplot', 'dist', 'uPlot.iife.min.js'), 'utf8');
    expect(html).toContain(uplot);
    expect(html.replace(uplot, '')).not.toMatch(/<script[^>]+src=|<link[^>]+href=|https?:\/\//i);

    // The sets as the repository holds them, listed here apart from the report's code.
    const v = app.ctx().values;
    const all = JSON.parse(await app.ctx().restic.run(['snapshots', '--json', '--no-lock'])) as Snapshot[];
    const mine = all.filter((s) => s.tags?.includes(`app=${v.namespace}.${v.name}`));
    const manifests = mine.filter((s) => s.tags?.includes(TAG_MANIFEST)).sort((a, b) => a.time.localeCompare(b.time));
    expect(manifests.map((m) => m.tags!.find((t) => t.startsWith('set='))!.slice(4))).toEqual(runs.map((r) => r.setId));
    const setTimes = manifests.map((m) => Date.parse(m.time) / 1000);
    const durations = manifests.map((m) => {
      const set = m.tags!.find((t) => t.startsWith('set='))!;
      const first = Math.min(...mine.filter((s) => s.tags!.includes(set)).map((s) => Date.parse(s.time)));
      return Math.round(Date.parse(m.time) - first) / 1000;
    });

    if (!existsSync(CHROMIUM)) throw new Error(`${CHROMIUM} is missing: run scripts/install-test-deps.sh as root (Debian's chromium package)`);
    browser ??= await chromium.launch({ executablePath: CHROMIUM, args: ['--no-sandbox'] });
    const page = await browser.newPage({ viewport: { width: 1280, height: 1000 } });
    const errors: string[] = [];
    const requests: string[] = [];
    page.on('console', (m) => (m.type() === 'error' || m.type() === 'warning' ? errors.push(`${m.type()}: ${m.text()}`) : undefined));
    page.on('pageerror', (e) => errors.push(`pageerror: ${e.message}`));
    page.on('request', (r) => requests.push(r.url()));
    await page.goto(pathToFileURL(out).href);
    await page.waitForSelector('body[data-charts-drawn]');
    const plotted = (await page.evaluate(() =>
      (window as unknown as { safeholdCharts: Array<{ id: string; chart: { data: number[][]; series: Array<{ label: string }> } }> }).safeholdCharts.map(
        (c) => ({
          id: c.id,
          labels: c.chart.series.slice(1).map((s) => s.label),
          x: c.chart.data[0],
          series: c.chart.data.slice(1),
        }),
      ),
    )) as Plotted[];
    mkdirSync(join(ROOT, '.tmp'), { recursive: true });
    await page.screenshot({ path: SCREENSHOT, fullPage: true });
    expect(errors).toEqual([]);
    expect(requests).toEqual([pathToFileURL(out).href]);

    const key = `test/${v.name}`;
    const chart = (name: string) => plotted.find((p) => p.id === `${key}/${name}`)!;
    expect(plotted.map((p) => p.id)).toEqual([`${key}/size`, `${key}/duration`, `${key}/age`, `${key}/drill`]);
    // Size: one point per set, the size the manifest recorded and the backup reported.
    expect(chart('size')).toEqual({ id: `${key}/size`, labels: ['db'], x: setTimes, series: [manifests.map((m) => sizesFromTags(m).get('db')!)] });
    expect(chart('size').series[0]).toEqual(runs.map((r) => r.components.find((c) => c.name === 'db')!.bytes));
    expect(chart('size').series[0][2]).toBeGreaterThan(chart('size').series[0][0]!);
    expect(chart('duration')).toEqual({ id: `${key}/duration`, labels: ['duration'], x: setTimes, series: [durations] });
    // Age: at each later set, the gap since the one before; the last point is the report's time.
    const age = chart('age');
    expect(age.labels).toEqual(['age', 'maxAge']);
    expect(age.x.slice(0, 2)).toEqual(setTimes.slice(1));
    expect(age.series[0].slice(0, 2)).toEqual([Math.round(setTimes[1] - setTimes[0]), Math.round(setTimes[2] - setTimes[1])]);
    expect(age.series[1]).toEqual([93600, 93600, 93600]);

    // Drill history (Prometheus): one point per run, its measured restore time, in order.
    const drillChart = chart('drill');
    expect(drillChart.labels).toEqual(['restore']);
    expect(drillChart.series).toEqual([drills.map((d) => d.restoreSeconds)]);
    expect(drillChart.x).toHaveLength(2);
    expect(drillChart.x[1]).toBeGreaterThan(drillChart.x[0]);
    expect(drillChart.x[0]).toBeGreaterThanOrEqual(Math.floor(setTimes[2]));

    // The drill and the sets table, as a person reads them.
    const drillRow = await page.locator('section.app h3:text("Drill") + table tbody tr').innerText();
    expect(drillRow).toMatch(new RegExp(`^PASSED\\t.*\\t${drilled.restoreSeconds} s\\t`));
    const history = await page.locator('section.app .drills tbody tr').allInnerTexts();
    expect(history).toHaveLength(2);
    expect(history.map((r) => r.split('\t')[2])).toEqual(drills.map((d) => `${d.restoreSeconds} s`).reverse());
    const setRows = await page.locator('section.app .sets tbody tr td:first-child').allInnerTexts();
    expect(setRows).toEqual(runs.map((r) => r.setId).reverse());
    await page.close();
  });
});
