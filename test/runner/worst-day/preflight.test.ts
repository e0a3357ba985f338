// Preflight: every component is connected to and checked before the first dump; a failure names the component and the field.
import { describe, expect, it } from 'vitest';
import { backup } from '../../../src/runner/commands/backup.js';
import { listSets } from '../../../src/runner/commands/snapshots.js';
import { RefusedError } from '../../../src/errors.js';
import { mysqlQuery, pgExec, servers } from '../../support/env.js';
import { makeApp, mysqlComponent, pgComponent, seededTable, uniqueName, writeSecrets } from '../fixture.js';

describe('backup preflight', () => {
  it('a Redis that needs a password and got none fails the backup before any component is dumped', async () => {
    const db = await seededTable(50);
    const r = servers().redis;
    expect(r.password).toBeTruthy(); // the test server requires one
    const app = await makeApp({ values: { components: [pgComponent('db', db), { name: 'cache', type: 'redis', host: r.host, port: r.port }] } });
    const err = await backup(app.ctx()).then(
      () => undefined,
      (e: unknown) => e,
    );
    expect(err).toBeInstanceOf(RefusedError);
    expect((err as Error).message).toContain(
      'components[1] (cache): the Redis server requires a password and none was given: set components[1].credentials: { secretName: <Secret>, passwordKey: password }',
    );
    // The PostgreSQL component listed first was not dumped: nothing at all is in the repository.
    expect(await listSets(app.ctx()).catch(() => [])).toEqual([]);
    expect(app.logs.join('')).not.toMatch(/component stored/);
  });

  it('a PostgreSQL login that cannot read a table is refused before the dump, with the GRANT that fixes it', async () => {
    const db = await seededTable(10);
    const login = uniqueName('reader');
    await pgExec(`CREATE ROLE ${login} LOGIN PASSWORD 'reader-pw'; CREATE TABLE secret_stuff (x int); GRANT SELECT ON t TO ${login};`, db);
    const app = await makeApp({ values: { components: [pgComponent('db', db)] } });
    const { writeSecrets } = await import('../fixture.js');
    writeSecrets(app.secretsDir, { pg: { username: login, password: 'reader-pw' } });
    await expect(backup(app.ctx())).rejects.toThrow(
      new RegExp(`components\\[0\\] \\(db\\): login ${login} cannot read public.secret_stuff; grant it, e.g. GRANT pg_read_all_data TO "${login}"`),
    );
  });

  it('a MariaDB login without SHOW VIEW, TRIGGER, EVENT and routine reading is refused before the dump, with the GRANT lines that fix it', async () => {
    const db = uniqueName('shop');
    const login = uniqueName('dumper');
    // mariadb-dump with only SELECT exits 0 without the trigger and the procedure (the login cannot see them).
    await mysqlQuery(`CREATE DATABASE ${db}; CREATE USER '${login}'@'%' IDENTIFIED BY 'dumper-pw'; GRANT SELECT ON ${db}.* TO '${login}'@'%';`);
    await mysqlQuery(
      `CREATE TABLE t (id INT PRIMARY KEY); INSERT INTO t VALUES (1), (2); CREATE VIEW v AS SELECT id FROM t;
      CREATE TRIGGER t_ins BEFORE INSERT ON t FOR EACH ROW SET NEW.id = NEW.id; CREATE PROCEDURE p() SELECT COUNT(*) FROM t;`,
      db,
    );
    const app = await makeApp({ values: { components: [mysqlComponent('db', db)] } });
    writeSecrets(app.secretsDir, { mysql: { username: login, password: 'dumper-pw' } });
    const err = await backup(app.ctx()).then(
      () => undefined,
      (e: unknown) => e,
    );
    expect(err).toBeInstanceOf(RefusedError);
    const msg = (err as Error).message;
    expect(msg).toContain(
      `components[0] (db): login '${login}'@'%' lacks SHOW VIEW, TRIGGER, EVENT, the right to read routines (without it they are left out of the dump) for database ${db}; grant it: `,
    );
    expect(await listSets(app.ctx()).catch(() => [])).toEqual([]);

    // The fix the message names, run as written, is enough: the next backup passes the preflight and is good.
    const fix = msg.slice(msg.indexOf('grant it: ') + 'grant it: '.length).split('\n')[0];
    expect(fix).toBe(`GRANT SHOW VIEW, TRIGGER, EVENT ON \`${db}\`.* TO '${login}'@'%'; GRANT SELECT ON mysql.proc TO '${login}'@'%';`);
    await mysqlQuery(fix);
    expect((await backup(app.ctx())).status).toBe('good');
  });
});
