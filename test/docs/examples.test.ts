// Every example under examples/ parses and validates against a schema of its kind.
//
// Honest note: the schemas in test/docs/schemas/ are hand-written and minimal. The real CRD
// schemas of Argo CD and Flux, and GitHub's workflow schema, are not available offline here, so
// these check the required fields, types, enums and closed objects the examples rely on — not
// everything the controllers would check.
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { join, relative } from 'node:path';
import { Ajv2020 } from 'ajv/dist/2020.js';
import { describe, expect, it } from 'vitest';
import { parseAllDocuments } from 'yaml';

const ROOT = join(import.meta.dirname, '..', '..');
const EXAMPLES = join(ROOT, 'examples');
const SCHEMAS = join(import.meta.dirname, 'schemas');

function files(dir: string): string[] {
  return readdirSync(dir)
    .sort()
    .flatMap((f) => (statSync(join(dir, f)).isDirectory() ? files(join(dir, f)) : [join(dir, f)]));
}

const ajv = new Ajv2020({ allErrors: true, strict: true, strictRequired: false });
const schema = (name: string) => ajv.compile(JSON.parse(readFileSync(join(SCHEMAS, `${name}.schema.json`), 'utf8')));
const BY_KIND: Record<string, ReturnType<typeof schema>> = {
  'argoproj.io/v1alpha1 Application': schema('argocd-application'),
  'argoproj.io/v1alpha1 ApplicationSet': schema('argocd-applicationset'),
  'source.toolkit.fluxcd.io/v1 GitRepository': schema('flux-gitrepository'),
  'kustomize.toolkit.fluxcd.io/v1 Kustomization': schema('flux-kustomization'),
  'helm.toolkit.fluxcd.io/v2 HelmRelease': schema('flux-helmrelease'),
};
const workflowSchema = schema('github-workflow');

type Doc = Record<string, any>;

function load(file: string): Doc[] {
  const docs = parseAllDocuments(readFileSync(file, 'utf8'));
  for (const d of docs)
    expect(
      d.errors.map((e) => e.message),
      `${relative(ROOT, file)} must parse`,
    ).toEqual([]);
  return docs.map((d) => d.toJS() as Doc).filter((d) => d !== null);
}

const exampleFiles = files(EXAMPLES).filter((f) => /\.ya?ml$/.test(f));
const manifests = exampleFiles.filter((f) => !f.includes(`${join('examples', 'ci')}`));
const all = manifests.flatMap((f) => load(f).map((doc) => ({ file: relative(ROOT, f), doc })));
const ofKind = (kind: string) => all.filter((x) => x.doc.kind === kind);

describe('examples/', () => {
  it('holds the ArgoCD, Flux and CI examples the docs point at', () => {
    const rel = exampleFiles.map((f) => relative(ROOT, f));
    for (const f of [
      'examples/argocd/applicationset-dist.yaml',
      'examples/argocd/application-chart.yaml',
      'examples/flux/kustomizations-per-set.yaml',
      'examples/flux/helmrelease-chart.yaml',
      'examples/ci/check-dist.yml',
    ]) {
      expect(rel).toContain(f);
    }
    // examples/cdk8s-app is TypeScript: test/library/cdk8s-app.test.ts compiles and synthesizes it.
    const app = join(EXAMPLES, 'cdk8s-app');
    expect(
      files(EXAMPLES)
        .filter((f) => !/\.ya?ml$/.test(f) && !f.startsWith(app))
        .map((f) => relative(ROOT, f)),
    ).toEqual([]);
  });

  it.each(manifests.map((f) => relative(ROOT, f)))('%s: every document is a known kind and valid against its schema', (file) => {
    const docs = load(join(ROOT, file));
    expect(docs.length).toBeGreaterThan(0);
    for (const doc of docs) {
      const validate = BY_KIND[`${doc.apiVersion} ${doc.kind}`];
      expect(validate, `${file}: no schema for ${doc.apiVersion} ${doc.kind}`).toBeDefined();
      const ok = validate(doc);
      expect(ok ? [] : validate.errors, `${file}: ${doc.kind} ${doc.metadata?.name}`).toEqual([]);
    }
  });

  it('the CI workflow is a valid workflow that synthesizes and fails on a stale dist/, charts/ or schema', () => {
    const [wf] = load(join(EXAMPLES, 'ci', 'check-dist.yml'));
    const ok = workflowSchema(wf);
    expect(ok ? [] : workflowSchema.errors).toEqual([]);
    const runs = Object.values(wf.jobs as Record<string, Doc>).flatMap((j) => (j.steps as Doc[]).map((s) => String(s.run ?? '')));
    const script = runs.join('\n');
    expect(script).toMatch(/npm ci && npm run synth/);
    expect(script).toMatch(/git diff --exit-code -- dist charts values\.schema\.json/);
    // new output files of a new values file must count as a difference too
    expect(script).toMatch(/git add --intent-to-add -- dist charts values\.schema\.json/);
    const scripts = JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8')).scripts as Record<string, string>;
    for (const m of script.matchAll(/npm run ([\w:-]+)/g)) expect(scripts, `npm run ${m[1]}`).toHaveProperty(m[1]);
  });

  /** What the ApplicationSet's template makes for one values file (the git files generator's path.filename). */
  const render = (template: Doc, file: string): Doc =>
    JSON.parse(JSON.stringify(template).replace(/\{\{ trimSuffix \\".yaml\\" \.path\.filename \}\}/g, file.replace(/\.yaml$/, '')));
  const sets = readdirSync(join(ROOT, 'values')).filter((f) => f.endsWith('.yaml') && !f.startsWith('_'));
  const distTree = (dir: string) => (existsSync(join(ROOT, dir)) ? readdirSync(join(ROOT, dir)).filter((f) => f.endsWith('.k8s.yaml')) : []);

  it('Argo CD: one Application per set from dist/, another for its custom resources; every file of dist/ is owned once', () => {
    const sets_ = ofKind('ApplicationSet');
    expect(sets_.map((x) => x.doc.spec.template.spec.source.path).sort()).toEqual(['dist', 'dist/custom-resources']);
    const owned = new Map<string, string>();
    for (const { file, doc } of sets_) {
      expect(doc.spec.generators[0].git.files[0].path).toBe('values/*.yaml');
      for (const v of sets) {
        const app = {
          apiVersion: 'argoproj.io/v1alpha1',
          kind: 'Application',
          metadata: { ...render(doc.spec.template, v).metadata, namespace: 'argocd' },
          spec: render(doc.spec.template, v).spec,
        };
        const validate = BY_KIND['argoproj.io/v1alpha1 Application'];
        expect(validate(app) ? [] : validate.errors, `${file}: Application for ${v}`).toEqual([]);
        const src = app.spec.source;
        expect(src.directory.recurse).toBe(false);
        expect(src.directory.include).toBe(v.replace(/\.yaml$/, '.k8s.yaml'));
        const target = `${src.path}/${src.directory.include}`;
        if (existsSync(join(ROOT, target))) owned.set(target, app.metadata.name);
        expect(
          app.spec.syncPolicy.syncOptions.some((o: string) => /^(Replace|Force)=true$/.test(o)),
          'Replace/Force re-run Jobs',
        ).toBe(false);
        if (src.path === 'dist') {
          expect(app.spec.syncPolicy.syncOptions).toContain('RespectIgnoreDifferences=true');
          expect(app.spec.ignoreDifferences).toContainEqual({ group: 'batch', kind: 'Job', jsonPointers: ['/spec'] });
        }
      }
    }
    const all = [...distTree('dist').map((f) => `dist/${f}`), ...distTree('dist/custom-resources').map((f) => `dist/custom-resources/${f}`)];
    expect(all.length).toBeGreaterThan(sets.length);
    expect([...owned.keys()].sort()).toEqual(all.sort());
  });

  it('Argo CD chart Application points at a chart that exists and keeps one-shot Jobs safe', () => {
    for (const { file, doc } of ofKind('Application')) {
      expect(existsSync(join(ROOT, doc.spec.source.path, 'Chart.yaml')), `${file}: ${doc.spec.source.path}/Chart.yaml`).toBe(true);
      expect(doc.spec.syncPolicy.syncOptions).toContain('RespectIgnoreDifferences=true');
      expect(doc.spec.ignoreDifferences).toContainEqual({ group: 'batch', kind: 'Job', jsonPointers: ['/spec'] });
    }
  });

  it('Flux: each Kustomization applies exactly one file of dist/ (its source keeps only that file); nothing forces re-creation', () => {
    const repos = new Map(ofKind('GitRepository').map((r) => [`${r.doc.metadata.namespace}/${r.doc.metadata.name}`, r.doc]));
    const applied: string[] = [];
    for (const { file, doc } of ofKind('Kustomization')) {
      const repo = repos.get(`${doc.spec.sourceRef.namespace ?? doc.metadata.namespace}/${doc.spec.sourceRef.name}`);
      expect(repo, file).toBeDefined();
      expect(existsSync(join(ROOT, doc.spec.path))).toBe(true);
      expect(doc.spec.force).not.toBe(true);
      // The files of the path (recursively) that the source's ignore rules keep: exactly one manifest.
      const dir = doc.spec.path.replace(/^\.\//, '');
      const kept = [...distTree(dir).map((f) => `${dir}/${f}`), ...distTree(`${dir}/custom-resources`).map((f) => `${dir}/custom-resources/${f}`)].filter((f) =>
        String(repo!.spec.ignore).split('\n').includes(`!/${f}`),
      );
      expect(kept, `${file}: ${doc.metadata.name}`).toHaveLength(1);
      applied.push(kept[0]);
    }
    expect(applied.sort()).toEqual(['dist/custom-resources/monoskope-eventstore.k8s.yaml', 'dist/monoskope-eventstore.k8s.yaml']);
    for (const { file, doc } of ofKind('HelmRelease')) {
      const chart = doc.spec.chart.spec;
      expect(repos.has(`${chart.sourceRef.namespace ?? doc.metadata.namespace}/${chart.sourceRef.name}`), file).toBe(true);
      expect(existsSync(join(ROOT, chart.chart, 'Chart.yaml')), chart.chart).toBe(true);
      expect(chart.reconcileStrategy).toBe('Revision');
      expect(doc.spec.install.disableWaitForJobs && doc.spec.upgrade.disableWaitForJobs).toBe(true);
      expect(doc.spec.upgrade.force).not.toBe(true);
    }
  });

  it('dist/dashboards/*.json (Grafana JSON, no Kubernetes object) is applied by no Argo CD Application and no Flux Kustomization', () => {
    const dashboards = existsSync(join(ROOT, 'dist', 'dashboards')) ? readdirSync(join(ROOT, 'dist', 'dashboards')).map((f) => `dist/dashboards/${f}`) : [];
    expect(dashboards.length).toBeGreaterThan(0);
    // Argo CD directory sources read .yaml, .yml and .json: only top-level files (recurse: false) matching include.
    for (const { doc } of ofKind('ApplicationSet')) {
      for (const v of sets) {
        const src = render(doc.spec.template, v).spec.source;
        expect(src.directory.recurse).toBe(false);
        for (const f of dashboards) expect(`${src.path}/${src.directory.include}`).not.toBe(f);
        expect(dashboards.some((f) => f.slice(0, f.lastIndexOf('/')) === src.path)).toBe(false);
      }
    }
    // Flux's generated kustomization takes only .yaml/.yml files, and each Kustomization's source keeps exactly its manifest.
    const applying = new Set(ofKind('Kustomization').map((k) => k.doc.spec.sourceRef.name));
    for (const { doc } of ofKind('GitRepository').filter((r) => applying.has(r.doc.metadata.name))) {
      const lines = String(doc.spec.ignore).split('\n');
      expect(lines, doc.metadata.name).toContain('/dist/*');
      expect(
        lines.filter((l) => l.startsWith('!') && l.includes('dashboards')),
        doc.metadata.name,
      ).toEqual([]);
    }
    for (const f of dashboards) expect(f).toMatch(/\.json$/);
  });

  it('the hand-written schemas reject what they are meant to catch', () => {
    const [app] = ofKind('Application');
    const bad = structuredClone(app.doc);
    bad.spec.syncPolicy.automated.selfheal = true; // misspelt: Argo CD would ignore it silently
    expect(BY_KIND['argoproj.io/v1alpha1 Application'](bad)).toBe(false);
    const noRepo = structuredClone(app.doc);
    delete noRepo.spec.source.repoURL;
    expect(BY_KIND['argoproj.io/v1alpha1 Application'](noRepo)).toBe(false);
    const [hr] = ofKind('HelmRelease');
    const badHr = structuredClone(hr.doc);
    badHr.spec.chart.spec.reconcileStrategy = 'Always';
    expect(BY_KIND['helm.toolkit.fluxcd.io/v2 HelmRelease'](badHr)).toBe(false);
  });
});
