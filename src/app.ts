// values → one chart per values file → deterministic YAML in dist/ and Helm charts in charts/, written atomically.
import { sortKeysDeep } from './contract/config.js';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, renameSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { basename, dirname, join, relative, resolve, sep } from 'node:path';
import { App, Yaml } from 'cdk8s';
import { BackupSetChart, manifestProblems } from './constructs/backup-set-chart.js';
import { setDashboardText } from './constructs/dashboard-config-map.js';
import { backupSetNames } from './constructs/names.js';
import { restrictedWarnings } from './constructs/restricted-check.js';
import { verifyOwners } from './constructs/verify-cron-job.js';
import { UsageError, ValuesError, type ValuesProblem } from './errors.js';
import { VERSION } from './version.js';
import { DNS1123_LABEL } from './values/formats.js';
import { valuesJsonSchemaText } from './values/json-schema.js';
import { chartValuesSchema, helmChartVersion, KUBE_VERSION } from './helm-chart.js';
import { DEFAULTS_FILE, loadLayered, type DefaultsCache } from './values/layers.js';
import { formatPath, type Locator } from './values/load.js';
import { layeredLocator } from './values/provenance.js';
import type { Values } from './values/schema.js';
import { securityWarnings } from './values/security-rules.js';

export interface SynthesizeOptions {
  /** Directory of values files (*.yaml, *.yml). */
  readonly valuesDir: string;
  /** Where `<name>.k8s.yaml` files go (dist/). */
  readonly outDir: string;
  /** Where Helm charts go (charts/); none when omitted. */
  readonly chartsDir?: string;
  /** Where values.schema.json goes; not written when omitted. */
  readonly schemaFile?: string;
}

export interface SynthesisResult {
  /** The manifests written (or already up to date), one per values file. */
  readonly files: string[];
}

/** One synthesized values file: its name (file name without extension) and its manifest text. */
export interface SynthesizedSet {
  readonly name: string;
  /** The values file's directory below the values root ('' at the top, 'prod', 'prod/eu'): outputs go to the same place. */
  readonly dir: string;
  /** The values file as the header names it (values/prod/shop.yaml). */
  readonly source: string;
  /** Every file the values came from: the defaults files, shallowest first, then the values file. */
  readonly sources: readonly string[];
  readonly values: Values;
  /** The core objects: dist/<name>.k8s.yaml. */
  readonly manifest: string;
  /** Objects of operator kinds (CRDs), when there are any: dist/custom-resources/<name>.k8s.yaml. */
  readonly customResources?: string;
  /** The Grafana dashboard (monitoring on): dist/dashboards/<name>.json, the bytes the dashboard ConfigMap holds. */
  readonly dashboard?: string;
  readonly objects: ReadonlyArray<Record<string, unknown>>;
}

export const MANIFEST_SUFFIX = '.k8s.yaml';
/** Subdirectory of dist/ for objects whose kinds come from CRDs: a missing CRD fails only that file's apply. */
export const CUSTOM_RESOURCES_DIR = 'custom-resources';
/**
 * Subdirectory of dist/ for Grafana dashboard JSON, which is no Kubernetes object: the Argo CD and Flux examples apply
 * only `<name>.k8s.yaml` at the top of dist/ (directory recurse: false and include; a source ignore), never this.
 */
export const DASHBOARDS_DIR = 'dashboards';
const BUILTIN_GROUPS =
  /^(v1|(apps|batch|policy|autoscaling|networking\.k8s\.io|rbac\.authorization\.k8s\.io|storage\.k8s\.io|coordination\.k8s\.io|scheduling\.k8s\.io)\/v\d\w*)$/;

/** Whether an object's kind is served only once an operator's CRD is installed (PrometheusRule, ExternalSecret, SealedSecret). */
export function isCustomResource(obj: Record<string, unknown>): boolean {
  return !BUILTIN_GROUPS.test(String(obj.apiVersion));
}

/** The values files of a directory and its subdirectories (not the defaults files), each directory's files first. */
export function listValuesFiles(dir: string): string[] {
  let entries: string[];
  try {
    entries = readdirSync(dir).sort();
  } catch {
    throw new UsageError(`${dir}: no such directory of values files`);
  }
  const files = entries.filter((f) => /\.ya?ml$/.test(f) && f !== DEFAULTS_FILE && statSync(join(dir, f)).isFile()).map((f) => join(dir, f));
  const subdirs = entries.filter((f) => !f.startsWith('.') && statSync(join(dir, f)).isDirectory());
  return [...files, ...subdirs.flatMap((d) => listValuesFiles(join(dir, d)))];
}

/** A set's output path below dist/ (or charts/): its values file's directory, then its name. */
export function outputPath(set: Pick<SynthesizedSet, 'dir' | 'name'>, suffix = MANIFEST_SUFFIX): string {
  return set.dir ? `${set.dir}/${set.name}${suffix}` : `${set.name}${suffix}`;
}

/** Keys sorted at every level, top level as kubectl prints it: apiVersion, kind, metadata, the rest. */
function canonicalObject(obj: Record<string, unknown>): Record<string, unknown> {
  const sorted = sortKeysDeep(obj) as Record<string, unknown>;
  const head = ['apiVersion', 'kind', 'metadata'].filter((k) => k in sorted);
  return Object.fromEntries([...head, ...Object.keys(sorted).filter((k) => !head.includes(k))].map((k) => [k, sorted[k]]));
}

/**
 * Synthesizes one backup set in its own cdk8s App, which is then dropped: one App holding every
 * chart re-validates the whole App per chart and grows quadratically (TESTBED).
 */
export function synthesizeObjects(values: Values, name = values.name, o: { verify?: boolean } = {}): Array<Record<string, unknown>> {
  const app = new App();
  const chart = new BackupSetChart(app, name, { values, verify: o.verify });
  return (chart.toJson() as Array<Record<string, unknown>>).map(canonicalObject);
}

/** `values/prod/shop.yaml`, or with defaults `values/prod/shop.yaml over values/_defaults.yaml, …`. */
function describeSources(sources: readonly string[]): string {
  const file = sources[sources.length - 1]!;
  return sources.length > 1 ? `${file} over ${sources.slice(0, -1).join(', ')}` : file;
}

export function renderManifest(objects: ReadonlyArray<Record<string, unknown>>, source: string | readonly string[], what = ''): string {
  const from = typeof source === 'string' ? source : describeSources(source);
  const header = `# Generated by safehold from ${from}${what}. Do not edit: change the values file and run \`npm run synth\`.\n`;
  return header + Yaml.stringify(...objects);
}

/** A Helm template of custom resources, each rendered only when the cluster serves its kind (a missing CRD skips it). */
function helmCustomResources(objects: ReadonlyArray<Record<string, unknown>>, sources: readonly string[]): string {
  const header = `# Generated by safehold from ${describeSources(sources)} (custom resources, each only where its CRD is installed). Do not edit.\n`;
  return (
    header +
    objects.map((o) => `{{- if .Capabilities.APIVersions.Has "${o.apiVersion}/${o.kind}" }}\n---\n${helmEscape(Yaml.stringify(o))}{{- end }}\n`).join('')
  );
}

/** Helm renders templates/: literal `{{` and `}}` (hook placeholders, PromQL) must reach the output unchanged. */
export function helmEscape(text: string): string {
  return text.replace(/\{\{|\}\}/g, (m) => (m === '{{' ? '{{ "{{" }}' : '{{ "}}" }}'));
}

/** `charts/<name>/` in the layout of `cdk8s synth --format helm`: Chart.yaml, README.md, templates/. */
export function helmChartFiles(set: SynthesizedSet): Map<string, string> {
  const names = backupSetNames(set.values);
  const custom = set.objects.filter(isCustomResource);
  const templates = new Map<string, string>([
    [`templates/${set.name}${MANIFEST_SUFFIX}`, helmEscape(set.manifest)],
    ...(custom.length
      ? [[`templates/${set.name}.${CUSTOM_RESOURCES_DIR}${MANIFEST_SUFFIX}`, helmCustomResources(custom, set.sources)] as [string, string]]
      : []),
  ]);
  const valuesSchema = chartValuesSchema(set.sources);
  const chartYaml = [
    'apiVersion: v2',
    `name: ${set.name}`,
    `description: Backup and restore of ${set.values.namespace}/${names.prefix} (generated by safehold from ${set.source})`,
    'type: application',
    `version: ${helmChartVersion([...templates.values(), valuesSchema])}`,
    `appVersion: "${VERSION}"`,
    `kubeVersion: "${KUBE_VERSION}"`,
    '',
  ].join('\n');
  const readme = [
    `# ${set.name}`,
    '',
    `This Helm chart is generated by safehold from \`${set.source}\`: the same objects as \`dist/${outputPath(set)}\`,`,
    'without templating. It takes no values: its `values.schema.json` makes Helm refuse any value passed',
    `(from \`--set\`, a HelmRelease or an Argo CD Application) with a message naming ${set.sources.map((f) => `\`${f}\``).join(', ')}:`,
    'change those files and run `npm run synth`. Any manual change here is discarded by the next synth.',
    '',
    `The chart version is the safehold release with a hash of the chart's content (\`${VERSION}+<hash>\`): it changes`,
    'whenever the objects change, so a Flux `HelmRelease` applies every change with its default reconcileStrategy.',
    '',
  ].join('\n');
  return new Map([['Chart.yaml', chartYaml], ['README.md', readme], ['values.schema.json', valuesSchema], ...templates]);
}

function problemAt(locate: Locator, path: (string | number)[], message: string): ValuesProblem {
  return { ...locate(path), path: formatPath(path), message };
}

/** Where values files are read from: the root above which no `_defaults.yaml` applies, and a cache of those read. */
export interface LoadOptions {
  readonly root?: string;
  readonly cache?: DefaultsCache;
}

/** Loads one values file over its defaults; the manifest-level checks too: what `validate` and `synth` both refuse. */
function loadChecked(file: string, o: LoadOptions = {}): { values: Values; locate: Locator; sources: string[] } {
  const { values, layers } = loadLayered(file, o);
  const locate = layeredLocator(layers);
  const issues = manifestProblems(values);
  if (issues.length) throw new ValuesError(issues.map((i) => problemAt(locate, i.path, i.message)));
  return { values, locate, sources: layers.map((l) => l.file) };
}

/** Loads one values file (over its defaults) and applies the manifest-level checks too. */
export function loadAndCheck(file: string, o: LoadOptions = {}): Values {
  return loadChecked(file, o).values;
}

/** What validate warns about in a valid values file (it still exits 0), located like problems. */
export function warningsFor(file: string, o: LoadOptions = {}): ValuesProblem[] {
  const { values, layers } = loadLayered(file, o);
  const locate = layeredLocator(layers);
  return [...securityWarnings(values), ...restrictedWarnings(values)].map((w) => problemAt(locate, w.path, `warning: ${w.message}`));
}

/** Loads, checks and synthesizes every values file in memory; throws one ValuesError listing every problem. */
export function synthesizeSets(valuesDir: string): SynthesizedSet[] {
  const files = listValuesFiles(valuesDir);
  const problems: ValuesProblem[] = [];
  const sets: SynthesizedSet[] = [];
  const sourceDir = basename(resolve(valuesDir));
  // Paths as headers and messages name them: values/prod/shop.yaml.
  const shown = (f: string) => [sourceDir, ...relative(valuesDir, f).split(sep)].join('/');
  const byName = new Map<string, string>();
  const locators = new Map<string, Locator>();
  const loaded: Array<{ name: string; dir: string; file: string; values: Values; sources: string[] }> = [];
  const cache: DefaultsCache = new Map();
  for (const file of files) {
    const name = basename(file).replace(/\.ya?ml$/, '');
    const dir = relative(valuesDir, dirname(file)).split(sep).filter(Boolean).join('/');
    const out = outputPath({ dir, name });
    if (!DNS1123_LABEL.test(name) || name.length > 53) {
      problems.push({
        file,
        line: 1,
        col: 1,
        path: '',
        message: `the file name "${name}" names dist/${out} and a Helm chart: use lowercase letters, digits and "-" (at most 53)`,
      });
      continue;
    }
    if ([CUSTOM_RESOURCES_DIR, DASHBOARDS_DIR].includes(dir.split('/')[0]!)) {
      problems.push({
        file,
        line: 1,
        col: 1,
        path: '',
        message: `a values directory named "${dir.split('/')[0]}" would mix with dist/${dir.split('/')[0]}/: rename the directory`,
      });
      continue;
    }
    if (byName.has(out)) {
      problems.push({ file, line: 1, col: 1, path: '', message: `${byName.get(out)} has the same name; both would write dist/${out}` });
      continue;
    }
    byName.set(out, file);
    try {
      const { values, locate, sources } = loadChecked(file, { root: valuesDir, cache });
      locators.set(out, locate);
      // A cluster has no place for it: the pod's own filesystem goes with the pod, and the backups with it.
      if (values.repository.local) {
        problems.push(
          problemAt(
            locate,
            ['repository', 'local'],
            "a local repository is for runs outside a cluster (laptop, CI, tests) and would write into the pod's ephemeral filesystem: use repository.pvc or repository.s3 for synth",
          ),
        );
        continue;
      }
      loaded.push({ name, dir, file, values, sources: sources.map(shown) });
    } catch (e) {
      if (!(e instanceof ValuesError)) throw e;
      problems.push(...e.problems);
    }
  }
  // One verify CronJob per repository, however many values files share it.
  const verifiers = verifyOwners(loaded.map((l) => l.values));
  for (const { name, dir, file, values, sources } of loaded) {
    const source = shown(file);
    const objects = synthesizeObjects(values, name, { verify: verifiers.has(values) });
    const custom = objects.filter(isCustomResource);
    sets.push({
      name,
      dir,
      source,
      sources,
      values,
      objects,
      manifest: renderManifest(
        objects.filter((o) => !isCustomResource(o)),
        sources,
      ),
      ...(custom.length ? { customResources: renderManifest(custom, sources, ` (custom resources: apply apart from ${name}${MANIFEST_SUFFIX})`) } : {}),
      ...(values.monitoring.enabled ? { dashboard: setDashboardText(values, backupSetNames(values)) } : {}),
    });
  }

  // Two values files of one directory must never write the same object: the controller would flip it
  // between them. (Directories are applied apart — one per environment or cluster — so only files
  // side by side are compared.)
  const owners = new Map<string, SynthesizedSet>();
  for (const set of sets) {
    for (const obj of set.objects) {
      const meta = obj.metadata as { name: string; namespace?: string };
      const id = `${obj.kind} ${meta.namespace ?? ''}/${meta.name}`;
      const owner = owners.get(`${set.dir}:${id}`);
      if (owner && owner !== set) {
        problems.push(
          problemAt(
            locators.get(outputPath(set))!,
            ['name'],
            `${id} is also written by ${byName.get(outputPath(owner))}; give one of them another name, instance or namespace`,
          ),
        );
      } else owners.set(`${set.dir}:${id}`, set);
    }
  }
  if (problems.length) throw new ValuesError(dedupe(problems));
  return sets;
}

/** A mistake in a defaults file is one problem, however many values files inherit it. */
function dedupe(problems: readonly ValuesProblem[]): ValuesProblem[] {
  const seen = new Set<string>();
  return problems.filter((p) => {
    const key = `${p.file}:${p.line}:${p.col}:${p.path}:${p.message}`;
    return !seen.has(key) && !!seen.add(key);
  });
}

/** A staging directory next to the target, so that renames stay on one filesystem. */
function stagingDir(target: string): string {
  const parent = dirname(resolve(target));
  mkdirSync(parent, { recursive: true });
  return mkdtempSync(join(parent, `.${basename(target)}.synth-`));
}

function sameText(file: string, text: string): boolean {
  try {
    return readFileSync(file, 'utf8') === text;
  } catch {
    return false;
  }
}

function isOurChart(dir: string): boolean {
  return existsSync(join(dir, 'Chart.yaml')) && existsSync(join(dir, 'templates', `${basename(dir)}${MANIFEST_SUFFIX}`));
}

/**
 * Writes every output of every values file. Everything is staged first; then each file (and each
 * chart directory) replaces its old version with one rename, so no reader ever sees half a file.
 * Manifests and charts of values files that no longer exist are removed; nothing else is touched.
 */
export async function synthesizeAll(opts: SynthesizeOptions): Promise<SynthesisResult> {
  const sets = synthesizeSets(opts.valuesDir);
  if (!sets.length) throw new UsageError(`${opts.valuesDir}: no values files (*.yaml) to synthesize`);

  const stages: string[] = [];
  const commits: Array<() => void> = [];
  try {
    // dist/[<dir>/]<name>.k8s.yaml and dist/custom-resources/[<dir>/]<name>.k8s.yaml
    const distStage = stagingDir(opts.outDir);
    stages.push(distStage);
    const wanted = new Map<string, string>();
    for (const set of sets) {
      wanted.set(outputPath(set), set.manifest);
      if (set.customResources) wanted.set(`${CUSTOM_RESOURCES_DIR}/${outputPath(set)}`, set.customResources);
      if (set.dashboard) wanted.set(`${DASHBOARDS_DIR}/${outputPath(set, '.json')}`, set.dashboard);
    }
    for (const [rel, text] of wanted) {
      if (sameText(join(opts.outDir, rel), text)) continue;
      mkdirSync(dirname(join(distStage, rel)), { recursive: true });
      writeFileSync(join(distStage, rel), text);
      commits.push(() => {
        mkdirSync(dirname(join(opts.outDir, rel)), { recursive: true });
        renameSync(join(distStage, rel), join(opts.outDir, rel));
      });
    }
    commits.push(() => removeStaleManifests(opts.outDir, '', new Set(wanted.keys())));
    commits.push(() => removeStaleDashboards(opts.outDir, DASHBOARDS_DIR, new Set(wanted.keys())));

    // charts/[<dir>/]<name>/
    if (opts.chartsDir) {
      const chartsDir = opts.chartsDir;
      const chartStage = stagingDir(chartsDir);
      stages.push(chartStage);
      for (const set of sets) {
        const files = helmChartFiles(set);
        const rel = outputPath(set, '');
        const target = join(chartsDir, rel);
        if ([...files].every(([f, text]) => sameText(join(target, f), text)) && existsSync(target) && treeFiles(target).length === files.size) continue;
        for (const [f, text] of files) {
          mkdirSync(dirname(join(chartStage, rel, f)), { recursive: true });
          writeFileSync(join(chartStage, rel, f), text);
        }
        commits.push(() => {
          const old = join(chartStage, `.old-${rel.replaceAll('/', '--')}`);
          if (existsSync(target)) renameSync(target, old);
          mkdirSync(dirname(target), { recursive: true });
          renameSync(join(chartStage, rel), target);
        });
      }
      const wantedCharts = new Set(sets.map((s) => outputPath(s, '')));
      commits.push(() => removeStaleCharts(chartsDir, '', wantedCharts));
    }

    // values.schema.json
    if (opts.schemaFile) {
      const schemaFile = opts.schemaFile;
      const text = valuesJsonSchemaText();
      if (!sameText(schemaFile, text)) {
        const stage = stagingDir(schemaFile);
        stages.push(stage);
        writeFileSync(join(stage, basename(schemaFile)), text);
        commits.push(() => renameSync(join(stage, basename(schemaFile)), schemaFile));
      }
    }

    mkdirSync(opts.outDir, { recursive: true });
    if (opts.chartsDir) mkdirSync(opts.chartsDir, { recursive: true });
    for (const commit of commits) commit();
  } finally {
    for (const s of stages) rmSync(s, { recursive: true, force: true });
  }
  return { files: sets.map((s) => join(opts.outDir, outputPath(s))) };
}

const GENERATED = '# Generated by safehold from ';

/**
 * Removes manifests of values files that no longer exist: any at the top of dist/ (as before), below
 * it only files that safehold wrote; directories left empty go too.
 */
function removeStaleManifests(root: string, rel: string, wanted: ReadonlySet<string>): void {
  const dir = join(root, rel);
  if (!existsSync(dir)) return;
  for (const e of readdirSync(dir, { withFileTypes: true })) {
    const path = rel ? `${rel}/${e.name}` : e.name;
    if (e.isDirectory() && !e.name.startsWith('.')) removeStaleManifests(root, path, wanted);
    else if (e.isFile() && e.name.endsWith(MANIFEST_SUFFIX) && !wanted.has(path) && (!rel || readFileSync(join(dir, e.name), 'utf8').startsWith(GENERATED))) {
      rmSync(join(dir, e.name), { force: true });
    }
  }
  if (rel && !readdirSync(dir).length) rmSync(dir, { recursive: true, force: true });
}

/** Removes dashboard files (dist/dashboards/[<dir>/]<name>.json) of sets gone or without monitoring; empty directories go too. */
function removeStaleDashboards(root: string, rel: string, wanted: ReadonlySet<string>): void {
  const dir = join(root, rel);
  if (!existsSync(dir)) return;
  for (const e of readdirSync(dir, { withFileTypes: true })) {
    const path = `${rel}/${e.name}`;
    if (e.isDirectory() && !e.name.startsWith('.')) removeStaleDashboards(root, path, wanted);
    else if (e.isFile() && e.name.endsWith('.json') && !wanted.has(path)) rmSync(join(dir, e.name), { force: true });
  }
  if (!readdirSync(dir).length) rmSync(dir, { recursive: true, force: true });
}

/** Removes charts of values files that no longer exist (only directories that are safehold charts); says whether it removed any. */
function removeStaleCharts(root: string, rel: string, wanted: ReadonlySet<string>): boolean {
  const dir = join(root, rel);
  let removed = false;
  for (const d of readdirSync(dir)) {
    const path = rel ? `${rel}/${d}` : d;
    const sub = join(dir, d);
    if (d.startsWith('.') || !statSync(sub).isDirectory() || wanted.has(path)) continue;
    if (isOurChart(sub)) {
      rmSync(sub, { recursive: true, force: true });
      removed = true;
    } else if (removeStaleCharts(root, path, wanted)) {
      removed = true;
      if (!readdirSync(sub).length) rmSync(sub, { recursive: true, force: true });
    }
  }
  return removed;
}

/** Stages dist/<dir>/<name><suffix> for each set that has one; removes the others of that suffix, and the directory once empty. */

function treeFiles(dir: string, prefix = ''): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((e) =>
    e.isDirectory() ? treeFiles(join(dir, e.name), `${prefix}${e.name}/`) : [`${prefix}${e.name}`],
  );
}
