// values.schema.json, derived from the zod schema (input side: what people write).
import { z } from 'zod';
import { canonicalJson } from '../contract/config.js';
import { values } from './schema.js';

export function valuesJsonSchema(): Record<string, unknown> {
  const schema = z.toJSONSchema(values, { io: 'input', target: 'draft-2020-12', unrepresentable: 'any' }) as Record<string, unknown>;
  return {
    ...schema,
    $id: 'https://safehold.dev/values.schema.json',
    title: 'safehold values file',
    description: 'One backup set: what to back up, where, when, and how to restore it. Credentials are referenced from Secrets, never written here.',
  };
}

export function valuesJsonSchemaText(): string {
  return canonicalJson(valuesJsonSchema());
}
