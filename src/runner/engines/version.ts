// Version parsing for dump tools and servers: a client older than its server writes empty or broken dumps.
import type { Version } from './types.js';

/** First "N.N" (or a PostgreSQL server_version_num like 150018) in a tool's output. */
export function parseVersion(text: string): Version | undefined {
  const t = text.trim();
  if (/^\d{5,6}$/.test(t)) {
    const n = Number(t);
    return { major: Math.floor(n / 10000), minor: n % 10000, text: t };
  }
  const m = /(\d+)\.(\d+)(?:\.\d+)?/.exec(t);
  if (!m) return undefined;
  return { major: Number(m[1]), minor: Number(m[2]), text: m[0] };
}

/** Why this client cannot safely dump this server, or undefined. PostgreSQL: the client major must be ≥ the server's. */
export function clientTooOld(tool: string, client: Version, server: Version): string | undefined {
  if (client.major < server.major || (client.major === server.major && client.minor < server.minor && client.major < 10)) {
    return `${tool} ${client.text} is older than the server ${server.text}; use a runner image whose ${tool} is at least ${server.major}`;
  }
  return undefined;
}
