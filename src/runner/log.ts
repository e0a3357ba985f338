// JSON log lines on stderr, one object per line; callers never pass secrets (only references and paths).
export type Level = 'debug' | 'info' | 'warn' | 'error';

export interface Logger {
  log(level: Level, msg: string, fields?: Record<string, unknown>): void;
  info(msg: string, fields?: Record<string, unknown>): void;
  warn(msg: string, fields?: Record<string, unknown>): void;
  error(msg: string, fields?: Record<string, unknown>): void;
  /** A throttled progress reporter for a long transfer. */
  progress(what: string, fields?: Record<string, unknown>, everyMs?: number): (bytes: number) => void;
}

export function createLogger(write: (line: string) => void = (l) => process.stderr.write(l), base: Record<string, unknown> = {}): Logger {
  const log = (level: Level, msg: string, fields: Record<string, unknown> = {}) => {
    write(`${JSON.stringify({ time: new Date().toISOString(), level, msg, ...base, ...fields })}\n`);
  };
  return {
    log,
    info: (m, f) => log('info', m, f),
    warn: (m, f) => log('warn', m, f),
    error: (m, f) => log('error', m, f),
    progress(what, fields = {}, everyMs = 5000) {
      const started = Date.now();
      let last = started;
      return (bytes: number) => {
        const now = Date.now();
        if (now - last < everyMs) return;
        last = now;
        const secs = (now - started) / 1000;
        log('info', `${what}: progress`, { ...fields, bytes, bytesPerSecond: Math.round(bytes / secs) });
      };
    },
  };
}

export const silentLogger: Logger = createLogger(() => undefined);
