import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { parseAllDocuments, stringify } from 'yaml';
import { synthesizeAll } from '../../src/app.js';
import { ValuesError } from '../../src/errors.js';
import { BASE } from '../constructs/_fixtures.js';
import { ROOT, tree } from './_dist.js';

const dirs: string[] = [];
function tmp(): string {
  const d = mkdtempSync(join(tmpdir(), 'safehold-app-'));
  dirs.push(d);
  return d;
}
afterEach(() => dirs.splice(0).forEach((d) => rmSync(d, { recursive: true, force: true })));

function snapshot(dir: string): Record<string, string> {
  return Object.fromEntries(tree(dir).map((f) => [f, readFileSync(join(dir, f), 'utf8')]));
}

function valuesDir(files: Record<string, unknown>): string {
  const dir = join(tmp(), 'values');
  mkdirSync(dir);
  for (const [name, doc] of Object.entries(files)) writeFileSync(join(dir, name), typeof doc === 'string' ? doc : stringify(doc));
  return dir;
}

async function synthInto(values: string, base = tmp()) {
  const out = { valuesDir: values, outDir: join(base, 'dist'), chartsDir: join(base, 'charts'), schemaFile: join(base, 'values.schema.json') };
  const result = await synthesizeAll(out);
  return { ...out, base, result };
}

describe('synthesizeAll', () => {
  it('writes dist/<name>.k8s.yaml, charts/<name>/ and the schema for every values file', async () => {
    const r = await synthInto(join(ROOT, 'values'));
    const names = readdirSync(join(ROOT, 'values'))
      .filter((f) => f.endsWith('.yaml'))
      .map((f) => f.replace(/\.yaml$/, ''))
      .sort();
    expect(readdirSync(r.outDir).sort()).toEqual(['custom-resources', 'dashboards', ...names.map((n) => `${n}.k8s.yaml`)].sort());
    expect(readdirSync(r.chartsDir).sort()).toEqual(names);
    const custom = readdirSync(join(r.outDir, 'custom-resources')).map((f) => f.replace('.k8s.yaml', ''));
    for (const n of names)
      expect(tree(join(r.chartsDir, n))).toEqual([
        'Chart.yaml',
        'README.md',
        ...(custom.includes(n) ? [`templates/${n}.custom-resources.k8s.yaml`] : []),
        `templates/${n}.k8s.yaml`,
        'values.schema.json',
      ]);
    // Operator kinds live apart from the core objects, so a missing CRD never fails the core apply.
    for (const n of names) expect(readFileSync(join(r.outDir, `${n}.k8s.yaml`), 'utf8')).not.toMatch(/^kind: (PrometheusRule|ExternalSecret|SealedSecret)$/m);
    expect(JSON.parse(readFileSync(r.schemaFile, 'utf8')).$schema).toContain('2020-12');
    expect(r.result.files).toHaveLength(names.length);
    expect(readdirSync(r.base).filter((f) => f.startsWith('.'))).toEqual([]); // no staging left behind
  });

  it('dist/dashboards/<name>.json: the bytes of the dashboard ConfigMap, one per set with monitoring, deterministic, gone with monitoring off', async () => {
    const dir = valuesDir({
      'shop.yaml': { ...BASE, monitoring: { dashboard: true } },
      'quiet.yaml': { ...BASE, name: 'quiet', monitoring: { enabled: false } },
    });
    const a = await synthInto(dir);
    expect(readdirSync(join(a.outDir, 'dashboards'))).toEqual(['shop.json']);
    const file = readFileSync(join(a.outDir, 'dashboards', 'shop.json'), 'utf8');
    const objects = parseAllDocuments(readFileSync(join(a.outDir, 'shop.k8s.yaml'), 'utf8')).map(
      (d) => d.toJS() as { kind: string; metadata: { name: string }; data?: Record<string, string> },
    );
    const cm = objects.find((o) => o.kind === 'ConfigMap' && o.metadata.name === 'shop-safehold-dashboard')!;
    expect(Object.values(cm.data!)).toEqual([file]);
    expect(JSON.parse(file)).toMatchObject({ title: 'safehold team/shop', uid: expect.stringMatching(/^safehold-[0-9a-f]{16}$/) });
    expect(snapshot((await synthInto(dir)).outDir)).toEqual(snapshot(a.outDir));
    // Monitoring off: the file goes, and the directory with its last file.
    writeFileSync(join(dir, 'shop.yaml'), stringify({ ...BASE, monitoring: { enabled: false } }));
    await synthesizeAll({ valuesDir: dir, outDir: a.outDir });
    expect(existsSync(join(a.outDir, 'dashboards'))).toBe(false);
  });

  it('is deterministic: two runs into different directories are byte-identical, whatever CDK8S_DISABLE_SORT says', async () => {
    const a = await synthInto(join(ROOT, 'values'));
    process.env.CDK8S_DISABLE_SORT = '1';
    try {
      const b = await synthInto(join(ROOT, 'values'));
      expect(snapshot(b.base)).toEqual(snapshot(a.base));
    } finally {
      delete process.env.CDK8S_DISABLE_SORT;
    }
  });

  it('is the same on a machine with another locale and time zone (Czech sorts "ch" after "h")', async () => {
    const values = valuesDir({
      'locale.yaml': {
        ...BASE,
        repository: {
          s3: { endpoint: 'https://s3.example.com', bucket: 'backups', credentials: { secretName: 'd-s3' } },
          password: { secretName: 'h-restic' },
        },
        components: [{ name: 'db', type: 'postgres', host: 'pg', database: 'shop', credentials: { secretName: 'ch-db' } }],
      },
    });
    const here = await synthInto(values);
    const there = tmp();
    const tsx = join(ROOT, 'node_modules', '.bin', 'tsx');
    const r = spawnSync(
      tsx,
      [
        join(ROOT, 'src', 'cli.ts'),
        'synth',
        '--values',
        values,
        '--out',
        join(there, 'dist'),
        '--charts',
        join(there, 'charts'),
        '--schema',
        join(there, 'values.schema.json'),
      ],
      {
        env: { ...process.env, LC_ALL: 'cs_CZ.UTF-8', LANG: 'cs_CZ.UTF-8', TZ: 'Pacific/Chatham' },
        encoding: 'utf8',
      },
    );
    expect(r.status, r.stderr).toBe(0);
    expect(snapshot(there)).toEqual(snapshot(here.base));
  });

  it('a second run into the same place changes nothing', async () => {
    const a = await synthInto(join(ROOT, 'values'));
    const before = snapshot(a.base);
    await synthInto(join(ROOT, 'values'), a.base);
    expect(snapshot(a.base)).toEqual(before);
  });

  it('removes the outputs of a values file that is gone, and nothing else', async () => {
    const values = valuesDir({ 'one.yaml': BASE, 'two.yaml': { ...BASE, name: 'two' } });
    const r = await synthInto(values);
    writeFileSync(join(r.outDir, 'kustomization.yaml'), 'resources: []\n');
    mkdirSync(join(r.chartsDir, 'hand-made'));
    writeFileSync(join(r.chartsDir, 'hand-made', 'Chart.yaml'), 'name: hand-made\n');
    rmSync(join(values, 'two.yaml'));
    await synthInto(values, r.base);
    expect(readdirSync(r.outDir).sort()).toEqual(['custom-resources', 'dashboards', 'kustomization.yaml', 'one.k8s.yaml']);
    expect(readdirSync(join(r.outDir, 'custom-resources'))).toEqual(['one.k8s.yaml']);
    expect(readdirSync(join(r.outDir, 'dashboards'))).toEqual(['one.json']);
    expect(readdirSync(r.chartsDir).sort()).toEqual(['hand-made', 'one']);
  });

  it('reports every problem of every file at once and writes nothing', async () => {
    const values = valuesDir({
      'good.yaml': BASE,
      'bad-a.yaml': { ...BASE, name: 'a', schedule: 'every day' },
      'bad-b.yaml': { ...BASE, name: 'b', components: [{ name: 'db', type: 'oracle' }], suspend: 'no' },
    });
    const base = tmp();
    const err = await synthInto(values, base).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(ValuesError);
    const problems = (err as ValuesError).problems;
    expect(new Set(problems.map((p) => p.file.split('/').pop()))).toEqual(new Set(['bad-a.yaml', 'bad-b.yaml']));
    expect(problems.length).toBeGreaterThanOrEqual(3);
    expect(problems.every((p) => p.line > 0)).toBe(true);
    expect(existsSync(join(base, 'dist'))).toBe(false);
    expect(existsSync(join(base, 'values.schema.json'))).toBe(false);
  });

  it('refuses two values files that would write the same object', async () => {
    const values = valuesDir({ 'a.yaml': BASE, 'b.yaml': BASE });
    const err = (await synthInto(values).catch((e: unknown) => e)) as ValuesError;
    expect(err).toBeInstanceOf(ValuesError);
    expect(err.message).toMatch(/b\.yaml:\d+:\d+ name: CronJob team\/shop-backup is also written by .*a\.yaml/);
    // Another namespace or instance is another backup set.
    await expect(
      synthInto(valuesDir({ 'a.yaml': BASE, 'b.yaml': { ...BASE, namespace: 'other' }, 'c.yaml': { ...BASE, instance: 'two' } })),
    ).resolves.toBeDefined();
  });

  it('refuses file names that cannot name a manifest and a chart', async () => {
    const err = (await synthInto(valuesDir({ 'My App.yaml': BASE })).catch((e: unknown) => e)) as ValuesError;
    expect(err.message).toContain('the file name "My App"');
  });

  it('reports Kubernetes naming limits at the values field', async () => {
    const err = (await synthInto(valuesDir({ 'long.yaml': { ...BASE, name: 'x'.repeat(50) } })).catch((e: unknown) => e)) as ValuesError;
    expect(err.problems).toEqual([expect.objectContaining({ path: 'name', line: 1, message: expect.stringContaining('Kubernetes allows 52') })]);
  });
});
