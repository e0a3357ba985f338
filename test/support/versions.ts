// The one line the suite prints about what ran: each server as it answers, each client set as it reports itself.
import { join } from 'node:path';
import { binaryPath, type Binary } from '../../src/runner/binaries.js';
import type { ServersInfo } from './env.js';
import { bin, run, type MariadbInfo, type PostgresInfo, type RedisInfo } from './servers.js';

const first = (text: string, re: RegExp): string => re.exec(text)?.[1] ?? `? (${text.trim().slice(0, 60)})`;

async function postgresVersion(pg: PostgresInfo): Promise<string> {
  const out = await run(
    join(pg.binDir, 'psql'),
    ['-X', '-A', '-t', '-h', pg.host, '-p', String(pg.port), '-U', pg.user, '-d', 'postgres', '-c', 'SHOW server_version'],
    { env: { PGPASSWORD: pg.password } },
  );
  return out.trim().split(' ')[0] ?? out.trim();
}

async function mariadbVersion(m: MariadbInfo): Promise<string> {
  const out = await run(
    bin('mariadb'),
    ['--no-defaults', '--protocol=TCP', '-h', m.host, '-P', String(m.port), '-u', m.user, '--batch', '--skip-column-names', '-e', 'SELECT VERSION()'],
    { env: { MYSQL_PWD: m.password } },
  );
  return first(out, /^(\d+\.\d+\.\d+)/);
}

async function redisVersion(r: RedisInfo): Promise<string> {
  const out = await run(bin('redis-cli'), ['-h', r.host, '-p', String(r.port), 'INFO', 'server'], { env: { REDISCLI_AUTH: r.password } });
  return first(out, /redis_version:(\S+)/);
}

/** pg_dump, mariadb-dump, redis-cli and restic as found under these names (PATH or launchers). */
async function clientVersions(path: (tool: Binary) => string): Promise<string> {
  const v = async (tool: Binary, args: string[], re: RegExp) => `${tool} ${first(await run(path(tool), args), re)}`;
  return (
    await Promise.all([
      v('pg_dump', ['--version'], /(\d+\.\d+)/),
      v('mariadb-dump', ['--no-defaults', '--version'], /(\d+\.\d+\.\d+)-MariaDB/),
      v('redis-cli', ['--version'], /(\d+\.\d+\.\d+)/),
      v('restic', ['version'], /restic (\d+\.\d+\.\d+)/),
    ])
  ).join(', ');
}

/** "servers: PostgreSQL 15.14, 17.12; … · clients: Debian 12 (…) and the image's (…)" */
export async function versionLine(s: ServersInfo): Promise<string> {
  const [pg, pgNew, my, myNew, rd, rdNew, host, image] = await Promise.all([
    postgresVersion(s.postgres),
    postgresVersion(s.newer.postgres),
    mariadbVersion(s.mariadb),
    mariadbVersion(s.newer.mariadb),
    redisVersion(s.redis),
    redisVersion(s.newer.redis),
    clientVersions((tool) => bin(tool)),
    clientVersions((tool) => binaryPath(tool, s.image.env)),
  ]);
  return `servers: PostgreSQL ${pg}, ${pgNew}; MariaDB ${my}, ${myNew}; Redis ${rd}, ${rdNew} · clients: host (${host}); image (${image})`;
}
