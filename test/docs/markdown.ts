// Small helpers for the docs tests: the Markdown files, their links, headings and code blocks.
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join, relative } from 'node:path';

export const ROOT = join(import.meta.dirname, '..', '..');

function walk(dir: string): string[] {
  return readdirSync(dir)
    .sort()
    .flatMap((f) => (statSync(join(dir, f)).isDirectory() ? walk(join(dir, f)) : [join(dir, f)]));
}

/** docs/**\/*.md, relative to the repository root. */
export function docsPages(): string[] {
  return walk(join(ROOT, 'docs'))
    .filter((f) => f.endsWith('.md'))
    .map((f) => relative(ROOT, f));
}

/** A fenced code block, indented or not (inside list items): indent, fence, language, body. */
const FENCE = /^([ \t]*)(```|~~~)(\w*)[^\n]*\n([\s\S]*?)^[ \t]*\2[ \t]*$/gm;

export const read = (file: string): string => readFileSync(join(ROOT, file), 'utf8');

/** The text outside fenced code blocks and inline code spans (links there are not links). */
export function prose(md: string): string {
  return md.replace(FENCE, '').replace(/``[^`]*``|`[^`\n]*`/g, '``');
}

/** Inline links `[text](target)`, text possibly over several lines; images included. */
export function links(md: string): string[] {
  return [...prose(md).matchAll(/\]\(\s*<?([^)\s>]+)>?(?:\s+"[^"]*")?\s*\)/g)].map((m) => m[1]);
}

/** GitHub's anchor for a heading: lowercase, punctuation dropped, spaces to hyphens; repeats get -1, -2. */
export function anchors(md: string): Set<string> {
  const seen = new Map<string, number>();
  const out = new Set<string>();
  const noCode = md.replace(FENCE, '');
  for (const m of noCode.matchAll(/^#{1,6}\s+(.+?)\s*#*\s*$/gm)) {
    const text = m[1].replace(/`/g, '').replace(/\[([^\]]*)\]\([^)]*\)/g, '$1');
    const base = text
      .trim()
      .toLowerCase()
      .replace(/[^\p{L}\p{N}\p{M}\s_-]/gu, '')
      .replace(/\s/g, '-');
    const n = seen.get(base) ?? 0;
    seen.set(base, n + 1);
    out.add(n ? `${base}-${n}` : base);
  }
  return out;
}

/** Fenced code blocks with their info string. */
export function codeBlocks(md: string): Array<{ lang: string; body: string }> {
  return [...md.matchAll(FENCE)].map((m) => ({ lang: m[3], body: m[4] }));
}
