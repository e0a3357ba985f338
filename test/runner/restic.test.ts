// The restic adapter's pure parts: argument lists, exit-code meanings, version-dependent flags.
import { describe, expect, it } from 'vitest';
import { backupStdinArgs, forgetPolicyDryRunArgs, snapshotsArgs } from '../../src/runner/restic/args.js';
import { resticMeaning, resticVersionProblem, retryLockArgs, summaryOf } from '../../src/runner/restic/client.js';

describe('restic arguments', () => {
  it('pins the host and tags every stdin backup; refuses a file name with a slash', () => {
    expect(backupStdinArgs({ host: 'prod.shop', tags: ['safehold', 'app=prod.shop'], filename: 'db.pgdump' })).toEqual([
      'backup',
      '--json',
      '--stdin',
      '--stdin-filename',
      'db.pgdump',
      '--host',
      'prod.shop',
      '--tag',
      'safehold',
      '--tag',
      'app=prod.shop',
    ]);
    expect(() => backupStdinArgs({ host: 'h', tags: [], filename: 'a/b' })).toThrow(/flat/);
  });

  it('filters snapshots by host and all tags at once (one comma list = AND)', () => {
    expect(snapshotsArgs({ host: 'prod.shop', tags: ['safehold', 'app=prod.shop'] })).toEqual([
      'snapshots',
      '--json',
      '--host',
      'prod.shop',
      '--tag',
      'safehold,app=prod.shop',
    ]);
  });

  it('asks restic for a retention verdict over good manifests only, without a lock, keeping only set policies', () => {
    const args = forgetPolicyDryRunArgs({ keepLast: 7, keepDaily: 0, keepWeekly: 4, prune: true }, { host: 'h', tags: ['manifest', 'status=good'] });
    expect(args).toEqual([
      'forget',
      '--json',
      '--dry-run',
      '--no-lock',
      '--group-by',
      'host,paths',
      '--host',
      'h',
      '--tag',
      'manifest,status=good',
      '--keep-last',
      '7',
      '--keep-weekly',
      '4',
    ]);
  });
});

describe('restic versions and exit codes', () => {
  it('refuses a restic older than 0.14.0, or one whose version cannot be read', () => {
    expect(resticVersionProblem('restic 0.14.0 compiled with go1.19.8 on linux/amd64')).toBeUndefined();
    expect(resticVersionProblem('restic 0.18.0 compiled with go1.24 on linux/amd64')).toBeUndefined();
    expect(resticVersionProblem('restic 1.0.0 compiled with go1.25 on linux/amd64')).toBeUndefined();
    expect(resticVersionProblem('restic 0.13.1 compiled with go1.18 on linux/amd64')).toMatch(/^restic 0\.13\.1 is older than 0\.14\.0/);
    expect(resticVersionProblem('restic 0.9.6 compiled with go1.13 on linux/amd64')).toMatch(/^restic 0\.9\.6 is older than 0\.14\.0/);
    expect(resticVersionProblem('command not found')).toMatch(/cannot read the restic version from "command not found"/);
  });

  it('adds --retry-lock from restic 0.16 on', () => {
    expect(retryLockArgs('restic 0.14.0 compiled with go1.19.8 on linux/amd64')).toEqual([]);
    expect(retryLockArgs('restic 0.16.4 compiled with go1.21 on linux/amd64')).toEqual(['--retry-lock', '10m']);
    expect(retryLockArgs('restic 0.18.0 compiled with go1.24 on linux/amd64')).toEqual(['--retry-lock', '10m']);
    expect(retryLockArgs('garbage')).toEqual([]);
  });

  it('explains exit codes: 3 (partial) is a failure, wrong password and locks by their message', () => {
    expect(resticMeaning(3, '')).toMatch(/partial.*failed backup/);
    expect(resticMeaning(1, 'Fatal: wrong password or no key found')).toBe('wrong repository password');
    expect(resticMeaning(1, 'unable to create lock in backend: repository is already locked by PID 12')).toMatch(/locked/);
    expect(resticMeaning(12, '')).toBe('wrong repository password');
  });

  it('reads the summary line of backup --json', () => {
    const out = '{"message_type":"status","percent_done":0.5}\n{"message_type":"summary","snapshot_id":"abc123","total_bytes_processed":42}\n';
    expect(summaryOf(out)).toMatchObject({ snapshot_id: 'abc123', total_bytes_processed: 42 });
    expect(() => summaryOf('{"message_type":"status"}')).toThrow(/no summary/);
  });
});
