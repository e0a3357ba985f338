// The committed outputs of `npm run synth`, parsed: what GitOps controllers would apply.
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { parseAllDocuments } from 'yaml';
import type { Obj } from '../constructs/_fixtures.js';

export const ROOT = join(import.meta.dirname, '..', '..');
export const DIST = join(ROOT, 'dist');
export const CHARTS = join(ROOT, 'charts');

export function parseManifest(text: string, where: string): Obj[] {
  return parseAllDocuments(text).map((d, i) => {
    if (d.errors.length) throw new Error(`${where} document ${i}: ${d.errors[0].message}`);
    return d.toJS() as Obj;
  });
}

/** The core manifests, dist/<name>.k8s.yaml. */
export function distFiles(): string[] {
  return readdirSync(DIST)
    .filter((f) => f.endsWith('.k8s.yaml'))
    .sort();
}

/** The custom-resource manifests, as paths relative to dist/ (custom-resources/<name>.k8s.yaml). */
export function customResourceFiles(): string[] {
  const dir = join(DIST, 'custom-resources');
  return existsSync(dir)
    ? readdirSync(dir)
        .filter((f) => f.endsWith('.k8s.yaml'))
        .sort()
        .map((f) => `custom-resources/${f}`)
    : [];
}

/** Every object of every dist file, with the file it came from. */
export function distObjects(): Array<{ file: string; obj: Obj }> {
  return [...distFiles(), ...customResourceFiles()].flatMap((file) =>
    parseManifest(readFileSync(join(DIST, file), 'utf8'), file).map((obj) => ({ file, obj })),
  );
}

/** Every file under a directory, relative paths, sorted. */
export function tree(dir: string, prefix = ''): string[] {
  return readdirSync(dir, { withFileTypes: true })
    .flatMap((e) => (e.isDirectory() ? tree(join(dir, e.name), `${prefix}${e.name}/`) : [`${prefix}${e.name}`]))
    .sort();
}

/** What Helm renders from a template that has no templating besides escaped braces (and CRD guards). */
export function helmRender(template: string): string {
  // Custom-resource templates guard each object with .Capabilities.APIVersions.Has: rendered as if every CRD is installed.
  return template
    .replace(/^\{\{- (if \.Capabilities\.APIVersions\.Has "[^"]+"|end) \}\}\n/gm, '')
    .replace(/\{\{ "\{\{" \}\}|\{\{ "\}\}" \}\}/g, (m) => (m.includes('"{{"') ? '{{' : '}}'));
}
