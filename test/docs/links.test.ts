// Every relative link in README.md and docs/ resolves (file and, for Markdown, heading), and README links every docs page.
import { existsSync, statSync } from 'node:fs';
import { dirname, join, normalize, relative } from 'node:path';
import { describe, expect, it } from 'vitest';
import { anchors, docsPages, links, read, ROOT } from './markdown.js';

const pages = ['README.md', ...docsPages()];

function broken(file: string): string[] {
  const problems: string[] = [];
  for (const link of links(read(file))) {
    if (/^[a-z][a-z0-9+.-]*:/i.test(link)) continue; // https:, mailto:
    const [path, anchor] = link.split('#');
    const target = path ? normalize(join(dirname(file), decodeURIComponent(path))) : file;
    if (relative(ROOT, join(ROOT, target)).startsWith('..')) {
      problems.push(`${file}: ${link} leaves the repository`);
      continue;
    }
    if (!existsSync(join(ROOT, target))) {
      problems.push(`${file}: ${link} → ${target} does not exist`);
      continue;
    }
    if (anchor !== undefined) {
      if (!target.endsWith('.md') || statSync(join(ROOT, target)).isDirectory()) problems.push(`${file}: ${link}: an anchor into a non-Markdown target`);
      else if (!anchors(read(target)).has(anchor)) problems.push(`${file}: ${link}: no heading #${anchor} in ${target}`);
    }
  }
  return problems;
}

describe('documentation links', () => {
  it('finds the pages', () => {
    expect(docsPages().length).toBeGreaterThanOrEqual(12);
    expect(links('see [a](b.md) and\n[c\nd](e/f.md#g) but not `[x](y)`')).toEqual(['b.md', 'e/f.md#g']);
    expect([...anchors('# Drop first: `restore.dropExisting` or `dropDatabase`\n## 4. A local backup\n## A\n## A')]).toEqual([
      'drop-first-restoredropexisting-or-dropdatabase',
      '4-a-local-backup',
      'a',
      'a-1',
    ]);
  });

  it.each(pages)('%s: every relative link resolves, anchors included', (file) => {
    expect(broken(file)).toEqual([]);
  });

  it('README.md links every docs page', () => {
    const linked = new Set(links(read('README.md')).map((l) => normalize(l.split('#')[0])));
    expect(docsPages().filter((p) => !linked.has(p))).toEqual([]);
  });

  it('the README Documentation section lists the pages the issue asks for', () => {
    for (const p of ['getting-started', 'restore', 'gitops', 'metrics-and-alerts', 'troubleshooting', 'security', 'values-reference']) {
      expect(docsPages()).toContain(`docs/${p}.md`);
    }
    for (const w of ['astarte', '3scale', 'atlasdb', 'monoskope', 'nethserver']) expect(docsPages()).toContain(`docs/workflows/${w}.md`);
  });
});
