// Pure builders of restic argument lists (k8up's restic/cli/flags.go does the same).
import type { Retention } from '../../values/schema.js';

export interface SnapshotFilter {
  readonly host: string;
  /** All of these tags must be present (restic: one --tag with a comma list = AND). */
  readonly tags: readonly string[];
}

export const filterArgs = (f: SnapshotFilter): string[] => ['--host', f.host, ...(f.tags.length ? ['--tag', f.tags.join(',')] : [])];

export function backupStdinArgs(o: { host: string; tags: readonly string[]; filename: string }): string[] {
  if (o.filename.includes('/')) throw new Error(`stdin file name must be flat, got ${o.filename}`);
  return ['backup', '--json', '--stdin', '--stdin-filename', o.filename, '--host', o.host, ...o.tags.flatMap((t) => ['--tag', t])];
}

export function backupPathsArgs(o: {
  host: string;
  tags: readonly string[];
  paths: readonly string[];
  excludes: readonly string[];
  filesFrom?: string;
}): string[] {
  return [
    'backup',
    '--json',
    '--host',
    o.host,
    ...o.tags.flatMap((t) => ['--tag', t]),
    ...o.excludes.flatMap((e) => ['--exclude', e]),
    ...(o.filesFrom ? ['--files-from-verbatim', o.filesFrom] : []),
    '--',
    ...o.paths,
  ];
}

export const snapshotsArgs = (f: SnapshotFilter): string[] => ['snapshots', '--json', ...filterArgs(f)];
export const dumpArgs = (snapshotId: string, filename: string): string[] => ['dump', snapshotId, `/${filename}`];
export const restoreArgs = (snapshotId: string, target: string, includes: readonly string[] = []): string[] => [
  'restore',
  snapshotId,
  '--target',
  target,
  ...includes.flatMap((i) => ['--include', i]),
];
export const forgetIdsArgs = (ids: readonly string[]): string[] => ['forget', '--json', '--', ...ids];

export function forgetPolicyDryRunArgs(r: Retention, f: SnapshotFilter): string[] {
  const flags: Array<[Exclude<keyof Retention, 'prune'>, string]> = [
    ['keepLast', '--keep-last'],
    ['keepHourly', '--keep-hourly'],
    ['keepDaily', '--keep-daily'],
    ['keepWeekly', '--keep-weekly'],
    ['keepMonthly', '--keep-monthly'],
    ['keepYearly', '--keep-yearly'],
  ];
  const keep = flags.filter(([k]) => (r[k] ?? 0) > 0).flatMap(([k, flag]) => [flag, String(r[k])]);
  // --no-lock: a dry run only reads (restic ≥ 0.14 then takes no lock), so it neither blocks other backups in a
  // shared repository with an exclusive lock nor waits for them, and it can run beside a snapshot listing.
  return ['forget', '--json', '--dry-run', '--no-lock', '--group-by', 'host,paths', ...filterArgs(f), ...keep];
}

export const checkArgs = (readDataSubset?: string): string[] => ['check', ...(readDataSubset ? ['--read-data-subset', readDataSubset] : [])];
export const unlockArgs = (): string[] => ['unlock'];
export const listLocksArgs = (): string[] => ['list', 'locks', '--no-lock'];
export const catLockArgs = (id: string): string[] => ['cat', 'lock', id, '--no-lock'];
export const initArgs = (): string[] => ['init'];
export const pruneArgs = (): string[] => ['prune'];
