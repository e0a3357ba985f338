// Steps before and after backup and restore; their outputs can travel with the backup set.
import { z } from 'zod';
import { dnsLabel, dnsSubdomain, duration, labelSelector } from './formats.js';
import { secretKeyRef } from './secrets.js';

const artifactName = z.string().regex(/^[A-Za-z0-9][A-Za-z0-9._-]{0,62}$/, 'must be a file name such as backup.timestamp');

const common = {
  name: dnsLabel,
  timeout: duration.default('5m'),
  onError: z.enum(['fail', 'continue']).default('fail'),
  /** Store this hook's output as a named artifact of the backup set (the file {{artifacts}}/<name> if written, else stdout). */
  artifact: artifactName.optional(),
};

const argv = z.array(z.string().max(4096)).min(1, 'must give the program and its arguments');

export const commandHook = z.strictObject({
  ...common,
  type: z.literal('command'),
  command: argv,
  /** Environment variables read from Secrets. */
  env: z.record(z.string().regex(/^[A-Z_][A-Z0-9_]*$/, 'must be an environment variable name'), secretKeyRef('value')).default({}),
});

const headerValue = z.union([z.strictObject({ value: z.string() }), secretKeyRef('value')]);

export const httpHook = z.strictObject({
  ...common,
  type: z.literal('http'),
  method: z.enum(['GET', 'POST', 'PUT', 'PATCH', 'DELETE']).default('POST'),
  url: z.string().regex(/^https?:\/\/[^\s]+$/, 'must be an http(s) URL'),
  headers: z.record(z.string().regex(/^[A-Za-z0-9-]+$/), headerValue).default({}),
  body: z.string().optional(),
  expectStatus: z.array(z.number().int().min(100).max(599)).default([200, 201, 202, 204]),
});

export const execHook = z.strictObject({
  ...common,
  type: z.literal('exec'),
  /** The pods to pick from (the first Running one by name); or name one pod with `pod`. */
  selector: labelSelector.optional(),
  /** One pod by name (a StatefulSet's `db-0`): the Role then allows exec into that pod only. */
  pod: dnsSubdomain.optional(),
  container: dnsLabel.optional(),
  namespace: dnsLabel.optional(),
  command: argv,
});

export const hook = z.discriminatedUnion('type', [commandHook, httpHook, execHook]);
export const HOOK_TYPES = hook.options.map((o) => o.shape.type.value);
export type Hook = z.output<typeof hook>;

export const hooks = z
  .strictObject({
    preBackup: z.array(hook).default([]),
    postBackup: z.array(hook).default([]),
    preRestore: z.array(hook).default([]),
    postRestore: z.array(hook).default([]),
  })
  .default({ preBackup: [], postBackup: [], preRestore: [], postRestore: [] });
export type Hooks = z.output<typeof hooks>;
export type HookPhase = keyof Hooks;
