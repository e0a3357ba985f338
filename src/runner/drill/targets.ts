// Where a drill restores each component (pure): a scratch database, a sidecar or scratch server, a dry-run namespace, a scratch directory.
import { isServerComponent } from '../../values/server-rules.js';
import { join } from 'node:path';
import { drillDatabaseName, SIDECAR_HOST, SIDECAR_PORTS } from '../../contract/drill.js';
import { UsageError } from '../../errors.js';
import type { Component } from '../../values/components.js';
import { isDatabase } from '../../values/rules.js';
import type { Values } from '../../values/schema.js';
import type { RestoreTarget } from '../components/types.js';

interface Base {
  readonly component: string;
  readonly type: Component['type'];
}

/** A database server the drill restores into: a scratch database (SQL) or a whole scratch server (Redis). */
export interface ServerTarget extends Base {
  readonly kind: 'server';
  readonly host: string;
  readonly port: number;
  /** The scratch database (SQL engines); absent for Redis, whose whole server is scratch. */
  readonly database?: string;
  readonly sidecar: boolean;
  readonly restore: RestoreTarget;
}

export interface DryRunTarget extends Base {
  readonly kind: 'dry-run';
  readonly namespace: string;
  readonly restore: RestoreTarget;
}

export interface DirectoryTarget extends Base {
  readonly kind: 'directory';
  readonly directory: string;
}

export interface SkippedTarget extends Base {
  readonly kind: 'skipped';
  readonly reason: string;
}

export type DrillTarget = ServerTarget | DryRunTarget | DirectoryTarget | SkippedTarget;

/** What the registered handler of a non-server component can do in a drill (components/types.ts drillMode). */
export type DrillSupport = (c: Component) => 'dry-run' | 'restore-to' | undefined;

/** A sidecar is a fresh image: its superuser, no password, no TLS — unless the values name credentials. */
function sidecarConnection(c: Component, withCredentials: boolean): RestoreTarget['connection'] {
  const noTls = c.type === 'postgres' || c.type === 'cockroachdb' ? { sslMode: 'disable', tls: undefined } : { sslMode: undefined, tls: undefined };
  if (withCredentials) return Object.keys(noTls).length ? noTls : undefined;
  switch (c.type) {
    case 'postgres':
      return { username: 'postgres', password: undefined, ...noTls };
    case 'mysql':
    case 'cockroachdb':
      return { username: 'root', password: undefined, ...noTls };
    default:
      return { username: undefined, password: undefined };
  }
}

/** `host:port`, IPv6 addresses in brackets. */
export const hostPort = (host: string, port: number): string => `${host.includes(':') && !host.startsWith('[') ? `[${host}]` : host}:${port}`;

/** `host:port/database`, for messages. */
export function describeTarget(t: DrillTarget): string {
  switch (t.kind) {
    case 'server':
      return `${t.sidecar ? 'sidecar ' : ''}${hostPort(t.host, t.port)}${t.database ? `/${t.database}` : ''}`;
    case 'dry-run':
      return `server-side dry run into namespace ${t.namespace}`;
    case 'directory':
      return `directory ${t.directory}`;
    case 'skipped':
      return `skipped: ${t.reason}`;
  }
}

/**
 * Resolves every component's scratch target. PostgreSQL/MySQL default to a scratch database
 * `safehold_drill_<component>` on the production server; a sidecar is 127.0.0.1 at the engine's
 * default port; Redis needs a sidecar or another server. Throws a UsageError naming every
 * component that has no possible target; warnings are returned for the log.
 */
export function resolveDrillTargets(v: Values, o: { scratchDir: string; support: DrillSupport }): { targets: DrillTarget[]; warnings: string[] } {
  const wanted = v.drill?.targets ?? {};
  const problems: string[] = [];
  const warnings: string[] = [];
  for (const name of Object.keys(wanted)) {
    if (!v.components.some((c) => c.name === name)) problems.push(`drill.targets.${name}: no component is named "${name}"`);
  }
  const targets: DrillTarget[] = [];
  for (const c of v.components) {
    const t = wanted[c.name] ?? {};
    const base = { component: c.name, type: c.type };
    if (c.type === 'kubernetes' || c.type === 'files') {
      if (Object.keys(t).length) warnings.push(`drill.targets.${c.name}: ignored for a ${c.type} component`);
      const mode = o.support(c);
      if (c.type === 'kubernetes' && mode === 'dry-run') {
        // Into the component's own namespace: it exists, the drill's Role may create there, and a dry run stores nothing.
        const ns = c.namespace ?? v.namespace;
        targets.push({ ...base, kind: 'dry-run', namespace: ns, restore: { dryRunNamespace: ns } });
      } else if (c.type === 'files' && mode === 'restore-to') {
        targets.push({ ...base, kind: 'directory', directory: join(o.scratchDir, `drill-files-${c.name}`) });
      } else {
        targets.push({
          ...base,
          kind: 'skipped',
          reason: `this runner's ${c.type} handler cannot restore into a scratch place (${c.type === 'kubernetes' ? 'server-side dry run' : 'scratch directory'})`,
        });
      }
      continue;
    }
    if (isServerComponent(c)) {
      targets.push({
        ...base,
        kind: 'skipped',
        reason: 'a whole-server component (databases:) is not drilled: docs/whole-servers.md says how to drill one database',
      });
      continue;
    }
    const sqlLike = isDatabase(c);
    const database = sqlLike ? (t.database ?? drillDatabaseName(c.name)) : undefined;
    if (t.sidecar) {
      const port = SIDECAR_PORTS[c.type];
      if (port === undefined) {
        problems.push(`drill.targets.${c.name}: no sidecar server exists for ${c.type} components`);
        continue;
      }
      if (t.host !== undefined || t.port !== undefined)
        warnings.push(`drill.targets.${c.name}: host/port are ignored with a sidecar (it listens on ${SIDECAR_HOST}:${port})`);
      const restore: RestoreTarget = { host: SIDECAR_HOST, port, database, credentials: t.credentials, connection: sidecarConnection(c, !!t.credentials) };
      targets.push({ ...base, kind: 'server', host: SIDECAR_HOST, port, database, sidecar: true, restore });
      continue;
    }
    if (!sqlLike) {
      // Redis: a server is one namespace of keys; only another server is scratch.
      if (t.host === undefined && t.port === undefined) {
        problems.push(
          `drill.targets.${c.name}: a ${c.type} drill needs a sidecar or another server (host/port); restoring into the production server would overwrite it`,
        );
        continue;
      }
      const host = t.host ?? c.host;
      const port = t.port ?? c.port;
      // The scratch server's own password, or none: production's password is not sent elsewhere.
      const restore: RestoreTarget = {
        host,
        port,
        credentials: t.credentials,
        connection: t.credentials ? undefined : { username: undefined, password: undefined },
      };
      targets.push({ ...base, kind: 'server', host, port, sidecar: false, restore });
      continue;
    }
    const host = t.host ?? c.host;
    const port = t.port ?? c.port;
    targets.push({ ...base, kind: 'server', host, port, database, sidecar: false, restore: { host, port, database, credentials: t.credentials } });
  }
  if (problems.length) throw new UsageError(`no scratch target for the drill:\n  ${problems.join('\n  ')}`);
  return { targets, warnings };
}
