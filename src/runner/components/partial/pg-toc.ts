// The table of contents of a pg_dump custom archive (`pg_restore --list`), and the lists a partial restore feeds to `-L`. Pure.

/** One TOC line: `12; 1259 16386 TABLE public orders alice`. */
export interface TocEntry {
  readonly line: string;
  readonly desc: string;
  readonly schema: string;
  readonly tag: string;
}

// Longest first: "TABLE DATA" before "TABLE", "SEQUENCE OWNED BY" before "SEQUENCE".
const DESCS = [
  'MATERIALIZED VIEW DATA',
  'SEQUENCE OWNED BY',
  'PUBLICATION TABLES IN SCHEMA',
  'PUBLICATION TABLE',
  'FOREIGN DATA WRAPPER',
  'DEFAULT ACL',
  'TABLE DATA',
  'FK CONSTRAINT',
  'CHECK CONSTRAINT',
  'SEQUENCE SET',
  'MATERIALIZED VIEW',
  'FOREIGN TABLE',
  'EVENT TRIGGER',
  'LARGE OBJECT',
  'BLOB METADATA',
  'BLOBS',
  'BLOB',
  'USER MAPPING',
  'TEXT SEARCH CONFIGURATION',
  'TEXT SEARCH DICTIONARY',
  'TEXT SEARCH PARSER',
  'TEXT SEARCH TEMPLATE',
  'OPERATOR CLASS',
  'OPERATOR FAMILY',
  'ACCESS METHOD',
  'STATISTICS',
  'SUBSCRIPTION',
  'PUBLICATION',
  'CONSTRAINT',
  'SEQUENCE',
  'TABLE',
  'INDEX',
  'TRIGGER',
  'DEFAULT',
];

/** Parses `pg_restore --list` output; comment lines are skipped. Unknown kinds keep their first word as desc. */
export function parseToc(list: string): TocEntry[] {
  const out: TocEntry[] = [];
  for (const line of list.split('\n')) {
    const m = /^\d+;\s+\d+\s+\d+\s+(.*)$/.exec(line);
    if (!m) continue;
    const rest = m[1];
    const desc = DESCS.find((d) => rest === d || rest.startsWith(`${d} `)) ?? rest.split(' ')[0];
    // "<schema> <tag> <owner>": the schema is one word ("-" for none), the owner the last word; the tag may hold spaces.
    const words = rest.slice(desc.length).trim().split(' ');
    const schema = words[0] ?? '-';
    const tag = words.length > 2 ? words.slice(1, -1).join(' ') : (words[1] ?? '');
    out.push({ line, desc, schema, tag });
  }
  return out;
}

export interface PgTable {
  readonly schema: string;
  readonly table: string;
}

export const tableKey = (t: PgTable) => `${t.schema}.${t.table}`;

/** The tables of the archive a request names (tables, or every table of the schemas); unknown names are returned apart. */
export function chosenTables(
  toc: readonly TocEntry[],
  want: { tables: readonly PgTable[]; schemas: readonly string[] },
): { tables: PgTable[]; missing: string[] } {
  const inSet = toc.filter((e) => e.desc === 'TABLE').map((e) => ({ schema: e.schema, table: e.tag }));
  const tables = inSet.filter((t) => want.schemas.includes(t.schema) || want.tables.some((w) => tableKey(w) === tableKey(t)));
  const missing = [
    ...want.tables.filter((w) => !inSet.some((t) => tableKey(t) === tableKey(w))).map(tableKey),
    ...want.schemas.filter((s) => !inSet.some((t) => t.schema === s)).map((s) => `schema ${s}`),
  ];
  return { tables, missing };
}

// Data that a side database built for a few tables does not need; objects that would act outside it.
const NEVER_IN_SIDE = new Set([
  'MATERIALIZED VIEW DATA',
  'BLOBS',
  'BLOB',
  'LARGE OBJECT',
  'BLOB METADATA',
  'SUBSCRIPTION',
  'PUBLICATION',
  'PUBLICATION TABLE',
  'PUBLICATION TABLES IN SCHEMA',
  'EVENT TRIGGER',
  'FK CONSTRAINT',
]);

/**
 * The `-L` list of the side database: the whole schema (types, functions, every table's definition, indexes and
 * constraints — cheap on empty tables) with the data of the chosen tables only. Foreign keys are left out (the
 * tables they point at are empty there); they are added on the live database in the swap transaction.
 */
export function sideList(toc: readonly TocEntry[], tables: readonly PgTable[]): string {
  const chosen = new Set(tables.map(tableKey));
  return toc
    .filter((e) => !NEVER_IN_SIDE.has(e.desc) && (e.desc !== 'TABLE DATA' || chosen.has(`${e.schema}.${e.tag}`)))
    .map((e) => `${e.line}\n`)
    .join('');
}

/** The `-L` list of the foreign keys the chosen tables carry (their tag is "<table> <constraint>"). */
export function foreignKeyList(toc: readonly TocEntry[], tables: readonly PgTable[]): string {
  return toc
    .filter((e) => e.desc === 'FK CONSTRAINT' && tables.some((t) => t.schema === e.schema && e.tag.startsWith(`${t.table} `)))
    .map((e) => `${e.line}\n`)
    .join('');
}
