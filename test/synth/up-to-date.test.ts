// Generated files are committed (dist/, charts/, values.schema.json): regenerate and compare byte by byte.
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { synthesizeAll } from '../../src/app.js';
import { CHARTS, DIST, ROOT, tree } from './_dist.js';

const STALE = 'is stale: run `npm run synth` and commit the result';

describe('committed outputs are up to date', () => {
  let tmp: string;
  beforeAll(async () => {
    tmp = mkdtempSync(join(tmpdir(), 'safehold-up-to-date-'));
    await synthesizeAll({
      valuesDir: join(ROOT, 'values'),
      outDir: join(tmp, 'dist'),
      chartsDir: join(tmp, 'charts'),
      schemaFile: join(tmp, 'values.schema.json'),
    });
  });
  afterAll(() => rmSync(tmp, { recursive: true, force: true }));

  it('values.schema.json', () => {
    expect(readFileSync(join(ROOT, 'values.schema.json'), 'utf8'), `values.schema.json ${STALE}`).toBe(readFileSync(join(tmp, 'values.schema.json'), 'utf8'));
  });

  for (const [name, committed] of [
    ['dist', DIST],
    ['charts', CHARTS],
  ] as const) {
    it(`${name}/`, () => {
      const fresh = join(tmp, name);
      expect(tree(committed), `the files in ${name}/ ${STALE}`).toEqual(tree(fresh));
      for (const f of tree(fresh)) {
        expect(readFileSync(join(committed, f), 'utf8'), `${name}/${f} ${STALE}`).toBe(readFileSync(join(fresh, f), 'utf8'));
      }
    });
  }
});
