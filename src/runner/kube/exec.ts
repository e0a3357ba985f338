// Exec hooks: run a command in a pod picked by label selector, through the API's exec endpoint (WebSocket).
import { Writable } from 'node:stream';
import { Exec, type V1Status } from '@kubernetes/client-node';
import { SafeholdError } from '../../errors.js';
import type { Hook } from '../../values/hooks.js';
import type { RunContext } from '../context.js';
import { MAX_ARTIFACT_BYTES } from '../hooks/run.js';
import { kubeClient, type KubeObject } from './client.js';

type ExecHook = Extract<Hook, { type: 'exec' }>;

interface PodLike extends KubeObject {
  spec?: { containers?: Array<{ name: string }> };
  status?: { phase?: string };
}

/** The pod an exec hook runs in: the first Running, not terminating pod by name. Pure. */
export function pickPod(pods: readonly PodLike[]): PodLike | undefined {
  return pods
    .filter((p) => p.status?.phase === 'Running' && !p.metadata?.deletionTimestamp)
    .sort((a, b) => (a.metadata?.name ?? '').localeCompare(b.metadata?.name ?? ''))[0];
}

/**
 * Collects a stream as bytes, decoded once at the end (a character split across chunks stays whole).
 * `keep: 'head'` fails beyond the limit (an artifact must be small); `keep: 'tail'` keeps the last bytes (stderr).
 */
class Collect extends Writable {
  private chunks: Buffer[] = [];
  private size = 0;
  overflow = false;
  constructor(
    readonly max: number,
    readonly keep: 'head' | 'tail',
  ) {
    super();
  }
  override _write(chunk: Buffer, _enc: BufferEncoding, done: () => void): void {
    if (this.overflow) return done();
    this.chunks.push(chunk);
    this.size += chunk.length;
    while (this.size > this.max && this.chunks.length > 1 && this.keep === 'tail') this.size -= this.chunks.shift()!.length;
    if (this.size > this.max && this.keep === 'head') {
      this.overflow = true;
      this.chunks = [];
      this.size = 0;
    }
    done();
  }
  get text(): string {
    return Buffer.concat(this.chunks).toString('utf8');
  }
}

function exitCodeOf(s: V1Status): string | undefined {
  return s.details?.causes?.find((c) => c.reason === 'ExitCode')?.message;
}

/** Runs the hook's command; resolves its stdout, rejects with the exit code and stderr tail. */
export async function runExecHook(h: ExecHook, ctx: RunContext, args: string[], timeoutMs: number): Promise<string> {
  const client = kubeClient();
  const ns = h.namespace ?? ctx.values.namespace;
  const candidates = h.pod
    ? [await client.get({ apiVersion: 'v1', kind: 'Pod', namespace: ns, name: h.pod })].filter((p) => !!p)
    : await client.list('v1', 'Pod', ns, h.selector);
  const pod = pickPod(candidates as PodLike[]);
  if (!pod) throw new SafeholdError(h.pod ? `pod ${ns}/${h.pod} is not Running` : `no Running pod matches ${h.selector} in namespace ${ns}`);
  const podName = pod.metadata!.name!;
  const container = h.container ?? pod.spec?.containers?.[0]?.name;
  if (!container) throw new SafeholdError(`pod ${ns}/${podName} has no container`);
  const stdout = new Collect(MAX_ARTIFACT_BYTES, 'head');
  const stderr = new Collect(64 * 1024, 'tail');
  ctx.log.info('exec hook', { hook: h.name, pod: `${ns}/${podName}`, container });
  return new Promise<string>((resolve, reject) => {
    let settled = false;
    let socket: { close(): void } | undefined;
    const finish = (err?: Error) => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      socket?.close();
      if (err) reject(err);
      else resolve(stdout.text);
    };
    const timer = setTimeout(
      () => finish(new SafeholdError(`exec in ${ns}/${podName} timed out after ${timeoutMs} ms (the API server does not stop the process in the pod)`)),
      timeoutMs,
    );
    new Exec(client.config)
      .exec(ns, podName, container, args, stdout, stderr, null, false, (status) => {
        const tail = stderr.text.trim().split('\n').slice(-5).join('\n  stderr: ');
        if (stdout.overflow) finish(new SafeholdError(`exec in ${ns}/${podName}: output larger than ${MAX_ARTIFACT_BYTES} bytes`));
        else if (status.status === 'Success') finish();
        else
          finish(
            new SafeholdError(
              `exec in ${ns}/${podName} [${container}] failed${exitCodeOf(status) ? ` with exit code ${exitCodeOf(status)}` : ''}: ${status.message ?? status.reason ?? 'unknown'}${tail ? `\n  stderr: ${tail}` : ''}`,
            ),
          );
      })
      .then((ws) => {
        socket = ws;
        if (settled) ws.close();
        ws.on?.('close', () => setTimeout(() => finish(new SafeholdError(`exec in ${ns}/${podName}: connection closed before an exit status`)), 50));
      })
      .catch((e: Error) => finish(new SafeholdError(`exec in ${ns}/${podName}: ${e.message}`)));
  });
}
