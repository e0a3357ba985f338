// Hooks: command (artifacts, {{artifacts}}, onError, timeout), http (secret headers, expected status), exec (fake API).
import { readFileSync } from 'node:fs';
import http from 'node:http';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { backup } from '../../src/runner/commands/backup.js';
import { restore } from '../../src/runner/commands/restore.js';
import { runHooks } from '../../src/runner/hooks/run.js';
import { hook as hookSchema } from '../../src/values/hooks.js';
import { startFakeKube, type FakeKube } from '../support/fake-kube.js';
import { rbacRulesFor } from '../../src/constructs/rbac-rules.js';
import { tmpDir } from '../support/env.js';
import { makeApp, writeSecrets } from './fixture.js';

const node = process.execPath;
const h = (x: Record<string, unknown>) => hookSchema.parse(x);

let fake: FakeKube;
let server: http.Server;
let url: string;
const received: Array<{ method?: string; url?: string; auth?: string; body: string }> = [];

beforeAll(async () => {
  fake = await startFakeKube({ dir: await tmpDir('kube'), namespaces: ['test'] });
  fake.seed({
    apiVersion: 'v1',
    kind: 'Pod',
    metadata: { name: 'atlas-1', namespace: 'test', labels: { app: 'atlas' } },
    spec: { containers: [{ name: 'sidecar' }, { name: 'atlas' }] },
    status: { phase: 'Running' },
  });
  fake.seed({
    apiVersion: 'v1',
    kind: 'Pod',
    metadata: { name: 'atlas-0', namespace: 'test', labels: { app: 'atlas' } },
    spec: { containers: [{ name: 'sidecar' }, { name: 'atlas' }] },
    status: { phase: 'Pending' },
  });
  server = http.createServer((req, res) => {
    let body = '';
    req.on('data', (c) => (body += c));
    req.on('end', () => {
      received.push({ method: req.method, url: req.url, auth: req.headers.authorization, body });
      res.writeHead(req.url === '/fail' ? 503 : 200);
      res.end(req.url === '/fail' ? 'maintenance' : `{"ok":true,"path":"${req.url}"}`);
    });
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  url = `http://127.0.0.1:${(server.address() as { port: number }).port}`;
});
afterAll(async () => {
  await fake.stop();
  await new Promise((r) => server.close(r));
});

async function env() {
  const app = await makeApp({ values: { components: [{ name: 'noop', type: 'files', paths: ['/nonexistent'] }] } });
  writeSecrets(app.secretsDir, { 'hook-token': { value: 'Bearer s3cr3t' } });
  return { app, ctx: app.ctx(), artifactsDir: join(app.dir, 'artifacts') };
}

describe('command hooks', () => {
  it('captures an artifact from stdout or from the file the command wrote into {{artifacts}}', async () => {
    const { ctx, artifactsDir } = await env();
    const artifacts = await runHooks(
      'preBackup',
      [
        h({ name: 'stdout', type: 'command', command: [node, '-e', 'process.stdout.write("1700000000123")'], artifact: 'backup.timestamp' }),
        h({
          name: 'file',
          type: 'command',
          command: [node, '-e', 'require("fs").writeFileSync(process.argv[1] + "/ff.timestamp", "42")', '{{artifacts}}'],
          artifact: 'ff.timestamp',
        }),
        h({
          name: 'reads',
          type: 'command',
          command: [
            node,
            '-e',
            'process.stdout.write(require("fs").readFileSync(process.env.SAFEHOLD_ARTIFACTS + "/backup.timestamp", "utf8") + "/" + process.env.SAFEHOLD_SET_ID)',
          ],
          artifact: 'echo',
        }),
      ],
      ctx,
      { artifactsDir, setId: 'set-1' },
    );
    expect(artifacts).toEqual({ 'backup.timestamp': '1700000000123', 'ff.timestamp': '42', echo: '1700000000123/set-1' });
  });

  it('onError: continue goes on; onError: fail stops the phase and names the hook', async () => {
    const { ctx, artifactsDir } = await env();
    const fail = [node, '-e', 'process.stderr.write("boom"); process.exit(3)'];
    const out = await runHooks(
      'postBackup',
      [
        h({ name: 'soft', type: 'command', command: fail, onError: 'continue' }),
        h({ name: 'after', type: 'command', command: [node, '-e', 'process.stdout.write("ran")'], artifact: 'after' }),
      ],
      ctx,
      { artifactsDir },
    );
    expect(out).toEqual({ after: 'ran' });
    await expect(runHooks('postBackup', [h({ name: 'hard', type: 'command', command: fail })], ctx, { artifactsDir })).rejects.toThrow(
      /postBackup hook hard failed: .*exited with code 3[\s\S]*boom/,
    );
  });

  it('a hook past its timeout is killed and fails', async () => {
    const { app, ctx, artifactsDir } = await env();
    const pidFile = join(app.dir, 'sleeper.pid');
    const started = Date.now();
    await expect(
      runHooks(
        'preBackup',
        [
          h({
            name: 'sleeper',
            type: 'command',
            timeout: '1s',
            command: [node, '-e', 'require("fs").writeFileSync(process.argv[1], String(process.pid)); setTimeout(() => {}, 60000)', pidFile],
          }),
        ],
        ctx,
        { artifactsDir },
      ),
    ).rejects.toThrow(/sleeper failed: [\s\S]*timed out after 1/);
    expect(Date.now() - started).toBeLessThan(8000);
    const pid = Number(readFileSync(pidFile, 'utf8'));
    expect(() => process.kill(pid, 0)).toThrow();
  });
});

describe('http hooks', () => {
  it('sends headers from Secrets and the body, and checks the status', async () => {
    const { ctx, artifactsDir } = await env();
    const out = await runHooks(
      'preBackup',
      [
        h({
          name: 'freeze',
          type: 'http',
          url: `${url}/freeze/{{setId}}`,
          headers: { Authorization: { secretName: 'hook-token' }, 'X-Static': { value: 'yes' } },
          body: '{"set":"{{setId}}"}',
          artifact: 'freeze.json',
        }),
      ],
      ctx,
      { artifactsDir, setId: 's1' },
    );
    expect(out['freeze.json']).toBe('{"ok":true,"path":"/freeze/s1"}');
    expect(received.at(-1)).toEqual({ method: 'POST', url: '/freeze/s1', auth: 'Bearer s3cr3t', body: '{"set":"s1"}' });
    await expect(runHooks('preBackup', [h({ name: 'down', type: 'http', method: 'GET', url: `${url}/fail` })], ctx, { artifactsDir })).rejects.toThrow(
      /down failed: HTTP GET .*\/fail answered 503, expected 200\/201\/202\/204: maintenance/,
    );
    const accepted = await runHooks(
      'preBackup',
      [h({ name: 'tolerant', type: 'http', method: 'GET', url: `${url}/fail`, expectStatus: [503], artifact: 'x' })],
      ctx,
      { artifactsDir },
    );
    expect(accepted).toEqual({ x: 'maintenance' });
  });
});

describe('exec hooks (through the fake API)', () => {
  it('runs in the first Running pod matching the selector, in the named container; stdout is the artifact', async () => {
    const { ctx, artifactsDir } = await env();
    fake.onExec('atlasdb', (r) => ({ stdout: `${r.pod}/${r.container}:${r.command.slice(1).join(' ')}` }));
    const out = await runHooks(
      'preBackup',
      [
        h({
          name: 'ts',
          type: 'exec',
          selector: 'app=atlas',
          container: 'atlas',
          command: ['atlasdb', 'timestamp', 'fetch', '{{setId}}'],
          artifact: 'backup.timestamp',
        }),
      ],
      ctx,
      { artifactsDir, setId: 's9' },
    );
    expect(out).toEqual({ 'backup.timestamp': 'atlas-1/atlas:timestamp fetch s9' });
  });

  it('a hook naming its pod execs there, with a Role limited to that pod (resourceNames): no listing, no other pod', async () => {
    const { app, artifactsDir } = await env();
    app.update({ hooks: { preBackup: [{ name: 'ts', type: 'exec', pod: 'atlas-1', container: 'atlas', command: ['atlasdb', 'now'], artifact: 'ts' }] } });
    const ctx = app.ctx();
    fake.onExec('atlasdb', (r) => ({ stdout: `${r.pod}/${r.container}` }));
    fake.enforceRbac(rbacRulesFor(ctx.values, 'backup'));
    try {
      expect(await runHooks('preBackup', ctx.values.hooks.preBackup, ctx, { artifactsDir, setId: 's1' })).toEqual({ ts: 'atlas-1/atlas' });
      await expect(runHooks('preBackup', [h({ name: 'other', type: 'exec', pod: 'atlas-0', command: ['atlasdb'] })], ctx, { artifactsDir })).rejects.toThrow(
        /forbidden|403/i,
      );
      await expect(
        runHooks('preBackup', [h({ name: 'any', type: 'exec', selector: 'app=atlas', command: ['atlasdb'] })], ctx, { artifactsDir }),
      ).rejects.toThrow(/forbidden|403/i);
    } finally {
      fake.enforceRbac(undefined);
    }
  });

  it('a non-zero exit fails with the exit code and stderr; no pod fails clearly; a timeout stops waiting', async () => {
    const { ctx, artifactsDir } = await env();
    fake.onExec('false', () => ({ stderr: 'no such table', exitCode: 2 }));
    await expect(runHooks('preRestore', [h({ name: 'bad', type: 'exec', selector: 'app=atlas', command: ['false'] })], ctx, { artifactsDir })).rejects.toThrow(
      /bad failed: exec in test\/atlas-1 \[sidecar\] failed with exit code 2: .*\n\s+stderr: no such table/,
    );
    await expect(runHooks('preRestore', [h({ name: 'nopod', type: 'exec', selector: 'app=none', command: ['x'] })], ctx, { artifactsDir })).rejects.toThrow(
      /no Running pod matches app=none in namespace test/,
    );
    fake.onExec('slow', () => new Promise((r) => setTimeout(() => r({ stdout: 'late' }), 4000)));
    const started = Date.now();
    await expect(
      runHooks('preRestore', [h({ name: 'slow', type: 'exec', selector: 'app=atlas', command: ['slow'], timeout: '1s' })], ctx, { artifactsDir }),
    ).rejects.toThrow(/timed out after 1000 ms/);
    expect(Date.now() - started).toBeLessThan(3000);
    await new Promise((r) => setTimeout(r, 100));
    expect(fake.eventsOf('exec-aborted').map((e) => e.detail)).toContain('slow');
  });

  it('artifacts from exec hooks travel with the set and reach restore hooks as files', async () => {
    const { app } = await env();
    let n = 100;
    fake.onExec('atlasdb', (r) => (r.command[1] === 'fetch' ? { stdout: String(++n) } : { stdout: '' }));
    const seen = join(app.dir, 'seen.txt');
    app.update({
      hooks: {
        preBackup: [{ name: 'backup-ts', type: 'exec', selector: 'app=atlas', command: ['atlasdb', 'fetch'], artifact: 'backup.timestamp' }],
        postBackup: [{ name: 'ff-ts', type: 'exec', selector: 'app=atlas', command: ['atlasdb', 'fetch'], artifact: 'fast-forward.timestamp' }],
        postRestore: [
          {
            name: 'show',
            type: 'command',
            command: [
              node,
              '-e',
              'const fs=require("fs");fs.writeFileSync(process.argv[1], ["backup","fast-forward"].map(n=>fs.readFileSync(process.argv[2]+"/"+n+".timestamp","utf8")).join(","))',
              seen,
              '{{artifacts}}',
            ],
          },
        ],
      },
      components: [{ name: 'state', type: 'files', paths: [app.dir], include: ['values.yaml'] }],
    });
    const report = await backup(app.ctx());
    expect(report.status).toBe('good');
    expect(readFileSync(seen, { encoding: 'utf8', flag: 'a+' })).toBe('');
    await restore(app.ctx());
    expect(readFileSync(seen, 'utf8')).toBe('101,102');
  });
});
