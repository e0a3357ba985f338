// The CLI as users run it: exit codes and messages, no stack traces for user mistakes.
import { spawnSync } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';

const cli = (...args: string[]) =>
  spawnSync(process.execPath, ['--import', 'tsx', 'src/cli.ts', ...args], { encoding: 'utf8', env: { ...process.env, NODE_NO_WARNINGS: '1' } });

describe('safehold CLI', () => {
  it('validate: three mistakes → three located errors, exit 2, no stack trace', () => {
    const dir = mkdtempSync(join(tmpdir(), 'cli-'));
    const file = join(dir, 'bad.yaml');
    writeFileSync(
      file,
      'name: Shop\nnamespace: prod\nschedule: "* * *"\nrepository:\n  local: { path: /r }\n  password: { secretName: k }\ncomponents:\n  - name: db\n    type: postgres\n    host: pg\n    port: 0\n    database: shop\n    credentials: { secretName: db }\n',
    );
    const r = cli('validate', file);
    expect(r.status).toBe(2);
    const lines = r.stderr.trim().split('\n');
    expect(lines.filter((l) => /:\d+:\d+ /.test(l))).toEqual([
      expect.stringMatching(/:1:7 name: must be a DNS-1123 label/),
      expect.stringMatching(/:3:11 schedule: must be a cron schedule: must have 5 fields/),
      expect.stringMatching(/:11:11 components\[0\]\.port: must be 1–65535, got number 0/),
    ]);
    expect(r.stderr).toMatch(/3 problems/);
    expect(r.stderr).not.toMatch(/at .*\.ts:\d+/);
  });

  it('validate: every example values file is valid (exit 0)', () => {
    const r = cli('validate', 'values');
    expect(r.stderr).toBe('');
    expect(r.status).toBe(0);
  });

  it('validate: a valid file with weaker security than it looks passes (exit 0) and prints located warnings', () => {
    const dir = mkdtempSync(join(tmpdir(), 'cli-'));
    const file = join(dir, 'warn.yaml');
    writeFileSync(
      file,
      'name: shop\nnamespace: prod\nschedule: "0 2 * * *"\nrepository:\n  s3: { endpoint: "https://s3.example.com", bucket: backups, credentials: { secretName: s3-append } }\n  password: { secretName: k }\n  protection:\n    maintenance: { schedule: "0 4 * * 0", credentials: { secretName: s3-maint } }\ncomponents:\n  - name: db\n    type: postgres\n    host: pg\n    database: shop\n    credentials: { secretName: db }\n',
    );
    const r = cli('validate', file);
    expect(r.status).toBe(0);
    expect(r.stdout).toMatch(/warn\.yaml: ok \(1 warning\)/);
    expect(r.stderr).toMatch(/warn\.yaml:8:\d+ repository\.protection: warning: no objectLock declared.*at least 14 days/);
  });

  it('unknown command and bad flags are usage errors (exit 2)', () => {
    expect(cli('frobnicate').status).toBe(2);
    const r = cli('backup', '--nope');
    expect(r.status).toBe(2);
    expect(r.stderr).toMatch(/Unknown option '--nope'/);
  });

  it('--version prints the release', () => {
    expect(cli('--version').stdout).toMatch(/^safehold \d+\.\d+\.\d+/);
  });
});
