// The defaults of the constructs' optional props, read from the values schema: a construct used on its own and a
// values file without that field agree, and no default is written twice (src/values/schema.ts is the one source).
import { platform } from '../values/pod-settings.js';
import { drill, protection, resources, restore, values, verify } from '../values/schema.js';

const defaultOf = <T>(schema: { parse(input: unknown): T }): T => schema.parse(undefined);

/** What the values schema fills in when a field is left out; each `@default` of a construct prop points here. */
export const DEFAULTS = Object.freeze({
  /** `image`: this release's runner image. */
  image: defaultOf(values.shape.image),
  /** `timeZone` of every CronJob. */
  timeZone: defaultOf(values.shape.timeZone),
  /** `suspend`. */
  suspend: defaultOf(values.shape.suspend),
  /** `timeout`: the backup's (and the drop's) activeDeadlineSeconds. */
  timeout: defaultOf(values.shape.timeout),
  /** `resources` of the runner container. */
  resources: defaultOf(resources),
  /** `platform`. */
  platform: defaultOf(platform),
  /** `drill.timeout`. */
  drillTimeout: defaultOf(drill.shape.timeout),
  /** `restore.timeout`. */
  restoreTimeout: defaultOf(restore.shape.timeout),
  /** `clone.timeout`. */
  cloneTimeout: defaultOf(values.shape.clone.unwrap().shape.timeout),
  /** `verify.schedule`. */
  verifySchedule: defaultOf(verify).schedule,
  /** `verify.timeout`. */
  verifyTimeout: defaultOf(verify).timeout,
  /** `repository.protection.maintenance.timeout`. */
  maintenanceTimeout: defaultOf(protection.unwrap().shape.maintenance.shape.timeout),
});
