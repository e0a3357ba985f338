// Runs hooks (command, http, exec) with timeouts and on-error policy; captures artifacts that travel with a set.
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { SafeholdError } from '../../errors.js';
import { durationSeconds } from '../../values/formats.js';
import type { Hook } from '../../values/hooks.js';
import type { RunContext } from '../context.js';
import { run } from '../process/spawn.js';

/** Hook outputs larger than this are not artifacts but data: back them up as a component. */
export const MAX_ARTIFACT_BYTES = 1024 * 1024;

export interface HookEnv {
  /** Directory with the set's artifacts as files; `{{artifacts}}` in arguments points here. */
  readonly artifactsDir: string;
  readonly setId?: string;
  /** More environment for command hooks (a clone's masking hook: where the side database is). */
  readonly extraEnv?: Readonly<Record<string, string>>;
}

/** Executes a hook inside a pod through the Kubernetes API; provided by the kubernetes module. */
export type ExecHookRunner = (h: Extract<Hook, { type: 'exec' }>, ctx: RunContext, args: string[], timeoutMs: number) => Promise<string>;
let execRunner: ExecHookRunner | undefined;
export function setExecHookRunner(r: ExecHookRunner): void {
  execRunner = r;
}

const substitute = (s: string, env: HookEnv) => s.replaceAll('{{artifacts}}', env.artifactsDir).replaceAll('{{setId}}', env.setId ?? '');

async function runOne(h: Hook, ctx: RunContext, env: HookEnv): Promise<string> {
  const timeoutMs = (durationSeconds(h.timeout) ?? 300) * 1000;
  if (h.type === 'command') {
    const secretEnv = Object.fromEntries(Object.entries(h.env).map(([k, r]) => [k, ctx.secrets.read(r.secretName, r.key)]));
    const [cmd, ...args] = h.command.map((a) => substitute(a, env));
    const res = await run(
      { cmd, args, env: { ...secretEnv, ...env.extraEnv, SAFEHOLD_ARTIFACTS: env.artifactsDir, SAFEHOLD_SET_ID: env.setId ?? '' }, timeoutMs },
      undefined,
      {
        maxStdout: MAX_ARTIFACT_BYTES,
      },
    );
    return res.stdout;
  }
  if (h.type === 'http') {
    const headers = Object.fromEntries(Object.entries(h.headers).map(([k, v]) => [k, 'value' in v ? v.value : ctx.secrets.read(v.secretName, v.key)]));
    const res = await fetch(substitute(h.url, env), {
      method: h.method,
      headers,
      body: h.body === undefined ? undefined : substitute(h.body, env),
      signal: AbortSignal.timeout(timeoutMs),
    });
    if (Number(res.headers.get('content-length') ?? 0) > MAX_ARTIFACT_BYTES)
      throw new SafeholdError(`HTTP ${h.method} ${h.url} announced a body larger than ${MAX_ARTIFACT_BYTES} bytes`);
    const body = Buffer.from(await res.arrayBuffer());
    if (body.length > MAX_ARTIFACT_BYTES) throw new SafeholdError(`HTTP ${h.method} ${h.url} answered ${body.length} bytes, more than ${MAX_ARTIFACT_BYTES}`);
    const text = body.toString('utf8');
    if (!h.expectStatus.includes(res.status))
      throw new SafeholdError(`HTTP ${h.method} ${h.url} answered ${res.status}, expected ${h.expectStatus.join('/')}: ${text.slice(0, 200)}`);
    return text;
  }
  if (!execRunner) throw new SafeholdError('exec hooks need the Kubernetes API, which this runner build does not have');
  return execRunner(
    h,
    ctx,
    h.command.map((a) => substitute(a, env)),
    timeoutMs,
  );
}

/** Runs a phase's hooks in order; returns the artifacts they produced. A failing `onError: fail` hook throws. */
export async function runHooks(phase: string, hooks: readonly Hook[], ctx: RunContext, env: HookEnv): Promise<Record<string, string>> {
  mkdirSync(env.artifactsDir, { recursive: true, mode: 0o700 });
  const artifacts: Record<string, string> = {};
  for (const h of hooks) {
    const started = Date.now();
    try {
      const out = await runOne(h, ctx, env);
      if (h.artifact) {
        const file = join(env.artifactsDir, h.artifact);
        const content = existsSync(file) ? readFileSync(file, 'utf8') : out;
        if (Buffer.byteLength(content) > MAX_ARTIFACT_BYTES) throw new SafeholdError(`artifact ${h.artifact} is larger than ${MAX_ARTIFACT_BYTES} bytes`);
        artifacts[h.artifact] = content;
        writeFileSync(file, content, { mode: 0o600 });
      }
      ctx.log.info('hook done', { phase, hook: h.name, type: h.type, seconds: (Date.now() - started) / 1000, ...(h.artifact ? { artifact: h.artifact } : {}) });
    } catch (e) {
      const msg = (e as Error).message;
      if (h.onError === 'continue') {
        ctx.log.warn('hook failed, continuing (onError: continue)', { phase, hook: h.name, error: msg });
        continue;
      }
      throw new SafeholdError(`${phase} hook ${h.name} failed: ${msg}`);
    }
  }
  return artifacts;
}

/** Writes a set's stored artifacts as files for restore hooks. */
export function materializeArtifacts(dir: string, artifacts: Readonly<Record<string, string>>): void {
  mkdirSync(dir, { recursive: true, mode: 0o700 });
  for (const [name, content] of Object.entries(artifacts)) writeFileSync(join(dir, name), content, { mode: 0o600 });
}
