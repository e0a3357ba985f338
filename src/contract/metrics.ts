// Metric names and grouping labels: the runner pushes them, the PrometheusRule alerts on them.
import type { Values } from '../values/schema.js';

export const PUSH_JOB = 'safehold';

export const METRICS = {
  backupLastSuccess: 'safehold_backup_last_success_timestamp_seconds',
  backupLastAttempt: 'safehold_backup_last_attempt_timestamp_seconds',
  /** 1 when the last run succeeded, 0 when it failed. */
  backupLastStatus: 'safehold_backup_last_status',
  backupDuration: 'safehold_backup_duration_seconds',
  /** Per component: bytes of the last stored stream. */
  backupSize: 'safehold_backup_size_bytes',
  /** Per component: bytes of the previous good set's stream (for the size-drop alert). */
  backupPreviousSize: 'safehold_backup_previous_size_bytes',
  /** 1 when the last set was stored but flagged (not counted by retention). */
  backupSuspicious: 'safehold_backup_suspicious',
  /** 1 when the last backup was refused because a restore of the application was in progress. */
  backupRefused: 'safehold_backup_refused',
  /** 1 when the last prune or maintenance run was refused because a restore of the application was in progress. */
  pruneRefused: 'safehold_prune_refused',
  /** 1 when the last retention (forget, and prune when on) succeeded, 0 when it failed; pushed by backups that ran it. */
  retentionLastStatus: 'safehold_retention_last_status',
  drillLastSuccess: 'safehold_drill_last_success_timestamp_seconds',
  drillLastAttempt: 'safehold_drill_last_attempt_timestamp_seconds',
  drillLastStatus: 'safehold_drill_last_status',
  drillDuration: 'safehold_drill_duration_seconds',
  drillRestoreBytesPerSecond: 'safehold_drill_restore_bytes_per_second',
  /** Seconds the drill took to fetch, verify and apply every component: the measured RTO. */
  drillRestoreDuration: 'safehold_drill_restore_duration_seconds',
  /** Age of the restored set when the drill restored it: the RPO a restore at that moment would have had. */
  drillRestoredSetAge: 'safehold_drill_restored_set_age_seconds',
  /** The scheduled repository check (one per repository, pushed under its owner's grouping key). */
  verifyLastSuccess: 'safehold_verify_last_success_timestamp_seconds',
  verifyLastAttempt: 'safehold_verify_last_attempt_timestamp_seconds',
  /** 1 when restic check (and every manifest) passed, 0 when it found a problem or could not run. */
  verifyLastStatus: 'safehold_verify_last_status',
  verifyDuration: 'safehold_verify_duration_seconds',
  /** Which n of --read-data-subset n/N the last check read back. */
  verifyReadDataSubset: 'safehold_verify_read_data_subset',
  /** Per copy (grouping key `copy`): the copy run's result, its newest good set and how far it trails the source. */
  copyLastSuccess: 'safehold_copy_last_success_timestamp_seconds',
  copyLastAttempt: 'safehold_copy_last_attempt_timestamp_seconds',
  copyLastStatus: 'safehold_copy_last_status',
  /** Time of the newest good set in the copy (what a restore from it would restore). */
  copyNewestSet: 'safehold_copy_newest_set_timestamp_seconds',
  /** Seconds between the source's newest good set and the copy's. */
  copyLag: 'safehold_copy_lag_seconds',
  copySetsCopied: 'safehold_copy_sets_copied',
  restoreLastSuccess: 'safehold_restore_last_success_timestamp_seconds',
  restoreLastStatus: 'safehold_restore_last_status',
} as const;

/** Pushgateway grouping key: keeps apps (and instances) apart so pushes never overwrite each other. */
export type PushOperation = 'backup' | 'drill' | 'restore' | 'verify' | 'copy' | 'maintenance';

/** Copies push one group each (`copy` label), so one copy's push never replaces another's series. */
export function groupingKey(v: Values, operation: PushOperation, copy?: string): Array<[string, string]> {
  return [
    ['namespace', v.namespace],
    ['app', v.name],
    ['instance', v.instance ?? ''],
    ['operation', operation],
    ...(copy === undefined ? [] : [['copy', copy] as [string, string]]),
  ];
}
