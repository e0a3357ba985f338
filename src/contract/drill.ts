// Where a drill's scratch targets live: the drill CronJob starts sidecars there, the runner connects there.
import type { Component } from '../values/components.js';

/** Sidecar scratch servers listen on the pod's loopback only (drill-sidecars.ts passes the bind flags). */
export const SIDECAR_HOST = '127.0.0.1';

/** Each sidecar image's default port: the construct does not move it, the runner connects to it. */
export const SIDECAR_PORTS: Partial<Record<Component['type'], number>> = {
  postgres: 5432,
  mysql: 3306,
  redis: 6379,
  cockroachdb: 26257,
};

/** Every database a drill creates by default starts so; an existing database without it is never dropped by a drill. */
export const DRILL_DATABASE_PREFIX = 'safehold_drill_';

/** The scratch database a drill creates (and always drops) for a component: safehold_drill_<component>. */
export function drillDatabaseName(component: string): string {
  const name = `${DRILL_DATABASE_PREFIX}${component.toLowerCase().replace(/[^a-z0-9_]/g, '_')}`;
  if (name.length <= 63) return name;
  // PostgreSQL truncates identifiers at 63 bytes: keep names distinct with a short hash.
  let h = 0;
  for (const ch of component) h = (Math.imul(h, 31) + ch.charCodeAt(0)) >>> 0;
  return `${name.slice(0, 54)}_${h.toString(16).padStart(8, '0')}`;
}
