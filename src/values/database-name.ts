// Database names as values files write them, and the whole-server selection (`databases:`) built from them.
import { z } from 'zod';

// Any name the servers accept (spaces, dots, mixed case, unicode): PostgreSQL allows 63 bytes, MySQL 64 characters
// with no trailing space; every use quotes it. Control characters and "/" "\\" (MySQL file names) are refused.
export const dbName = z
  .string()
  .max(63)
  // eslint-disable-next-line no-control-regex
  .regex(/^[^\u0000-\u001f\u007f/\\]*[^\s\u0000-\u001f\u007f/\\]$/, 'must be a database name: no control characters, "/" or "\\", not ending in white space')
  .refine((s) => Buffer.byteLength(s, 'utf8') <= 63, "must be at most 63 bytes in UTF-8 (PostgreSQL's limit)");

/**
 * A whole server (docs/whole-servers.md): `all` (every user database), a list of names, or `{ match: "shop_*" }`
 * (`*` any characters, `?` one) with an optional `exclude` list. Instead of `database:`.
 */
export const serverDatabases = z.union([
  z.literal('all'),
  z.array(dbName).min(1, 'must name at least one database (or write databases: all)'),
  z.strictObject({
    match: z
      .string()
      .min(1)
      .max(63)
      // eslint-disable-next-line no-control-regex
      .regex(/^[^\u0000-\u001f\u007f/\\]+$/, 'must be a name pattern such as shop_* (no control characters, "/" or "\\")'),
    exclude: z.array(dbName).default([]),
  }),
]);
export type ServerDatabases = z.output<typeof serverDatabases>;

/** databases: only. Record password verifiers / hashes of the server's roles and accounts (never the bootstrap superuser's or root's). */
export const serverPasswords = z.boolean().optional();
