// The report page as text: what the repository says is shown, never run (tags are free text), and the page is deterministic.
import { describe, expect, it } from 'vitest';
import { renderReport, type ReportApp } from '../../src/runner/report/html.js';

const HOSTILE = '</script><img src=x onerror=alert(1)>';
const app: ReportApp = {
  app: 'shop',
  namespace: 'team',
  repository: 's3:https://s3.example.com/b/team/shop',
  schedule: '0 3 * * *',
  maxAgeSeconds: 93600,
  overdue: false,
  lastGood: { id: 's2', time: '2026-12-01T03:00:09Z', ageSeconds: 3600, durationSeconds: 4 },
  counts: { good: 2, suspicious: 0, incomplete: 1 },
  suspicious: [],
  incomplete: ['s3'],
  components: [{ name: 'db', type: 'postgres', bytes: 2000 }],
  requests: [{ id: 'r-1', state: HOSTILE, time: '2026-12-01T04:00:00Z', records: 1, tags: {} }],
  problems: [`request r-1 ${HOSTILE}`],
  history: [
    { id: 's1', time: '2026-11-30T03:00:05Z', status: 'good', durationSeconds: 5, bytes: { db: 1000 } },
    { id: 's2', time: '2026-12-01T03:00:09Z', status: 'good', durationSeconds: 4, bytes: { db: 2000 } },
    { id: 's3', time: '2026-12-01T03:30:00Z', status: 'incomplete', bytes: {} },
  ],
};
const assets = { script: '/* uplot */', style: '/* css */' };
const now = new Date('2026-12-01T04:00:09Z');

describe('report page', () => {
  it('escapes text from the repository in the tables and in the embedded data', () => {
    const html = renderReport([app], assets, now);
    expect(html).not.toContain('<img');
    expect(html).toContain('&lt;/script&gt;&lt;img src=x onerror=alert(1)&gt;');
    // Exactly the page's own three script elements: the library, the data, the drawing code (none from a tag).
    expect(html.match(/<script/g)).toHaveLength(3);
    expect(html.match(/<\/script>/g)).toHaveLength(3);
  });

  it('embeds the chart data: complete sets only, the age at each good set and now, maxAge', () => {
    const html = renderReport([app], assets, now);
    const data = JSON.parse(html.match(/<script type="application\/json" id="safehold-report-data">(.*)<\/script>/)![1]);
    const t = (iso: string) => Date.parse(iso) / 1000;
    expect(data.charts).toEqual([
      {
        id: 'team/shop/size',
        title: 'Size per component',
        unit: 'bytes',
        x: [t('2026-11-30T03:00:05Z'), t('2026-12-01T03:00:09Z')],
        series: [{ label: 'db', values: [1000, 2000] }],
      },
      {
        id: 'team/shop/duration',
        title: 'Backup duration',
        unit: 'seconds',
        x: [t('2026-11-30T03:00:05Z'), t('2026-12-01T03:00:09Z')],
        series: [{ label: 'duration', values: [5, 4] }],
      },
      {
        id: 'team/shop/age',
        title: 'Age of the newest good set (RPO)',
        unit: 'seconds',
        x: [t('2026-12-01T03:00:09Z'), t('2026-12-01T04:00:09Z')],
        series: [
          { label: 'age', values: [86404, 3600] },
          { label: 'maxAge', values: [93600, 93600] },
        ],
      },
    ]);
    expect(renderReport([app], assets, now)).toBe(html);
  });
});
