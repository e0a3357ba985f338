// Preflight: every component is connected to and checked before the first dump; a failure names the component and the field.
import { describe, expect, it } from 'vitest';
import { backup } from '../../../src/runner/commands/backup.js';
import { listSets } from '../../../src/runner/commands/snapshots.js';
import { RefusedError } from '../../../src/errors.js';
import { pgExec, servers } from '../../support/env.js';
import { makeApp, pgComponent, seededTable, uniqueName } from '../fixture.js';

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
});
