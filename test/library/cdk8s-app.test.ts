// examples/cdk8s-app: compiled with tsc against the built library (package exports, declarations), synthesized, equal to the values-file path.
import { execFileSync } from 'node:child_process';
import { copyFileSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';
import { parseAllDocuments, stringify } from 'yaml';
import { synthesizeAll } from '../../src/app.js';

const ROOT = join(import.meta.dirname, '..', '..');
const TSC = join(ROOT, 'node_modules', 'typescript', 'bin', 'tsc');
mkdirSync(join(ROOT, '.tmp'), { recursive: true });
// Inside the checkout, so that the library and the app find cdk8s in its node_modules.
const work = mkdtempSync(join(ROOT, '.tmp', 'library-'));
afterAll(() => rmSync(work, { recursive: true, force: true }));

type Obj = { apiVersion: string; kind: string; metadata: { name: string } };
const objects = (file: string): Obj[] =>
  parseAllDocuments(readFileSync(file, 'utf8'))
    .map((d) => d.toJS() as Obj)
    .filter(Boolean);
const byId = (xs: Obj[]) => [...xs].sort((a, b) => `${a.kind}/${a.metadata.name}`.localeCompare(`${b.kind}/${b.metadata.name}`));

/** The package as a user installs it (built JavaScript and declarations, resolved through "exports"), and the example compiled against it. */
let compiled: Promise<string> | undefined;
function compileExample(): Promise<string> {
  compiled ??= (async () => {
    const pkg = join(work, 'node_modules', 'safehold');
    execFileSync(process.execPath, [TSC, '-p', join(ROOT, 'tsconfig.lib.json'), '--outDir', join(pkg, 'build')], { stdio: 'pipe' });
    const { exports, name, type } = JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8'));
    writeFileSync(join(pkg, 'package.json'), JSON.stringify({ name, type, exports }));
    expect(readdirSync(join(pkg, 'build'))).toEqual(expect.arrayContaining(['library.js', 'library.d.ts']));
    const appDir = join(work, 'app');
    mkdirSync(appDir);
    for (const f of ['main.ts', 'backup-only.ts', 'tsconfig.json', 'package.json']) copyFileSync(join(ROOT, 'examples', 'cdk8s-app', f), join(appDir, f));
    execFileSync(process.execPath, [TSC, '-p', join(appDir, 'tsconfig.json')], { stdio: 'pipe' });
    return appDir;
  })();
  return compiled;
}

/** The same settings as a values file, through safehold synth: every object it writes. */
let synthesized: Promise<Obj[]> | undefined;
function fromValuesFile(appDir: string): Promise<Obj[]> {
  synthesized ??= (async () => {
    const { settings } = (await import(pathToFileURL(join(appDir, 'dist-js', 'main.js')).href)) as { settings: unknown };
    mkdirSync(join(work, 'values'));
    writeFileSync(join(work, 'values', 'shop.yaml'), stringify(settings));
    await synthesizeAll({ valuesDir: join(work, 'values'), outDir: join(work, 'dist') });
    return [...objects(join(work, 'dist', 'shop.k8s.yaml')), ...objects(join(work, 'dist', 'custom-resources', 'shop.k8s.yaml'))];
  })();
  return synthesized;
}

const node = (appDir: string, script: string) =>
  execFileSync(process.execPath, [join(appDir, 'dist-js', script)], { cwd: appDir, stdio: 'pipe', env: { ...process.env, CDK8S_CHECK_UPGRADE: 'false' } });

describe('the typed library, used from a cdk8s app', () => {
  it('the example compiles against the built package (exports + declarations) and synthesizes what the values file does', async () => {
    const appDir = await compileExample();
    node(appDir, 'main.js');
    expect(readdirSync(join(appDir, 'dist')).sort()).toEqual(['shop-app.k8s.yaml', 'shop-backup.k8s.yaml']);
    expect(objects(join(appDir, 'dist', 'shop-app.k8s.yaml')).map((o) => `${o.kind}/${o.metadata.name}`)).toEqual(['Deployment/shop-web']);
    const fromValues = await fromValuesFile(appDir);
    const fromLibrary = objects(join(appDir, 'dist', 'shop-backup.k8s.yaml'));
    expect(fromLibrary.length).toBeGreaterThan(3);
    expect(byId(fromLibrary)).toEqual(byId(fromValues));
  }, 240_000);

  it('lower constructs on their own (backup-only.ts: RunnerConfig, RunnerRbac, BackupCronJob with typed props) write the same objects as the values file', async () => {
    const appDir = await compileExample();
    node(appDir, 'backup-only.js');
    expect(readdirSync(join(appDir, 'dist-backup-only'))).toEqual(['shop-backup-only.k8s.yaml']);
    const lower = objects(join(appDir, 'dist-backup-only', 'shop-backup-only.k8s.yaml'));
    expect(lower.map((o) => `${o.kind}/${o.metadata.name}`)).toEqual([
      'ConfigMap/shop-safehold-config',
      'ServiceAccount/shop-safehold-backup',
      'CronJob/shop-backup',
    ]);
    const fromValues = await fromValuesFile(appDir);
    for (const o of lower) expect(o, `${o.kind}/${o.metadata.name}`).toEqual(fromValues.find((x) => x.kind === o.kind && x.metadata.name === o.metadata.name));
  }, 240_000);

  it('invalid settings throw one error naming every field', async () => {
    const { App } = await import('cdk8s');
    const { BackupSet } = await import('../../src/library.js');
    const settings = {
      name: 'Shop',
      namespace: 'shop',
      schedule: '0 2 * * *',
      repository: { local: { path: '/b' }, password: { secretName: 'k' } },
      components: [],
      retention: { keepDays: 1 },
    };
    expect(() => new BackupSet(new App(), 'x', { settings: settings as never })).toThrow(
      /BackupSet x: invalid settings\n {2}name: must be a DNS-1123 label[^]*retention\.keepDays: unknown field[^]*components: must list at least one component/,
    );
  });

  it('the library does not reach the runner or child processes', () => {
    const seen = new Set<string>();
    const walk = (file: string) => {
      if (seen.has(file)) return;
      seen.add(file);
      const text = readFileSync(file, 'utf8');
      expect(text, file).not.toMatch(/from 'node:child_process'/);
      for (const m of text.matchAll(/from '(\.{1,2}\/[^']+)\.js'/g)) walk(join(file, '..', `${m[1]}.ts`));
    };
    walk(join(ROOT, 'src', 'library.ts'));
    expect(seen.size).toBeGreaterThan(10);
    expect([...seen].filter((f) => f.includes(`${join('src', 'runner')}`))).toEqual([]);
  });
});
