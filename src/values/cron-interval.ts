// The longest wait between two runs of a (valid) cron schedule: what retention horizons and lock periods are measured in.
import { CRON_FIELDS, cronValue } from './formats.js';

const MACROS: Record<string, string> = {
  '@yearly': '0 0 1 1 *',
  '@annually': '0 0 1 1 *',
  '@monthly': '0 0 1 * *',
  '@weekly': '0 0 * * 0',
  '@daily': '0 0 * * *',
  '@midnight': '0 0 * * *',
  '@hourly': '0 * * * *',
};

function expand(field: string, f: (typeof CRON_FIELDS)[number]): Set<number> {
  const out = new Set<number>();
  for (const item of field.split(',')) {
    const [range, step] = item.split('/');
    const [lo, hi] = range === '*' || range === '?' ? [f.min, f.max] : range.split('-').map((b) => cronValue(b, f)!);
    const end = step !== undefined && !range.includes('-') && range !== '*' ? f.max : (hi ?? lo);
    for (let n = lo; n <= end; n += Number(step ?? 1)) out.add(n);
  }
  return out;
}

/** Seconds of the longest gap between consecutive runs (UTC, over a year and a month); for a valid schedule. */
export function cronMaxGapSeconds(expr: string): number {
  const parts = (MACROS[expr.trim()] ?? expr.trim()).split(/\s+/);
  const [minutes, hours, doms, months, dowsRaw] = parts.map((p, i) => expand(p, CRON_FIELDS[i]));
  const dows = new Set([...dowsRaw].map((d) => d % 7));
  const domRestricted = parts[2] !== '*' && parts[2] !== '?';
  const dowRestricted = parts[4] !== '*' && parts[4] !== '?';
  const fires: number[] = [];
  const start = Date.UTC(2025, 0, 1);
  for (let day = 0; day < 400; day++) {
    const d = new Date(start + day * 86400_000);
    if (!months.has(d.getUTCMonth() + 1)) continue;
    const domOk = doms.has(d.getUTCDate());
    const dowOk = dows.has(d.getUTCDay());
    if (!(domRestricted && dowRestricted ? domOk || dowOk : domOk && dowOk)) continue;
    for (const h of [...hours].sort((a, b) => a - b)) for (const m of [...minutes].sort((a, b) => a - b)) fires.push(d.getTime() / 1000 + h * 3600 + m * 60);
  }
  let gap = 0;
  for (let i = 1; i < fires.length; i++) gap = Math.max(gap, fires[i] - fires[i - 1]);
  return gap || 366 * 86400;
}
