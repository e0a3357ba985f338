// values.schema.json: compiled by ajv (draft 2020-12, strict) and giving the same verdict as zod.
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { Ajv2020 } from 'ajv/dist/2020.js';
import addFormatsModule from 'ajv-formats';
import { describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { values as valuesSchema } from '../../src/values/schema.js';
import { BASE, VALUES_DIR } from '../constructs/_fixtures.js';
import { ROOT } from './_dist.js';

function compile() {
  const ajv = new Ajv2020({ strict: true, allErrors: true });
  // ajv-formats is CommonJS: under NodeNext the default import is module.exports, whose .default is the plugin.
  addFormatsModule.default(ajv);
  // zod writes this for .startsWith(); it is a pattern-like check ajv does not know.
  ajv.addFormat('starts_with', true);
  return ajv.compile(JSON.parse(readFileSync(join(ROOT, 'values.schema.json'), 'utf8')));
}

describe('values.schema.json', () => {
  const validate = compile();

  it('compiles under ajv 2020 strict mode', () => {
    expect(typeof validate).toBe('function');
  });

  it.each(
    readdirSync(VALUES_DIR)
      .filter((f) => f.endsWith('.yaml'))
      .sort(),
  )('accepts values/%s as zod does', (file) => {
    const doc = parse(readFileSync(join(VALUES_DIR, file), 'utf8'));
    expect(valuesSchema.safeParse(doc).success).toBe(true);
    expect(validate(doc), JSON.stringify(validate.errors)).toBe(true);
  });

  const variants: Array<[string, Record<string, unknown>]> = [
    ['no components', { ...BASE, components: [] }],
    ['unknown field', { ...BASE, colour: 'blue' }],
    ['unknown component type', { ...BASE, components: [{ name: 'db', type: 'oracle' }] }],
    ['bad port', { ...BASE, components: [{ ...(BASE.components as object[])[0], port: 70000 }] }],
    ['suspend as text', { ...BASE, suspend: 'no' }],
    ['retention as text', { ...BASE, retention: { keepLast: 'seven' } }],
    ['valid with defaults spelled out', { ...BASE, suspend: false, timeZone: 'UTC', retention: { keepLast: 3 } }],
    ['valid pvc repository', { ...BASE, repository: { pvc: { claimName: 'r', size: '1Gi' }, password: { secretName: 'p' } } }],
  ];
  it.each(variants)('agrees with zod: %s', (_name, doc) => {
    expect(validate(doc)).toBe(valuesSchema.safeParse(doc).success);
  });
});
