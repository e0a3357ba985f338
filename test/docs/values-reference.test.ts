// docs/values-reference.md is generated from the values schema; this test regenerates it in memory.
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import {
  annotatedSchema,
  describePath,
  referenceRows,
  REFERENCE_FILE,
  renderValuesReference,
  staleDescriptions,
  stripFormats,
} from '../../scripts/gen-values-reference.js';
import { valuesJsonSchema } from '../../src/values/json-schema.js';

const REGENERATE = 'run: npx tsx scripts/gen-values-reference.ts';

describe('docs/values-reference.md', () => {
  it('is what the generator writes from the current schema (not stale)', () => {
    const committed = readFileSync(REFERENCE_FILE, 'utf8');
    expect(committed === renderValuesReference(), `docs/values-reference.md is stale; ${REGENERATE}`).toBe(true);
  });

  it('is generated from the very schema values.schema.json is written from', () => {
    const { $id: _i, title: _t, description: _d, ...fromZod } = valuesJsonSchema();
    expect(stripFormats(annotatedSchema())).toEqual(fromZod);
  });

  it('is deterministic', () => {
    expect(renderValuesReference()).toBe(renderValuesReference());
  });

  it('lists every field of the schema, each once, with a description', () => {
    const rows = referenceRows();
    const paths = rows.map((r) => r.path);
    expect(new Set(paths).size).toBe(paths.length);
    for (const top of Object.keys((valuesJsonSchema().properties as object) ?? {})) expect(paths).toContain(top);
    for (const p of [
      'repository.s3.endpoint',
      'components[type=postgres].database',
      'restore.confirm',
      'monitoring.alerts.maxAge',
      'drill.targets.<component>.sidecar.image',
    ]) {
      expect(paths).toContain(p);
    }
    expect(
      rows.filter((r) => !r.description).map((r) => r.path),
      'fields without a description: add them to DESCRIPTIONS',
    ).toEqual([]);
  });

  it('has no description left for a field that no longer exists', () => {
    expect(staleDescriptions(), 'remove or rename these keys in DESCRIPTIONS').toEqual([]);
  });

  it('shows defaults and allowed values as the schema says', () => {
    const row = (p: string) => referenceRows().find((r) => r.path === p)!;
    expect(row('components[type=postgres].port').default).toBe(5432);
    expect(row('restore.snapshot').default).toBe('latest');
    expect(row('components[type=redis].restoreMode').allowed).toContain('`flush`');
    expect(row('schedule').allowed).toContain('cron');
    expect(describePath('hooks.preBackup[type=exec].namespace')).toMatch(/Namespace/);
  });
});
