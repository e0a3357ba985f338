// Issue 13 (part A) through the CLI: synth refuses repository.local (exit 2) while validate accepts it for runs outside a
// cluster; validate names the restricted rule an explicit override breaks, at the line that wrote it.
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';

const cli = (...args: string[]) =>
  spawnSync(process.execPath, ['--import', 'tsx', 'src/cli.ts', ...args], { encoding: 'utf8', env: { ...process.env, NODE_NO_WARNINGS: '1' } });
const HEAD =
  'name: shop\nnamespace: prod\nschedule: "0 2 * * *"\ncomponents:\n  - { name: db, type: postgres, host: pg, database: shop, credentials: { secretName: db } }\n';

describe('repository.local in a cluster', () => {
  it('synth exits 2 and says to use pvc or s3; validate (runs outside a cluster) accepts the file', () => {
    const dir = mkdtempSync(join(tmpdir(), 'local-'));
    mkdirSync(join(dir, 'values'));
    const file = join(dir, 'values', 'shop.yaml');
    writeFileSync(file, `${HEAD}repository:\n  local: { path: /var/backups/repo }\n  password: { secretName: k }\n`);
    const r = cli('synth', '--values', join(dir, 'values'), '--out', join(dir, 'dist'));
    expect(r.status).toBe(2);
    expect(r.stderr).toMatch(/shop\.yaml:7:\d+ repository\.local: a local repository is for runs outside a cluster .*use repository\.pvc or repository\.s3/);
    expect(r.stderr).not.toMatch(/at .*\.ts:\d+/);
    expect(existsSync(join(dir, 'dist', 'shop.k8s.yaml'))).toBe(false);
    expect(cli('validate', file).status).toBe(0);
  });
});

describe('validate and the restricted profile', () => {
  it('warns (exit 0) naming the rule an explicit override breaks, at its line', () => {
    const dir = mkdtempSync(join(tmpdir(), 'restricted-'));
    const file = join(dir, 'shop.yaml');
    const repo = 'repository:\n  pvc: { claimName: backups }\n  password: { secretName: k }\n';
    writeFileSync(file, `${HEAD}${repo}operations:\n  backup:\n    securityContext: { readOnlyRootFilesystem: false, allowPrivilegeEscalation: true }\n`);
    const r = cli('validate', file);
    expect(r.status).toBe(0);
    expect(r.stdout).toMatch(/shop\.yaml: ok \(1 warning\)/);
    expect(r.stderr).toMatch(
      /shop\.yaml:11:\d+ operations\.backup\.securityContext: warning: the backup pods leave the Pod Security restricted profile.*restricted "Privilege Escalation"/,
    );
    writeFileSync(file, `${HEAD}${repo}`);
    const clean = cli('validate', file);
    expect(clean.stderr).toBe('');
    expect(clean.stdout).toMatch(/shop\.yaml: ok\n/);
  });
});
