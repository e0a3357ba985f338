// Smoke test: every test server accepts a real query.
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { mysqlQuery, pgQuery, redisCmd, servers, tmpDir } from './env.js';
import { run, startS3, type PostgresInfo, type S3Info } from './servers.js';

async function restic(s3: S3Info, repoPath: string, args: string[], input?: string): Promise<string> {
  const dir = await tmpDir('restic');
  const passwordFile = join(dir, 'password');
  await writeFile(passwordFile, 'smoke-test-password\n');
  return run('restic', ['-r', `s3:${s3.endpoint}/${s3.bucket}/${repoPath}`, '--cacert', s3.caCertFile, '--no-cache', ...args], {
    input,
    env: {
      RESTIC_PASSWORD_FILE: passwordFile,
      AWS_ACCESS_KEY_ID: s3.accessKeyId,
      AWS_SECRET_ACCESS_KEY: s3.secretAccessKey,
    },
  });
}

/** psql as a user would run it: the password in the environment (or none). */
function psqlAs(pg: PostgresInfo, password: string | undefined, sql: string): Promise<string> {
  return run(join(pg.binDir, 'psql'), ['-X', '-A', '-t', '-h', pg.host, '-p', String(pg.port), '-U', pg.user, '-d', 'postgres', '-c', sql], {
    env: { PGPASSWORD: password, PGPASSFILE: '/dev/null' },
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

  for (const which of ['host', 'newer'] as const) {
    it(`PostgreSQL (${which}) authenticates with scram-sha-256: no password or a wrong one is refused`, async () => {
      const pg = which === 'host' ? servers().postgres : servers().newer.postgres;
      const rules = await psqlAs(
        pg,
        pg.password,
        "SELECT DISTINCT auth_method FROM pg_hba_file_rules; SELECT left(rolpassword, 14) FROM pg_authid WHERE rolname = 'postgres'",
      );
      expect(rules.trim().split('\n')).toEqual(['scram-sha-256', 'SCRAM-SHA-256$']);
      await expect(psqlAs(pg, undefined, 'SELECT 1')).rejects.toThrow(/no password supplied|password authentication failed/);
      await expect(psqlAs(pg, 'wrong', 'SELECT 1')).rejects.toThrow(/password authentication failed for user "postgres"/);
    });
  }

  it("the newer majors run from the image's root filesystem and answer", async () => {
    const { newer } = servers();
    expect(await psqlAs(newer.postgres, newer.postgres.password, 'SHOW server_version_num')).toMatch(/^17\d{4}$/m);
    const my = await run(
      'mariadb',
      [
        '--no-defaults',
        '--protocol=TCP',
        '-h',
        newer.mariadb.host,
        '-P',
        String(newer.mariadb.port),
        '-u',
        newer.mariadb.user,
        '--batch',
        '--skip-column-names',
        '-e',
        'SELECT VERSION()',
      ],
      { env: { MYSQL_PWD: newer.mariadb.password } },
    );
    expect(my).toMatch(/^11\.8\./);
    const info = await run('redis-cli', ['-h', newer.redis.host, '-p', String(newer.redis.port), 'INFO', 'server'], {
      env: { REDISCLI_AUTH: newer.redis.password },
    });
    expect(info).toMatch(/redis_version:8\./);
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
