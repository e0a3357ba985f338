// Picks tables out of a mariadb-dump file by its section headers, as a stream (the dump is never held in memory). Pure.
import { Transform } from 'node:stream';

// mariadb-dump opens every part with "--\n-- <what>\n--": a table's structure, its data (and its triggers after it),
// views, routines, events. Lines before the first header are the session settings: always kept.
const TABLE_HEADER = /^-- (?:Table structure for table|Dumping data for table) `((?:[^`]|``)+)`$/;
const ANY_HEADER = /^-- [A-Z]/;

/** What the picked sections held that a partial restore into the live database cannot carry. */
export interface PickFindings {
  readonly tables: Set<string>;
  readonly triggers: Set<string>;
  readonly foreignKeys: Set<string>;
}

/** A transform passing the preamble and the sections of `tables` (structure, data, triggers); the rest is dropped. */
export function pickTables(tables: readonly string[]): Transform & { findings: PickFindings } {
  // The stream is read as latin1 (byte for byte); names are compared in that form and reported in UTF-8.
  const asRead = (n: string) => Buffer.from(n, 'utf8').toString('latin1');
  const asWritten = (n: string) => Buffer.from(n, 'latin1').toString('utf8');
  const wanted = new Set(tables.map(asRead));
  const findings: PickFindings = { tables: new Set(), triggers: new Set(), foreignKeys: new Set() };
  let carry = '';
  let keep = true;
  let current: string | undefined;
  let previous = '';
  const pass = (line: string): boolean => {
    if (previous === '--' && ANY_HEADER.test(line)) {
      const m = TABLE_HEADER.exec(line);
      current = m ? m[1].replace(/``/g, '`') : undefined;
      keep = current !== undefined && wanted.has(current);
      if (keep) findings.tables.add(asWritten(current!));
    }
    previous = line;
    if (keep && current) {
      if (/\bTRIGGER\b/.test(line) && /^\/\*!50003 CREATE\*\//.test(line)) findings.triggers.add(asWritten(current));
      if (/^\s+CONSTRAINT `.*` FOREIGN KEY /.test(line)) findings.foreignKeys.add(asWritten(current));
    }
    return keep;
  };
  const t = new Transform({
    transform(chunk: Buffer, _enc, cb) {
      const text = carry + chunk.toString('latin1');
      const cut = text.lastIndexOf('\n') + 1;
      carry = text.slice(cut);
      const lines = text.slice(0, cut).split('\n');
      lines.pop();
      const out = lines.filter(pass);
      cb(null, Buffer.from(out.length ? `${out.join('\n')}\n` : '', 'latin1'));
    },
    flush(cb) {
      cb(null, carry && pass(carry) ? Buffer.from(carry, 'latin1') : Buffer.alloc(0));
    },
  }) as Transform & { findings: PickFindings };
  t.findings = findings;
  return t;
}
