// Whole-server components (`databases:` instead of `database:`): which components they are, and the rules the shape
// alone cannot say — database and databases exclude each other, what a drop confirms, restore.databases.
import type { Component, MysqlComponent, PostgresComponent } from './components.js';
import type { ServerDatabases } from './database-name.js';
import type { RuleIssue } from './rules.js';
import type { Values } from './schema.js';

export type ServerComponent = (PostgresComponent | MysqlComponent) & { readonly databases: ServerDatabases };

export const isServerComponent = (c: Component): c is ServerComponent => (c.type === 'postgres' || c.type === 'mysql') && c.databases !== undefined;

/** Databases a whole-server selection never takes: the server's own (templates, the maintenance database, system schemas). */
export const SYSTEM_DATABASES: Readonly<Record<ServerComponent['type'], readonly string[]>> = {
  postgres: ['template0', 'template1', 'postgres'],
  mysql: ['mysql', 'information_schema', 'performance_schema', 'sys'],
};

/** What `restore.confirm` spells out for a whole-server component with dropExisting: its list, or "all of <component>". */
export const serverDropToken = (c: ServerComponent): string => (Array.isArray(c.databases) ? c.databases.join(',') : `all of ${c.name}`);

export function serverIssues(v: Values): RuleIssue[] {
  const issues: RuleIssue[] = [];
  v.components.forEach((c, i) => {
    if (c.type !== 'postgres' && c.type !== 'mysql') return;
    const path = ['components', i];
    if (c.database === undefined && c.databases === undefined)
      issues.push({
        path: [...path, 'database'],
        message:
          'needs the database to back up: database: <name> (one database) or databases: all (every database of the server, or a list, or { match: "shop_*" })',
      });
    if (c.database !== undefined && c.databases !== undefined)
      issues.push({
        path: [...path, 'databases'],
        message: `database and databases exclude each other: keep database: ${c.database} for one database, or remove it and keep databases: for the whole server`,
      });
    if (c.passwords !== undefined && c.databases === undefined)
      issues.push({ path: [...path, 'passwords'], message: 'only meaningful with databases: (a whole server); remove it' });
    const list = c.databases;
    if (Array.isArray(list)) {
      list.forEach((d, j) => {
        if (SYSTEM_DATABASES[c.type].includes(d))
          issues.push({
            path: [...path, 'databases', j],
            message: `"${d}" is the server's own database, which safehold does not back up or restore: remove it (docs/whole-servers.md says why)`,
          });
      });
      const seen = list.filter((d, j) => list.indexOf(d) !== j);
      for (const d of new Set(seen)) issues.push({ path: [...path, 'databases'], message: `"${d}" appears twice` });
    }
  });
  const servers = v.components.filter(isServerComponent);
  const r = v.restore;
  if (r?.databases) {
    const restored = servers.filter((c) => !r.components || r.components.includes(c.name));
    if (!restored.length)
      issues.push({
        path: ['restore', 'databases'],
        message: 'chooses databases of whole-server components (databases:), but none is restored: remove it, or restore such a component',
      });
    const seen = r.databases.filter((d, j) => r.databases!.indexOf(d) !== j);
    for (const d of new Set(seen)) issues.push({ path: ['restore', 'databases'], message: `"${d}" appears twice` });
  }
  const drop = v.dropDatabase && servers.find((c) => c.name === v.dropDatabase!.component);
  if (drop)
    issues.push({
      path: ['dropDatabase', 'component'],
      message: `${drop.name} is a whole server (databases:): a drop Job drops one database; use restore.dropExisting with confirm: "${serverDropToken(drop)}"`,
    });
  return issues;
}
