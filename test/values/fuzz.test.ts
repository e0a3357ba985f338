// Fuzzes the loader with generated malformed documents: never a crash or hang, always a clean located error;
// and ajv on values.schema.json never disagrees with zod where the JSON schema can express the rule.
import { Ajv2020 } from 'ajv/dist/2020.js';
import addFormatsModule from 'ajv-formats';
import { parse as parseYaml, stringify } from 'yaml';
import { describe, expect, it } from 'vitest';
import { ValuesError } from '../../src/errors.js';
import { valuesJsonSchema } from '../../src/values/json-schema.js';
import { parseValues } from '../../src/values/load.js';
import { values as schema } from '../../src/values/schema.js';
import { findInlineSecrets } from '../../src/values/secrets.js';

/** Deterministic PRNG (mulberry32) so a failure reproduces from its case number. */
function rng(seed: number) {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

const BASE = {
  name: 'shop',
  namespace: 'prod',
  schedule: '0 2 * * *',
  repository: { s3: { endpoint: 'https://s3.example.com', bucket: 'backups', credentials: { secretName: 's3' } }, password: { secretName: 'k' } },
  components: [
    { name: 'db', type: 'postgres', host: 'pg', database: 'shop', credentials: { secretName: 'db' } },
    { name: 'cache', type: 'redis', host: 'redis' },
    { name: 'crs', type: 'kubernetes', resources: [{ apiVersion: 'v1', kind: 'Secret', names: ['ca'] }] },
  ],
  hooks: { preBackup: [{ name: 'ts', type: 'command', command: ['date'], artifact: 'ts.txt' }] },
  restore: { snapshot: 'latest' },
};

const WEIRD: unknown[] = [
  null,
  0,
  -1,
  1e308,
  70000,
  true,
  '',
  ' ',
  'x'.repeat(5000),
  '日本語🙂',
  '\u0000',
  [],
  {},
  [1, 2],
  { a: 1 },
  '*/0 * * * *',
  'UTC+99',
  '../etc',
];

function paths(x: unknown, prefix: (string | number)[] = []): (string | number)[][] {
  if (Array.isArray(x)) return [prefix, ...x.flatMap((v, i) => paths(v, [...prefix, i]))];
  if (x && typeof x === 'object') return [prefix, ...Object.entries(x).flatMap(([k, v]) => paths(v, [...prefix, k]))];
  return [prefix];
}

function setAt(doc: any, path: (string | number)[], f: (parent: any, key: string | number) => void): void {
  let cur = doc;
  for (const k of path.slice(0, -1)) {
    if (!cur || typeof cur !== 'object') return;
    cur = cur[k];
  }
  if (cur && typeof cur === 'object') f(cur, path[path.length - 1]);
}

/** One malformed document (as text) per case number. */
function makeCase(n: number): string {
  const r = rng(n);
  const pick = <T>(xs: readonly T[]) => xs[Math.floor(r() * xs.length)];
  const doc = structuredClone(BASE) as any;
  const ps = paths(doc).filter((p) => p.length > 0);
  const kind = n % 10;
  if (kind <= 3) {
    for (let i = 0; i < 1 + Math.floor(r() * 3); i++) setAt(doc, pick(ps), (p, k) => (p[k] = pick(WEIRD)));
  } else if (kind === 4) {
    setAt(doc, pick(ps), (p, k) => (Array.isArray(p) ? p.splice(Number(k), 1) : delete p[k]));
  } else if (kind === 5) {
    setAt(doc, pick(ps), (p, k) => {
      if (p && typeof p === 'object' && !Array.isArray(p)) p[pick(['password', 'token', 'secretAccessKey', 'apiKey'])] = 'hunter2';
      else p[k] = 'postgres://u:secret@h/db';
    });
  } else if (kind === 6) {
    setAt(doc, pick(ps), (p) => {
      if (p && typeof p === 'object' && !Array.isArray(p)) p[pick(['extra', 'nmae', 'Type', '💥'])] = 1;
    });
  }
  let text = stringify(doc);
  if (kind === 7) {
    const at = Math.floor(r() * text.length);
    text = text.slice(0, at) + pick(['{', ']', ':', '\t', '"', '&x', '*y', '!!binary', '\n  - ', '%']) + text.slice(at);
  } else if (kind === 8) {
    text = pick([
      `${text}name: again\n`,
      'a: &a [1,1,1,1,1,1,1,1,1,1]\nb: &b [*a,*a,*a,*a,*a,*a,*a,*a,*a,*a]\nc: &c [*b,*b,*b,*b,*b,*b,*b,*b,*b,*b]\nd: [*c,*c,*c,*c,*c,*c,*c,*c,*c,*c]\n',
      `name: ${'x'.repeat(1024 * 1024 + 10)}\n`,
      '- just\n- a list\n',
      '',
      '\ufeff\u0000garbage',
      `${text}---\nsecond: doc\n`,
    ]);
  } else if (kind === 9) {
    text = text.replace(/: /g, pick([':', ':  ', ': !!str ', ': ~ ']));
  }
  return text;
}

/** Every way of writing a credential inline, by the kind the loader must report. */
const INJECTIONS: ReadonlyArray<{ kind: string; argv: (secret: string) => string[] }> = [
  { kind: 'assignment', argv: (s) => [`--password=${s}`] },
  { kind: 'assignment', argv: (s) => [`PGPASSWORD=${s}`] },
  { kind: 'assignment', argv: (s) => [`host=db user=app password=${s}`] },
  { kind: 'password-flag', argv: (s) => ['--password', s] },
  { kind: 'password-flag', argv: (s) => ['--token', s] },
  { kind: 'mysql-short-password', argv: (s) => ['mysqldump', `-p${s}`] },
  { kind: 'url-userinfo', argv: (s) => [`postgres://app:${s}@db:5432/shop`] },
  { kind: 'url-userinfo', argv: (s) => [`redis://:${s}@cache:6379`] },
  { kind: 'url-query', argv: (s) => [`https://api.example.com/v1?access_token=${s}`] },
  { kind: 'authorization', argv: (s) => ['-H', `Authorization: Bearer ${s}9`] },
  { kind: 'authorization', argv: (s) => [`X-Vault-Token: ${s}`] },
  { kind: 'basic-auth-user', argv: (s) => ['-u', `admin:${s}`] },
  { kind: 'cloud-key', argv: () => ['AKIAIOSFODNN7EXAMPLE'] },
  { kind: 'cloud-key', argv: () => ['-----BEGIN PRIVATE KEY-----'] },
];

/**
 * What each kind of case must give: at least `refused` of its 120 cases refused, and every refusal naming the
 * kind's cause (`cause`), so that a regression in one kind fails even while the total stays high.
 */
const KINDS: ReadonlyArray<{ what: string; refused: number; cause?: RegExp }> = [
  { what: 'odd values at random paths', refused: 118 },
  { what: 'odd values at random paths', refused: 118 },
  { what: 'odd values at random paths', refused: 118 },
  { what: 'odd values at random paths', refused: 117 },
  { what: 'a key or list element removed', refused: 85 },
  // Every planted credential is refused, list elements (a hook's command line) included.
  { what: 'a credential planted', refused: 120, cause: /must not be written in a values file|a URL must not carry a password/ },
  // Not all 120 add a field (the parent picked may be a list): those few stay valid.
  { what: 'an unknown or misspelt field', refused: 105, cause: /unknown field/ },
  { what: 'a stray YAML character', refused: 112 },
  {
    what: 'hostile documents (aliases, size, duplicates, not a mapping, several documents)',
    refused: 120,
    cause: /YAML|file is larger|mapping|document|duplicate|unique|is required/i,
  },
  { what: 'changed colon spacing', refused: 58 },
];

const ajv = new Ajv2020({ strict: true, allErrors: true });
addFormatsModule.default(ajv);
const validate = ajv.compile(valuesJsonSchema());

describe('values loader fuzz', () => {
  it('handles 1,200 malformed documents: each a clean ValuesError or a valid result, quickly', () => {
    const started = Date.now();
    let errors = 0;
    const refused = KINDS.map(() => 0);
    const wrongCause: string[] = [];
    for (let n = 0; n < 1200; n++) {
      const text = makeCase(n);
      const t0 = Date.now();
      try {
        parseValues(text, `case-${n}.yaml`);
      } catch (e) {
        if (!(e instanceof ValuesError)) throw new Error(`case ${n}: ${(e as Error).stack}`);
        expect(e.problems.length, `case ${n}`).toBeGreaterThan(0);
        for (const p of e.problems) {
          expect(p.line, `case ${n}`).toBeGreaterThanOrEqual(1);
          expect(p.message.length, `case ${n}`).toBeLessThan(600);
        }
        errors++;
        refused[n % 10]++;
        const cause = KINDS[n % 10].cause;
        if (cause && !e.problems.some((p) => cause.test(p.message))) wrongCause.push(`case ${n} (${KINDS[n % 10].what}): ${e.message.slice(0, 200)}`);
      }
      expect(Date.now() - t0, `case ${n} took too long`).toBeLessThan(1500);
    }
    expect(errors).toBeGreaterThan(1000);
    expect(wrongCause).toEqual([]);
    KINDS.forEach((k, i) => expect(refused[i], `kind ${i}, ${k.what}: refused ${refused[i]} of 120`).toBeGreaterThanOrEqual(k.refused));
    expect(Date.now() - started).toBeLessThan(60_000);
  });

  it('ajv (values.schema.json) and zod agree on every case that is valid YAML', () => {
    let compared = 0;
    for (let n = 0; n < 1200; n++) {
      let raw: unknown;
      try {
        raw = parseYaml(makeCase(n), { maxAliasCount: 100, uniqueKeys: true });
      } catch {
        continue;
      }
      compared++;
      const z = schema.safeParse(raw);
      const a = validate(raw);
      // JSON Schema cannot express zod's refinements (cron, time zones, durations, one-of-three repository):
      // ajv may accept what zod refuses only for those; everything else must agree both ways.
      const onlyRefinements = !z.success && z.error.issues.every((i) => i.code === 'custom');
      if (a) expect(z.success || onlyRefinements, `case ${n}: ajv accepts, zod refuses: ${z.error?.issues.map((i) => i.message).join('; ')}`).toBe(true);
      else expect(z.success, `case ${n}: zod accepts, ajv refuses: ${ajv.errorsText(validate.errors)}`).toBe(false);
    }
    expect(compared).toBeGreaterThan(800);
  });
  it('refuses every injected inline credential, per kind, at the path where it was written', () => {
    const perKind = new Map<string, number>();
    for (let n = 0; n < 600; n++) {
      const r = rng(100_000 + n);
      const pick = <T>(xs: readonly T[]) => xs[Math.floor(r() * xs.length)];
      const inj = INJECTIONS[n % INJECTIONS.length];
      const secret = `s${Math.floor(r() * 1e9).toString(36)}Q`;
      const doc = structuredClone(BASE) as any;
      const hookType = pick(['command', 'exec']);
      const hook =
        hookType === 'command' ? { name: 'h', type: 'command', command: ['tool'] } : { name: 'h', type: 'exec', selector: 'app=x', command: ['tool'] };
      const before = Array.from({ length: Math.floor(r() * 3) }, () => pick(['-v', 'shop', '--host=db', '-P', '3306']));
      const injected = inj.argv(secret);
      hook.command = [...hook.command, ...before, ...injected, ...(r() < 0.5 ? ['--', 'tail'] : [])];
      const phase = pick(['preBackup', 'postBackup', 'preRestore', 'postRestore']);
      doc.hooks = { [phase]: [hook] };
      // The credential is the last injected element (a flag's value, or the element itself).
      const path = `hooks.${phase}[0].command[${1 + before.length + injected.length - 1}]`;
      let problems: readonly { path: string; message: string }[] = [];
      try {
        parseValues(stringify(doc), `inject-${n}.yaml`);
      } catch (e) {
        if (!(e instanceof ValuesError)) throw e;
        problems = e.problems;
      }
      const here = problems.find((p) => p.path === path);
      expect(here, `case ${n} (${inj.kind}: ${injected.join(' ')}): ${JSON.stringify(problems)}`).toBeDefined();
      expect(here!.message, `case ${n}`).not.toContain(secret);
      expect(
        findInlineSecrets(doc).map((f) => f.kind),
        `case ${n}`,
      ).toContain(inj.kind);
      perKind.set(inj.kind, (perKind.get(inj.kind) ?? 0) + 1);
    }
    expect([...perKind.keys()].sort()).toEqual([...new Set(INJECTIONS.map((i) => i.kind))].sort());
  });
});
