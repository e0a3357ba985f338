// Version parsing for dump tools and servers: a client older than its server writes empty or broken dumps.
// Pure: no I/O, no environment reads (docs/engines.md).
import type { Version, VersionVerdict } from './types.js';

/**
 * The version in a tool's or server's output: a PostgreSQL server_version_num (150018), the
 * "Distrib X.Y" of mysqldump/mariadb-dump ("Ver 10.19 Distrib 10.11.19-MariaDB": 10.19 is the
 * client protocol, not the release), a Redis "redis_version:X.Y.Z", else the first "N.N".
 */
export function parseVersion(text: string): Version | undefined {
  const t = text.trim();
  if (/^\d{5,6}$/.test(t)) {
    const n = Number(t);
    // 90624 = 9.6.24 (major.minor was the major before 10); 160002 = 16.2
    const major = Math.floor(n / 10000);
    const minor = n < 100000 ? Math.floor(n / 100) % 100 : n % 10000;
    return { major, minor, text: n < 100000 ? `${major}.${minor}.${n % 100}` : `${major}.${minor}` };
  }
  const m = /Distrib (\d+)\.(\d+)(?:\.\d+)?/.exec(t) ?? /redis_version:(\d+)\.(\d+)(?:\.\d+)?/.exec(t) ?? /(\d+)\.(\d+)(?:\.\d+)?/.exec(t);
  if (!m) return undefined;
  return { major: Number(m[1]), minor: Number(m[2]), text: m[0].replace(/^(Distrib |redis_version:)/, '') };
}

/**
 * Why this client cannot safely dump this server, or undefined: the client's major must be at
 * least the server's (before PostgreSQL 10, major.minor).
 */
export function clientTooOld(tool: string, client: Version, server: Version): string | undefined {
  if (client.major < server.major || (client.major === server.major && client.minor < server.minor && client.major < 10)) {
    return `${tool} ${client.text} is older than the server ${server.text}; use a runner image whose ${tool} is at least ${server.major}`;
  }
  return undefined;
}

/** Both versions as recorded in the manifest: the parsed "X.Y.Z", or the raw output when unparsable. */
function recorded(clientOut: string, serverOut: string): { client?: Version; server?: Version; texts: { client: string; server: string } } {
  const client = parseVersion(clientOut);
  const server = parseVersion(serverOut);
  return { client, server, texts: { client: client?.text ?? clientOut.trim(), server: server?.text ?? serverOut.trim() } };
}

/** The default judge (PostgreSQL): a client older than the server is refused. */
export function strictVerdict(tool: string): (clientOut: string, serverOut: string) => VersionVerdict {
  return (clientOut, serverOut) => {
    const { client, server, texts } = recorded(clientOut, serverOut);
    const problem = client && server ? clientTooOld(tool, client, server) : undefined;
    return { ...texts, ...(problem ? { refuse: problem } : {}) };
  };
}

/** For tools that usually cope with newer servers (mysqldump/mariadb-dump): an older major.minor is a warning. */
export function lenientVerdict(tool: string): (clientOut: string, serverOut: string) => VersionVerdict {
  return (clientOut, serverOut) => {
    const { client, server, texts } = recorded(clientOut, serverOut);
    const older = client && server && (client.major < server.major || (client.major === server.major && client.minor < server.minor));
    if (!older) return texts;
    return {
      ...texts,
      warn: `${tool} ${client.text} is older than the server ${server.text}; continuing (a dump that fails fails the backup), but use a runner image whose ${tool} is at least ${server.major}.${server.minor}`,
    };
  };
}
