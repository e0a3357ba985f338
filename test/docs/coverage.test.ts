// The reference pages name everything the code defines: every metric, every alert, every exit code,
// every reference workflow's values file.
import { readdirSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { alertRuleGroups } from '../../src/constructs/alerts.js';
import { backupSetNames } from '../../src/constructs/names.js';
import { METRICS, PUSH_JOB } from '../../src/contract/metrics.js';
import { ExitCode } from '../../src/errors.js';
import { makeValues } from '../constructs/_fixtures.js';
import { read, ROOT } from './markdown.js';

describe('reference pages cover the code', () => {
  it('metrics-and-alerts.md names every pushed metric, the push job and every alert', () => {
    const page = read('docs/metrics-and-alerts.md');
    expect(Object.values(METRICS).filter((m) => !page.includes(`\`${m}\``))).toEqual([]);
    expect(page).toContain(`job="${PUSH_JOB}"`);
    const everything = {
      drill: { schedule: '0 5 * * 0', targets: { db: { database: 'd' } } },
      restore: { snapshot: 'latest' },
      dropDatabase: { component: 'db', confirm: 'shop' },
    };
    const sets = [makeValues(everything), makeValues({ ...everything, monitoring: { pushgateway: 'http://pg:9091' } })];
    const alerts = [...new Set(sets.flatMap((v) => alertRuleGroups(v, backupSetNames(v)).flatMap((g) => g.rules.map((r) => r.alert))))];
    expect(alerts.length).toBeGreaterThanOrEqual(21);
    expect(alerts.filter((a) => !page.includes(`\`${a}\``))).toEqual([]);
  });

  it('troubleshooting.md explains every exit code', () => {
    const page = read('docs/troubleshooting.md');
    for (const code of Object.values(ExitCode)) expect(page).toMatch(new RegExp(`^\\| ${code} \\|`, 'm'));
  });

  it('every example values file of a reference workflow has its page, and the page links it', () => {
    const pages: Record<string, string> = {
      'astarte.yaml': 'astarte',
      '3scale.yaml': '3scale',
      'atlasdb.yaml': 'atlasdb',
      'monoskope-eventstore.yaml': 'monoskope',
      'nethserver-dokuwiki.yaml': 'nethserver',
    };
    const values = readdirSync(join(ROOT, 'values')).filter((f) => f.endsWith('.yaml') && f !== 'minimal.yaml');
    expect(
      values.filter((v) => !(v in pages)),
      'a new workflow values file needs a page in docs/workflows/',
    ).toEqual([]);
    for (const [file, page] of Object.entries(pages)) expect(read(`docs/workflows/${page}.md`)).toContain(`(../../values/${file})`);
  });
});
