// Version parsing and the per-engine verdicts: PostgreSQL refuses an old client, MySQL/MariaDB and Redis warn, CockroachDB needs 22.2.
import { describe, expect, it } from 'vitest';
import { cockroachVerdict } from '../../src/runner/engines/cockroachdb.js';
import { redisVerdict } from '../../src/runner/engines/redis.js';
import { mysqlVerdict } from '../../src/runner/engines/mysql.js';
import { clientTooOld, lenientVerdict, parseVersion, strictVerdict } from '../../src/runner/engines/version.js';

const v = (text: string) => {
  const p = parseVersion(text);
  if (!p) throw new Error(`unparsable: ${text}`);
  return p;
};

describe('parseVersion', () => {
  it.each([
    ['pg_dump (PostgreSQL) 15.18 (Debian 15.18-0+deb12u1)', 15, 18, '15.18'],
    ['pg_dump (PostgreSQL) 17.2', 17, 2, '17.2'],
    ['160002', 16, 2, '16.2'],
    [' 150018\n', 15, 18, '15.18'],
    ['90624', 9, 6, '9.6.24'],
    // MariaDB 11: "from <release>, client <protocol>"
    ['mariadb-dump from 11.8.2-MariaDB, client 10.19 for debian-linux-gnu (x86_64)', 11, 8, '11.8.2'],
    // MariaDB 10 / MySQL 5.7: "Ver <protocol> Distrib <release>": the release counts, not 10.19
    ['mariadb-dump  Ver 10.19 Distrib 10.11.19-MariaDB, for debian-linux-gnu (x86_64)', 10, 11, '10.11.19'],
    ['mysqldump  Ver 10.13 Distrib 5.7.42, for Linux (x86_64)', 5, 7, '5.7.42'],
    ['mysqldump  Ver 8.0.36 for Linux on x86_64 (MySQL Community Server - GPL)', 8, 0, '8.0.36'],
    ['10.11.19-MariaDB-0+deb12u1', 10, 11, '10.11.19'],
    ['8.4.3', 8, 4, '8.4.3'],
    ['Redis server v=7.0.15 sha=00000000:0 malloc=jemalloc-5.3.0 bits=64 build=ae4d7c971a948f0', 7, 0, '7.0.15'],
    ['# Server\r\nredis_version:7.2.4\r\nredis_git_sha1:00000000\r\nredis_build_id:1a2b3c4d5e6f7a8b\r\n', 7, 2, '7.2.4'],
    ['redis-cli 8.0.2', 8, 0, '8.0.2'],
    ['CockroachDB CCL v23.1.11 (x86_64-pc-linux-gnu, built 2023/09/27 01:53:43, go1.19.10)', 23, 1, '23.1.11'],
  ])('%j → %i.%i', (text, major, minor, shown) => {
    expect(parseVersion(text)).toEqual({ major, minor, text: shown });
  });

  it('returns undefined when there is no version', () => {
    expect(parseVersion('')).toBeUndefined();
    expect(parseVersion('command not found')).toBeUndefined();
  });
});

describe('clientTooOld (PostgreSQL rule)', () => {
  it('refuses a client major below the server major, naming both', () => {
    expect(clientTooOld('pg_dump', v('pg_dump (PostgreSQL) 15.18 (Debian 15.18-0+deb12u1)'), v('160002'))).toBe(
      'pg_dump 15.18 is older than the server 16.2; use a runner image whose pg_dump is at least 16',
    );
  });
  it('accepts the same or a newer major; minor releases do not matter from 10 on', () => {
    expect(clientTooOld('pg_dump', v('pg_dump (PostgreSQL) 15.18'), v('150018'))).toBeUndefined();
    expect(clientTooOld('pg_dump', v('pg_dump (PostgreSQL) 15.2'), v('150018'))).toBeUndefined();
    expect(clientTooOld('pg_dump', v('pg_dump (PostgreSQL) 17.2'), v('90624'))).toBeUndefined();
  });
  it('before 10, major.minor is the major version', () => {
    expect(clientTooOld('pg_dump', v('pg_dump (PostgreSQL) 9.5.3'), v('90624'))).toMatch(/older than the server/);
    expect(clientTooOld('pg_dump', v('pg_dump (PostgreSQL) 9.6.24'), v('90624'))).toBeUndefined();
  });
});

describe('verdicts', () => {
  it('strict (PostgreSQL) refuses, and records the parsed versions', () => {
    expect(strictVerdict('pg_dump')('pg_dump (PostgreSQL) 15.18 (Debian 15.18-0+deb12u1)', '160002\n')).toEqual({
      client: '15.18',
      server: '16.2',
      refuse: 'pg_dump 15.18 is older than the server 16.2; use a runner image whose pg_dump is at least 16',
    });
    expect(strictVerdict('pg_dump')('pg_dump (PostgreSQL) 17.2', '160002')).toEqual({ client: '17.2', server: '16.2' });
  });

  it('strict records raw output it cannot parse and refuses nothing', () => {
    expect(strictVerdict('pg_dump')('weird', ' also weird \n')).toEqual({ client: 'weird', server: 'also weird' });
  });

  it('MariaDB older than 10.6 and MySQL older than 8.0 are refused (docs/restore.md "Servers"); the supported ones pass', () => {
    const client = 'mariadb-dump  Ver 10.19 Distrib 10.11.19-MariaDB, for debian-linux-gnu (x86_64)';
    expect(mysqlVerdict(client, '10.5.23-MariaDB-0+deb11u1').refuse).toBe(
      "the MariaDB server is 10.5.23; safehold supports MariaDB 10.6 and newer. Upgrade the server, or back this database up with the server's own mariadb-dump until it is upgraded",
    );
    expect(mysqlVerdict(client, '5.7.44-log').refuse).toMatch(
      /^the MySQL server is 5\.7\.44; safehold supports MySQL 8\.0 and newer\. Upgrade the server, .*mysqldump/,
    );
    for (const server of ['10.6.18-MariaDB', '10.11.19-MariaDB-0+deb12u1', '11.8.9-MariaDB-deb13', '8.0.36', '8.4.3'])
      expect(mysqlVerdict(client, server).refuse).toBeUndefined();
  });

  it('lenient (MySQL/MariaDB) never refuses; an older client is a warning', () => {
    const judge = lenientVerdict('mariadb-dump');
    expect(judge('mariadb-dump  Ver 10.19 Distrib 10.11.19-MariaDB, for debian-linux-gnu (x86_64)', '10.11.19-MariaDB-0+deb12u1')).toEqual({
      client: '10.11.19',
      server: '10.11.19',
    });
    // MariaDB's client against MySQL 8: works, nothing to say.
    expect(judge('mariadb-dump from 11.8.2-MariaDB, client 10.19 for debian-linux-gnu (x86_64)', '8.0.36')).toEqual({ client: '11.8.2', server: '8.0.36' });
    const old = judge('mariadb-dump  Ver 10.19 Distrib 10.11.19-MariaDB', '11.4.2-MariaDB');
    expect(old.refuse).toBeUndefined();
    expect(old.warn).toMatch(/mariadb-dump 10\.11\.19 is older than the server 11\.4\.2/);
    // For MySQL/MariaDB the minor release is part of the version: 10.3 is older than 10.11.
    expect(judge('mariadb-dump  Ver 10.19 Distrib 10.3.39-MariaDB', '10.11.19-MariaDB').warn).toMatch(
      /10\.3\.39 is older than the server 10\.11\.19.*at least 10\.11/,
    );
  });

  it('redis: a runner redis-server older than the server (RDB format) is a warning, not a refusal', () => {
    expect(redisVerdict('Redis server v=7.0.15 sha=00000000:0', '# Server\r\nredis_version:7.0.15\r\n')).toEqual({ client: '7.0.15', server: '7.0.15' });
    expect(redisVerdict('Redis server v=8.0.2 sha=00000000:0', 'redis_version:7.2.4')).toEqual({ client: '8.0.2', server: '7.2.4' });
    const old = redisVerdict('Redis server v=7.0.15', 'redis_version:7.2.4');
    expect(old.refuse).toBeUndefined();
    expect(old.warn).toMatch(/redis-server 7\.0\.15 is older than the server 7\.2\.4.*at least 7\.2/);
  });

  it('cockroachdb: needs CockroachDB 22.2 or later, and refuses a server that is not CockroachDB', () => {
    expect(cockroachVerdict('psql (PostgreSQL) 17.2', 'CockroachDB CCL v23.1.11 (x86_64-pc-linux-gnu, built 2023/09/27, go1.19.10)')).toEqual({
      client: '17.2',
      server: '23.1.11',
    });
    expect(cockroachVerdict('psql (PostgreSQL) 17.2', 'CockroachDB CCL v22.1.9 (x86_64)').refuse).toMatch(/22\.1\.9 has no COPY … TO STDOUT.*22\.2/);
    expect(cockroachVerdict('psql (PostgreSQL) 17.2', 'CockroachDB OSS v21.2.0').refuse).toMatch(/upgrade to 22\.2/);
    expect(cockroachVerdict('psql (PostgreSQL) 15.18', 'PostgreSQL 15.18 (Debian 15.18-0+deb12u1) on x86_64-pc-linux-gnu').refuse).toMatch(
      /not CockroachDB.*type postgres/,
    );
  });
});
