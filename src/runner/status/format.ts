// `safehold status` as text: one block and one component table per application.
import { formatAge, type AppStatus } from './model.js';

export function formatBytes(n: number | undefined): string {
  if (n === undefined) return '-';
  const units = ['B', 'KiB', 'MiB', 'GiB', 'TiB'];
  let x = n;
  let u = 0;
  while (x >= 1024 && u < units.length - 1) {
    x /= 1024;
    u++;
  }
  return u === 0 ? `${n} B` : `${x.toFixed(1)} ${units[u]}`;
}

function table(rows: string[][]): string[] {
  const widths = rows[0].map((_, i) => Math.max(...rows.map((r) => r[i].length)));
  return rows.map(
    (r) =>
      `  ${r
        .map((c, i) => c.padEnd(widths[i]))
        .join('  ')
        .trimEnd()}`,
  );
}

const when = (t: string | undefined) => (t ? `${t.slice(0, 19).replace('T', ' ')}Z` : '-');

function drillLine(a: AppStatus): string | undefined {
  const d = a.drill;
  if (!d) return undefined;
  if (d.result === 'unknown') return `  drill: unknown (${d.note ?? 'no result pushed'})`;
  const parts = [
    `drill: ${d.result.toUpperCase()}`,
    `last attempt ${when(d.lastAttempt)}`,
    `last pass ${when(d.lastSuccess)}${d.lastSuccessAgeSeconds !== undefined ? ` (${formatAge(d.lastSuccessAgeSeconds)} ago)` : ''}`,
  ];
  if (d.restoreSeconds !== undefined) parts.push(`RTO ${d.restoreSeconds} s`);
  if (d.restoredSetAgeSeconds !== undefined) parts.push(`RPO ${formatAge(d.restoredSetAgeSeconds)}`);
  return `  ${parts.join(', ')}`;
}

export function formatAppStatus(a: AppStatus): string {
  const name = `${a.namespace}/${a.app}${a.instance ? ` (instance ${a.instance})` : ''}`;
  const lines = [
    `${name}  ${a.problems.length ? 'PROBLEM' : 'OK'}  repository ${a.repository}, schedule "${a.schedule}", maxAge ${formatAge(a.maxAgeSeconds)}`,
  ];
  const g = a.lastGood;
  lines.push(
    g
      ? `  last good set ${g.id} at ${when(g.time)}, age ${formatAge(g.ageSeconds)} ${a.overdue ? 'OVERDUE' : 'ok'}${g.durationSeconds !== undefined ? `, took ${g.durationSeconds} s` : ''}`
      : '  last good set: none',
  );
  const list = (ids: readonly string[], n: number) => (n ? ` (${n > ids.length ? '…, ' : ''}${ids.join(', ')})` : '');
  lines.push(
    `  sets: ${a.counts.good} good, ${a.counts.suspicious} suspicious${list(a.suspicious, a.counts.suspicious)}, ${a.counts.incomplete} incomplete${list(a.incomplete, a.counts.incomplete)}`,
  );
  const rows = [['COMPONENT', 'TYPE', 'SIZE', 'PREVIOUS', 'CHANGE']];
  for (const c of a.components) {
    rows.push([
      c.name,
      c.type,
      formatBytes(c.bytes),
      formatBytes(c.previousBytes),
      c.changePercent === undefined ? '-' : `${c.changePercent > 0 ? '+' : ''}${c.changePercent}%`,
    ]);
  }
  lines.push(...table(rows));
  const drill = drillLine(a);
  if (drill) lines.push(drill);
  if (a.requests.length) {
    lines.push('  requests:');
    for (const r of a.requests) lines.push(`    ${r.id}  ${r.state}  ${when(r.time)}  (${r.records} record${r.records === 1 ? '' : 's'})`);
  }
  for (const p of a.problems) lines.push(`  PROBLEM: ${p}`);
  return `${lines.join('\n')}\n`;
}
