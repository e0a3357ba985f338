// `safehold validate --explain FILE`: the merged values of one file, each field with where it was set.
import { statSync } from 'node:fs';
import { UsageError } from '../errors.js';
import { loadLayered } from './layers.js';
import { explainValues } from './provenance.js';

/** The explanation text: a header naming every source, then one line per field (throws ValuesError when invalid). */
export function explainFile(file: string, o: { root?: string } = {}): string {
  try {
    if (!statSync(file).isFile()) throw new Error();
  } catch {
    throw new UsageError(`${file}: no such values file`);
  }
  const { values, layers } = loadLayered(file, o);
  const header = `# ${file}: merged from ${layers.map((l) => l.file).join(' → ')}\n`;
  return header + explainValues(values, layers);
}
