// charts/<name>/values.schema.json makes Helm refuse any value (no helm binary here: ajv with Helm's JSON Schema drafts).
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { Ajv } from 'ajv';
import { Ajv2020 } from 'ajv/dist/2020.js';
import { describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { helmChartVersion } from '../../src/helm-chart.js';
import { CHARTS } from './_dist.js';

// Helm ≤ 3.17 validates with gojsonschema (draft 4–7); Helm 3.18+ with santhosh-tekuri/jsonschema, which
// honours the schema's $schema (draft-07 here) and defaults to 2020-12: check the schema under both.
const validators = () =>
  [
    ['draft-07', (s: object) => new Ajv({ allErrors: true, strict: true }).compile(s)],
    ['2020-12', (s: Record<string, unknown>) => new Ajv2020({ allErrors: true, strict: true }).compile({ ...s, $schema: undefined })],
  ] as const;

const charts = readdirSync(CHARTS).sort();

describe('Helm chart values', () => {
  it.each(charts)("%s: no values and a parent chart's global pass; any other value is refused, naming the values files", (name) => {
    const schema = JSON.parse(readFileSync(join(CHARTS, name, 'values.schema.json'), 'utf8')) as Record<string, unknown>;
    for (const [draft, compile] of validators()) {
      const validate = compile(schema);
      expect(validate({}), draft).toBe(true);
      expect(validate({ global: { imageRegistry: 'r' } }), draft).toBe(true);
      for (const values of [{ replicas: 2 }, { image: { tag: 'x' } }, { schedule: '0 1 * * *', global: {} }]) {
        expect(validate(values), `${draft} ${JSON.stringify(values)}`).toBe(false);
        const said = JSON.stringify(validate.errors);
        expect(said).toContain(`this chart takes no values: change values/${name}.yaml and run npm run synth`);
      }
      expect(validate({ global: 'not a map' }), draft).toBe(false);
    }
  });

  it.each(charts)('%s: Chart.yaml sets kubeVersion and a version derived from the content', (name) => {
    const chart = parse(readFileSync(join(CHARTS, name, 'Chart.yaml'), 'utf8')) as { version: string; kubeVersion: string };
    expect(chart.kubeVersion).toBe('>=1.27.0-0');
    const dir = join(CHARTS, name, 'templates');
    const templates = readdirSync(dir).sort((a, b) => (a === `${name}.k8s.yaml` ? -1 : b === `${name}.k8s.yaml` ? 1 : a.localeCompare(b)));
    const content = [...templates.map((t) => readFileSync(join(dir, t), 'utf8')), readFileSync(join(CHARTS, name, 'values.schema.json'), 'utf8')];
    expect(chart.version).toBe(helmChartVersion(content));
  });

  it('the chart version changes with any byte of the content, and only with it', () => {
    expect(helmChartVersion(['a', 'b'])).toBe(helmChartVersion(['a', 'b']));
    expect(helmChartVersion(['a', 'b'])).not.toBe(helmChartVersion(['a', 'c']));
    expect(helmChartVersion(['ab', ''])).not.toBe(helmChartVersion(['a', 'b']));
  });
});
