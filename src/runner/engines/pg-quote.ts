// PostgreSQL quoting: identifiers in SQL, and a database name handed to libpq tools as a connection string.
// Pure: no I/O, no environment reads (docs/engines.md).

/** A double-quoted identifier (any name the server accepts: spaces, dots, mixed case, unicode). */
export const quoteIdent = (name: string): string => `"${name.replace(/"/g, '""')}"`;

/**
 * `-d` value for libpq tools: always a conninfo string `dbname='…'`, because a bare name that contains "=" or
 * starts with "postgresql://" would itself be read as a connection string.
 */
export const dbConninfo = (db: string): string => `dbname='${db.replace(/\\/g, '\\\\').replace(/'/g, "\\'")}'`;
