// Values fixtures for construct tests: built through the real loader (schema + rules), synthesized in memory.
import { readdirSync } from 'node:fs';
import { join } from 'node:path';
import { stringify } from 'yaml';
import { synthesizeObjects } from '../../src/app.js';
import { loadValuesFile, parseValues } from '../../src/values/load.js';
import type { Values } from '../../src/values/schema.js';

// Plain JSON-ish trees: tests index into manifests freely.
export type Obj = Record<string, any>;

export const BASE: Obj = {
  name: 'shop',
  namespace: 'team',
  schedule: '0 1 * * *',
  repository: {
    s3: { endpoint: 'https://s3.example.com', bucket: 'backups', prefix: 'team/shop', credentials: { secretName: 'backup-s3' } },
    password: { secretName: 'shop-restic' },
  },
  components: [{ name: 'db', type: 'postgres', host: 'pg.team.svc', database: 'shop', credentials: { secretName: 'shop-db' } }],
};

/** Values as a user would write them (BASE with top-level overrides), through the one loader. */
export function makeValues(overrides: Obj = {}): Values {
  const doc = { ...BASE, ...overrides };
  for (const [k, v] of Object.entries(doc)) if (v === undefined) delete doc[k];
  return parseValues(stringify(doc), 'fixture.yaml');
}

export function synth(v: Values): Obj[] {
  return synthesizeObjects(v);
}

export function objectsOf(objects: Obj[], kind: string): Obj[] {
  return objects.filter((o) => o.kind === kind);
}

export function one(objects: Obj[], kind: string, name?: string): Obj {
  const found = objects.filter((o) => o.kind === kind && (name === undefined || o.metadata.name === name));
  if (found.length !== 1) throw new Error(`expected one ${kind}${name ? ` ${name}` : ''}, found ${found.length}`);
  return found[0];
}

/** Every pod template in a list of objects, with where it was found. */
export function podTemplates(objects: Obj[]): Array<{ where: string; template: Obj }> {
  const out: Array<{ where: string; template: Obj }> = [];
  for (const o of objects) {
    const where = `${o.kind} ${o.metadata?.namespace}/${o.metadata?.name}`;
    if (o.kind === 'CronJob') out.push({ where, template: o.spec.jobTemplate.spec.template });
    else if (o.kind === 'Job' || o.kind === 'Deployment' || o.kind === 'StatefulSet' || o.kind === 'DaemonSet') out.push({ where, template: o.spec.template });
    else if (o.kind === 'Pod') out.push({ where, template: o });
  }
  return out;
}

export const VALUES_DIR = join(import.meta.dirname, '..', '..', 'values');

export function exampleValues(): Array<{ file: string; values: Values }> {
  return readdirSync(VALUES_DIR)
    .filter((f) => f.endsWith('.yaml'))
    .sort()
    .map((f) => ({ file: f, values: loadValuesFile(join(VALUES_DIR, f)) }));
}
