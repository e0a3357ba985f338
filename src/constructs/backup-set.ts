// BackupSet: a backup set for a user's own cdk8s app, from typed settings checked like a values file.
import type { Construct } from 'constructs';
import { valuesProblems } from '../values/load.js';
import { formatPath } from '../values/paths.js';
import type { Values, ValuesInput } from '../values/schema.js';
import { BackupSetChart, manifestProblems } from './backup-set-chart.js';

/**
 * The settings of one backup set: the fields of a values file, typed (see docs/values-reference.md for
 * every field and its default; the schema fills the defaults, exactly as for a values file).
 */
export type BackupSetSettings = ValuesInput;

export interface BackupSetProps {
  /** What to back up, where to, when, and how to watch it. */
  readonly settings: BackupSetSettings;
  /**
   * Emit the verify CronJob (one per repository: turn it off for all but one set sharing a repository).
   * @default settings.verify.enabled, which defaults to true
   */
  readonly verify?: boolean;
}

/**
 * The settings checked exactly as a values file is (schema, cross-field rules, Kubernetes limits), with the schema's
 * defaults filled in: the `Values` that RunnerConfig and the `propsFromValues` helpers take. Throws one Error naming
 * every field, what was expected and what was given.
 */
export function validateSettings(settings: BackupSetSettings, where = 'settings'): Values {
  const { problems, values } = valuesProblems(settings as Record<string, unknown>, () => ({ file: where, line: 0, col: 0 }));
  const all = [
    ...problems.map((p) => `${p.path ? `${p.path}: ` : ''}${p.message}`),
    ...(values ? manifestProblems(values).map((p) => `${formatPath(p.path)}: ${p.message}`) : []),
  ];
  if (all.length) throw new Error(`${where}: invalid settings\n  ${all.join('\n  ')}`);
  return values!;
}

/**
 * Every object of one backup set (CronJobs, Jobs, RBAC, config, alerts) as a chart in the user's App,
 * the same objects `safehold synth` writes for a values file with the same settings. Invalid settings
 * throw one Error naming every field, what was expected and what was given.
 */
export class BackupSet extends BackupSetChart {
  constructor(scope: Construct, id: string, props: BackupSetProps) {
    super(scope, id, { values: validateSettings(props.settings, `BackupSet ${id}`), verify: props.verify });
  }
}
