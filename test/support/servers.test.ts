// Smoke test: every test server accepts a real query.
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { mysqlQuery, pgQuery, redisCmd, servers, tmpDir } from './env.js';
import { run, startS3, type S3Info } from './servers.js';

async function restic(s3: S3Info, repoPath: string, args: string[], input?: string): Promise<string> {
  const dir = await tmpDir('restic');
  const passwordFile = join(dir, 'password');
  await writeFile(passwordFile, 'smoke-test-password\n');
  return run('restic', ['-r', `s3:${s3.endpoint}/${s3.bucket}/${repoPath}`, '--cacert', s3.caCertFile,
    '--no-cache', ...args], {
    input,
    env: {
      RESTIC_PASSWORD_FILE: passwordFile, AWS_ACCESS_KEY_ID: s3.accessKeyId, AWS_SECRET_ACCESS_KEY: s3.secretAccessKey,
    },
  });
}

async function roundTrip(s3: S3Info, repoPath: string, text: string): Promise<string> {
  await restic(s3, repoPath, ['init']);
  await restic(s3, repoPath, ['backup', '--stdin', '--stdin-filename', 'smoke.txt'], text);
  return restic(s3, repoPath, ['dump', 'latest', 'smoke.txt']);
}

describe('test servers', () => {
  it('PostgreSQL answers SELECT 1', async () => {
    expect(await pgQuery('SELECT 1')).toBe('1');
  });

  it('MariaDB answers SELECT 1 over TCP with the root password', async () => {
    expect(await mysqlQuery('SELECT 1')).toBe('1');
  });

  it('Redis answers PING (with auth) and rejects an error reply', async () => {
    expect(await redisCmd('PING')).toBe('PONG');
    await expect(redisCmd('NO-SUCH-COMMAND')).rejects.toThrow();
  });

  it.concurrent('restic can init, back up and dump through s3rver', async () => {
    const text = `smoke ${Date.now()}\n`;
    expect(await roundTrip(servers().s3, 'smoke', text)).toBe(text);
  });

  it.concurrent('an own s3rver survives kill and start on the same port and data', async () => {
    const s3 = await startS3({ baseDir: servers().tmpBase });
    try {
      await roundTrip(s3, 'restart', 'before\n');
      await s3.kill();
      await s3.start();
      expect(await restic(s3, 'restart', ['dump', 'latest', 'smoke.txt'])).toBe('before\n');
    } finally {
      await s3.stop();
    }
  });

  it('Pushgateway accepts a pushed metric and lists it', async () => {
    const { url } = servers().pushgateway;
    const push = await fetch(`${url}/metrics/job/smoke`, { method: 'PUT', body: 'smoke_metric 42\n' });
    expect(push.status).toBe(200);
    const res = await fetch(`${url}/api/v1/metrics`);
    const body = (await res.json()) as { data: Array<Record<string, { metrics?: Array<{ value: string }> }>> };
    const values = body.data.flatMap((group) => group.smoke_metric?.metrics?.map((m) => m.value) ?? []);
    expect(values).toEqual(['42']);
  });
});
