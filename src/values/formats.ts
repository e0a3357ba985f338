// Scalar formats shared by the values schema: names, durations, cron, time zones.
import { z } from 'zod';

export const DNS1123_LABEL = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/;
export const DNS1123_SUBDOMAIN = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$/;
/** The instance id rule of the Astarte operator: optional lowercase letter, then up to 47 [a-z0-9]. */
export const INSTANCE_ID = /^[a-z]?[a-z0-9]{0,47}$/;

export const dnsLabel = z.string().max(63, 'must be at most 63 characters').regex(DNS1123_LABEL, 'must be a DNS-1123 label (lowercase letters, digits, "-")');

export const dnsSubdomain = z
  .string()
  .max(253, 'must be at most 253 characters')
  .regex(DNS1123_SUBDOMAIN, 'must be a DNS-1123 subdomain (lowercase letters, digits, "-", ".")');

/** Days, hours, minutes, seconds in that order: a subset of Prometheus durations (alerts use them as is). */
const DURATION = /^(?:(\d+)d)?(?:(\d+)h)?(?:(\d+)m)?(?:(\d+)s)?$/;

/** Seconds in a duration such as `1h`, `90m`, `1h30m`, `45s`, `8d`; undefined when malformed. */
export function durationSeconds(text: string): number | undefined {
  const m = DURATION.exec(text);
  if (!m || text === '') return undefined;
  const [d, h, min, s] = [m[1], m[2], m[3], m[4]].map((x) => Number(x ?? 0));
  return d * 86400 + h * 3600 + min * 60 + s;
}

export const duration = z.string().refine((s) => (durationSeconds(s) ?? 0) > 0, 'must be a duration like 30s, 15m, 1h, 1h30m or 8d');

const MONTHS = ['jan', 'feb', 'mar', 'apr', 'may', 'jun', 'jul', 'aug', 'sep', 'oct', 'nov', 'dec'];
const DAYS = ['sun', 'mon', 'tue', 'wed', 'thu', 'fri', 'sat'];
export const CRON_FIELDS: ReadonlyArray<{ name: string; min: number; max: number; names?: string[] }> = [
  { name: 'minute', min: 0, max: 59 },
  { name: 'hour', min: 0, max: 23 },
  { name: 'day of month', min: 1, max: 31 },
  { name: 'month', min: 1, max: 12, names: MONTHS },
  { name: 'day of week', min: 0, max: 7, names: DAYS },
];
export const CRON_MACROS = ['@yearly', '@annually', '@monthly', '@weekly', '@daily', '@midnight', '@hourly'];

export function cronValue(text: string, f: (typeof CRON_FIELDS)[number]): number | undefined {
  const named = f.names?.indexOf(text.toLowerCase()) ?? -1;
  if (named >= 0) return named + f.min;
  if (!/^\d+$/.test(text)) return undefined;
  const n = Number(text);
  return n >= f.min && n <= f.max ? n : undefined;
}

/** Why a cron expression is invalid, or undefined when it is a valid Kubernetes CronJob schedule. */
export function cronProblem(expr: string): string | undefined {
  const text = expr.trim();
  if (CRON_MACROS.includes(text)) return undefined;
  if (/^(TZ|CRON_TZ)=/.test(text)) return 'must not carry TZ=; use timeZone instead';
  const parts = text.split(/\s+/);
  if (parts.length !== 5) return `must have 5 fields (minute hour day-of-month month day-of-week), found ${parts.length}`;
  for (let i = 0; i < 5; i++) {
    const f = CRON_FIELDS[i];
    for (const item of parts[i].split(',')) {
      const [range, step, extra] = item.split('/');
      if (extra !== undefined || (step !== undefined && !/^[1-9]\d*$/.test(step))) {
        return `${f.name} field "${parts[i]}" has a bad step`;
      }
      if (range === '*' || range === '?') continue;
      const bounds = range.split('-');
      if (bounds.length > 2 || bounds.some((b) => cronValue(b, f) === undefined)) {
        return `${f.name} field "${parts[i]}" must be within ${f.min}-${f.max}`;
      }
      if (bounds.length === 2 && cronValue(bounds[0], f)! > cronValue(bounds[1], f)!) {
        return `${f.name} field "${parts[i]}" has a reversed range`;
      }
    }
  }
  return undefined;
}

export const cron = z.string().superRefine((s, ctx) => {
  const problem = cronProblem(s);
  if (problem) ctx.addIssue({ code: 'custom', message: `must be a cron schedule: ${problem}` });
});

export function isTimeZone(tz: string): boolean {
  if (!/^[A-Za-z][A-Za-z0-9_+\-/]*$/.test(tz)) return false;
  try {
    new Intl.DateTimeFormat('en-US', { timeZone: tz });
    return true;
  } catch {
    return false;
  }
}

export const timeZone = z.string().refine(isTimeZone, 'must be an IANA time zone such as Europe/Berlin or UTC');

export const quantity = z.string().regex(/^\d+(\.\d+)?(m|k|M|G|T|P|E|Ki|Mi|Gi|Ti|Pi|Ei)?$/, 'must be a Kubernetes quantity such as 500m, 256Mi or 10Gi');

export const labelSelector = z
  .string()
  .min(1)
  .regex(
    /^[A-Za-z0-9][-A-Za-z0-9_./]*\s*(=|==|!=)\s*[-A-Za-z0-9_.]*(\s*,\s*[A-Za-z0-9][-A-Za-z0-9_./]*\s*(=|==|!=)\s*[-A-Za-z0-9_.]*)*$/,
    'must be an equality label selector such as app.kubernetes.io/part-of=monoskope',
  );
