// The drill's scratch servers: how each database image runs as a throwaway, loopback-only sidecar of the drill pod.
import type { k8s } from 'cdk8s-plus-27';
import type { Component } from '../values/components.js';
import type { RuleIssue } from '../values/rules.js';
import type { Values } from '../values/schema.js';
import { byCodeUnit, dnsLabelFrom } from './names.js';
import { containerSecurityContextFor, extraEnvFor, podSettingsFor } from './pod-settings.js';
import { containerResources } from './runner-pod.js';

/** Loopback only: the scratch server holds a copy of production data and trusts local clients. */
const LOOPBACK = '127.0.0.1';

interface SidecarRecipe {
  /** Directories the server writes (the root filesystem is read-only): an emptyDir each. */
  readonly writable: readonly string[];
  readonly env: readonly k8s.EnvVar[];
  readonly args: readonly string[];
}

/** How each database image runs as a throwaway, loopback-only, unprivileged server. */
const SIDECARS: Partial<Record<Component['type'], SidecarRecipe>> = {
  // docker-library postgres: arguments starting with "-" go to the server; any UID works.
  postgres: {
    writable: ['/var/lib/postgresql', '/var/run/postgresql', '/tmp'],
    env: [{ name: 'POSTGRES_HOST_AUTH_METHOD', value: 'trust' }],
    args: ['-c', `listen_addresses=${LOOPBACK}`],
  },
  // docker-library mariadb/mysql: arguments starting with "-" go to the server.
  mysql: {
    writable: ['/var/lib/mysql', '/run/mysqld', '/tmp'],
    env: [
      { name: 'MARIADB_ALLOW_EMPTY_ROOT_PASSWORD', value: '1' },
      { name: 'MYSQL_ALLOW_EMPTY_PASSWORD', value: '1' },
    ],
    args: [`--bind-address=${LOOPBACK}`],
  },
  redis: {
    writable: ['/data', '/tmp'],
    env: [],
    args: ['redis-server', '--bind', LOOPBACK, '--save', '', '--appendonly', 'no'],
  },
  cockroachdb: {
    writable: ['/cockroach/cockroach-data', '/tmp'],
    env: [],
    args: ['start-single-node', '--insecure', `--listen-addr=${LOOPBACK}:26257`, `--http-addr=${LOOPBACK}:8080`, '--store=/cockroach/cockroach-data'],
  },
};

/** Drill settings the constructs cannot honour. */
export function drillProblems(v: Values): RuleIssue[] {
  const issues: RuleIssue[] = [];
  for (const [name, t] of Object.entries(v.drill?.targets ?? {})) {
    const c = v.components.find((x) => x.name === name);
    if (t.sidecar && c && !SIDECARS[c.type]) {
      issues.push({
        path: ['drill', 'targets', name, 'sidecar'],
        message: `a sidecar server exists only for postgres, mysql, redis and cockroachdb components, not ${c.type}`,
      });
    }
  }
  return issues;
}

/** The sidecar containers and their writable volumes for the drill targets that ask for one. */
export function drillSidecars(v: Values): { containers: k8s.Container[]; volumes: k8s.Volume[] } {
  const containers: k8s.Container[] = [];
  const volumes: k8s.Volume[] = [];
  const targets = Object.entries(v.drill?.targets ?? {}).sort(([a], [b]) => byCodeUnit(a, b));
  const drillResources = podSettingsFor(v, 'drill').resources;
  for (const [name, t] of targets) {
    const c = v.components.find((x) => x.name === name);
    const recipe = c && SIDECARS[c.type];
    if (!t.sidecar || !recipe) continue;
    const container = dnsLabelFrom('drill-', name, 50);
    const mounts = recipe.writable.map((mountPath, i) => ({ name: `${container}-${i}`, mountPath }));
    volumes.push(...mounts.map((m) => ({ name: m.name, emptyDir: {} })));
    containers.push({
      name: container,
      image: t.sidecar.image,
      imagePullPolicy: 'IfNotPresent',
      args: [...recipe.args],
      env: recipe.env.length || t.sidecar.extraEnv?.length ? [...recipe.env, ...extraEnvFor(t.sidecar.extraEnv)] : undefined,
      resources: containerResources(t.sidecar.resources ?? drillResources),
      securityContext: containerSecurityContextFor(t.sidecar.securityContext),
      volumeMounts: mounts,
    });
  }
  return { containers, volumes };
}
