// The [path, message] pairs the one loader reports for BASE with top-level overrides (none when the values are valid).
import { stringify } from 'yaml';
import { ValuesError } from '../../src/errors.js';
import { parseValues } from '../../src/values/load.js';
import { BASE } from '../constructs/_fixtures.js';

export function problems(doc: Record<string, unknown>): Array<[string, string]> {
  try {
    parseValues(stringify({ ...BASE, ...doc }), 'v.yaml');
  } catch (e) {
    if (e instanceof ValuesError) return e.problems.map((p) => [p.path, p.message]);
    throw e;
  }
  return [];
}
