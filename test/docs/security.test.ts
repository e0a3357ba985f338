// docs/security.md names every pod the manifests run: its RBAC table and its threat table ("Who can do what").
import { describe, expect, it } from 'vitest';
import { BASE, makeValues, podTemplates, synth } from '../constructs/_fixtures.js';
import { read } from './markdown.js';

/** The first cells of the first table after a heading. */
function firstCells(md: string, heading: string): string[] {
  const start = md.indexOf(`\n${heading}\n`);
  expect(start, heading).toBeGreaterThan(-1);
  const lines = md.slice(start + heading.length + 2).split('\n');
  const from = lines.findIndex((l) => l.startsWith('|'));
  const to = lines.findIndex((l, i) => i > from && !l.startsWith('|'));
  return lines.slice(from + 2, to).map((l) => l.split('|')[1].trim());
}

/** Every operation's pod, with every operation switched on (protection, drill, restore, drop, copies). */
function operations(): string[] {
  const v = makeValues({
    repository: { ...BASE.repository, protection: { maintenance: { schedule: '0 4 * * 0', credentials: { secretName: 'maintenance-s3' } } } },
    copies: [{ name: 'nas', repository: { local: { path: '/mnt/nas' }, password: { secretName: 'nas-restic' } }, schedule: '0 6 * * *' }],
    drill: { schedule: '0 5 * * 0' },
    restore: {},
    dropDatabase: { component: 'db', confirm: 'shop' },
  });
  return [...new Set(podTemplates(synth(v)).map(({ template }) => template.metadata.labels['app.kubernetes.io/component'] as string))].sort();
}

describe('docs/security.md', () => {
  const md = read('docs/security.md');
  const ops = operations();

  it('the fixture runs every kind of pod', () => {
    expect(ops).toEqual(['backup', 'copy', 'drill', 'drop-database', 'maintenance', 'restore', 'verify']);
  });

  it('the RBAC table has one row per pod', () => {
    expect(firstCells(md, '## RBAC: one account per operation').sort()).toEqual(ops);
  });

  it('the threat table says, for every pod, what its credentials allow before and after protection', () => {
    const rows = firstCells(md, '### Who can do what').map((c) => c.replace(/ \(.*\)$/, ''));
    for (const op of ops) expect(rows, op).toContain(op);
    // Taking over any pod but maintenance must not let anyone delete the protected repository's sets.
    const table = md.slice(md.indexOf('### Who can do what'));
    for (const op of ops.filter((o) => o !== 'maintenance')) {
      const row = table.split('\n').find((l) => l.startsWith(`| ${op} `))!;
      expect(row.split('|')[3], op).toMatch(/cannot delete/);
    }
  });
});
