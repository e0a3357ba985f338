// docs/getting-started.md, step 4, run as written: the values files and the `safehold` command
// lines are taken from the page; only the demo directory, the port and the database name are
// replaced (the test PostgreSQL of global-setup.ts instead of the page's throwaway server).
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { main } from '../../src/cli.js';
import { pgExec, pgQuery, servers, tmpDir } from '../support/env.js';

const PAGE = join(import.meta.dirname, '..', '..', 'docs', 'getting-started.md');
const DEMO = '/tmp/safehold-demo';

interface Step {
  readonly argv: string[];
  readonly exit: number;
}

/** Step 4 of the page: the files it writes under DEMO, and its safehold command lines in order. */
function stepFour(text: string): { files: Record<string, string>; commands: Step[] } {
  const section = text.slice(text.indexOf('## 4.'), text.indexOf('## Next'));
  const files: Record<string, string> = {};
  const commands: Step[] = [];
  for (const [, lang, body] of section.matchAll(/```(\w+)\n([\s\S]*?)```/g)) {
    if (lang === 'yaml') {
      const m = /^# (\/tmp\/safehold-demo\/[^\s:]+)/.exec(body);
      if (m) files[m[1]] = body;
    } else if (lang === 'bash') {
      for (const line of body.split('\n')) {
        if (!line.startsWith('safehold ')) continue;
        const [cmd, comment] = line.split('#');
        commands.push({ argv: cmd.trim().split(/\s+/).slice(1), exit: /exit (\d)/.test(comment ?? '') ? Number(/exit (\d)/.exec(comment!)![1]) : 0 });
      }
    }
  }
  return { files, commands };
}

let out = '';
beforeEach(() => {
  out = '';
  vi.spyOn(process.stdout, 'write').mockImplementation((s) => ((out += String(s)), true));
  vi.spyOn(process.stderr, 'write').mockImplementation(() => true);
});
afterEach(() => vi.restoreAllMocks());

describe('docs/getting-started.md', () => {
  it('step 4 (local backup, plan, restore, restore request) works as written', async () => {
    const { files, commands } = stepFour(readFileSync(PAGE, 'utf8'));
    expect(Object.keys(files).sort()).toEqual([`${DEMO}/shop-local.yaml`, `${DEMO}/shop-restore.yaml`]);
    expect(commands.map((c) => c.argv[0])).toEqual(['backup', 'snapshots', 'restore', 'restore', 'verify', 'restore', 'restore', 'restore']);

    const dir = await tmpDir('getting-started');
    const db = `gs_shop_${process.pid}_${Date.now() % 100000}`;
    const pg = servers().postgres;
    const local = (s: string) =>
      s
        .replaceAll(DEMO, dir)
        .replace('port: 55432', `port: ${pg.port}`)
        .replace(/database: shop\b/, `database: ${db}`)
        .replace(/confirm: shop\b/, `confirm: ${db}`);
    for (const [path, body] of Object.entries(files)) writeFileSync(local(path), local(body));
    for (const [secret, key, value] of [
      ['shop-db', 'username', pg.user],
      ['shop-db', 'password', pg.password],
      ['shop-restic', 'password', 'a-long-random-demo-password'],
    ]) {
      mkdirSync(join(dir, 'secrets', secret), { recursive: true });
      writeFileSync(join(dir, 'secrets', secret, key), value, { mode: 0o600 });
    }
    await pgExec(`CREATE DATABASE ${db}`);
    await pgExec(
      "CREATE TABLE orders (id serial PRIMARY KEY, item text NOT NULL); INSERT INTO orders (item) SELECT 'item ' || g FROM generate_series(1, 1000) g",
      db,
    );
    const count = () => pgQuery('SELECT count(*) FROM orders', db);

    const run = async (s: Step) => {
      out = '';
      const code = await main(s.argv.map(local));
      expect(code, `safehold ${s.argv.join(' ')}`).toBe(s.exit);
      return out;
    };
    const [backup, snapshots, plan, adHoc, verify, requestPlan, request, again] = commands;
    await run(backup);
    expect(await run(snapshots)).toMatch(/^\d{8}-\d{6}-[0-9a-f]{6} {2}\S+Z {2}good {8}db\n$/);
    expect(await run(plan)).toMatch(/drop first: nothing/);
    expect(await count()).toBe('1000');

    await pgExec('DELETE FROM orders WHERE id > 10', db);
    await run(adHoc);
    expect(await count()).toBe('1000');
    await run(verify);

    expect(await run(requestPlan)).toMatch(/restore plan \(request restore-[0-9a-f]{10}\)[\s\S]*drop first: nothing[\s\S]*swap: end sessions of/);
    await pgExec('DELETE FROM orders WHERE id > 10', db);
    await run(request);
    expect(await count()).toBe('1000');
    await run(again); // exit 3: the request already ran
    await pgExec(`DROP DATABASE ${db} WITH (FORCE)`);
  });
});
