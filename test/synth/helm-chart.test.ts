// charts/<name>/: the layout of `cdk8s synth --format helm`, rendering to exactly the objects of dist/.
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { helmEscape } from '../../src/app.js';
import { VERSION } from '../../src/version.js';
import { CHARTS, customResourceFiles, DIST, distFiles, helmRender, parseManifest, tree } from './_dist.js';

describe('Helm charts', () => {
  it('one chart per dist file', () => {
    expect(readdirSync(CHARTS).sort()).toEqual(distFiles().map((f) => f.replace('.k8s.yaml', '')));
  });

  it.each(readdirSync(CHARTS).sort())('%s: Chart.yaml v2, versioned, and templates equal to dist/', (name) => {
    const custom = existsSync(join(DIST, 'custom-resources', `${name}.k8s.yaml`));
    expect(tree(join(CHARTS, name))).toEqual([
      'Chart.yaml',
      'README.md',
      ...(custom ? [`templates/${name}.custom-resources.k8s.yaml`] : []),
      `templates/${name}.k8s.yaml`,
      'values.schema.json',
    ]);
    const chart = parse(readFileSync(join(CHARTS, name, 'Chart.yaml'), 'utf8'));
    expect(chart).toMatchObject({
      apiVersion: 'v2',
      name,
      version: expect.stringMatching(new RegExp(`^${VERSION.replaceAll('.', '\\.')}\\+[0-9a-f]{12}$`)),
      appVersion: VERSION,
      type: 'application',
      kubeVersion: '>=1.27.0-0',
    });
    const template = readFileSync(join(CHARTS, name, 'templates', `${name}.k8s.yaml`), 'utf8');
    const dist = readFileSync(join(DIST, `${name}.k8s.yaml`), 'utf8');
    expect(helmRender(template)).toBe(dist);
    // Nothing for Helm to interpret but the escaped braces.
    expect(template.replace(/\{\{ "\{\{" \}\}|\{\{ "\}\}" \}\}/g, '')).not.toMatch(/\{\{|\}\}/);
  });

  it.each(customResourceFiles())('%s: in the chart, each object guarded by the cluster serving its kind', (file) => {
    const name = file.replace(/^custom-resources\//, '').replace('.k8s.yaml', '');
    const template = readFileSync(join(CHARTS, name, 'templates', `${name}.custom-resources.k8s.yaml`), 'utf8');
    const objects = parseManifest(readFileSync(join(DIST, file), 'utf8'), file);
    const guards = [...template.matchAll(/\{\{- if \.Capabilities\.APIVersions\.Has "([^"]+)" \}\}/g)].map((m) => m[1]);
    expect(guards).toEqual(objects.map((o) => `${o.apiVersion}/${o.kind}`));
    // With every CRD present, Helm renders exactly the objects of dist/custom-resources/.
    const rendered = helmRender(template);
    expect(parseManifest(rendered, file).filter(Boolean)).toEqual(objects);
  });

  it('escapes template braces so Helm prints them literally', () => {
    const text = 'command: ["{{artifacts}}/backup.timestamp"]\n';
    expect(helmEscape(text)).toBe('command: ["{{ "{{" }}artifacts{{ "}}" }}/backup.timestamp"]\n');
    expect(helmRender(helmEscape(text))).toBe(text);
  });
});
