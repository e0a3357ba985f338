// The pure parts of partial restores: the pg_restore TOC and its -L lists, the SQL of the swap, the MariaDB section filter.
import { Readable } from 'node:stream';
import { describe, expect, it } from 'vitest';
import { pickTables } from '../../src/runner/components/partial/mysql-sections.js';
import { partialSchemas, statementsOnly, swapScript } from '../../src/runner/components/partial/pg-sql.js';
import { chosenTables, foreignKeyList, parseToc, sideList } from '../../src/runner/components/partial/pg-toc.js';

const TOC = `;
; Archive created at 2026-12-02 02:00:00 UTC
;
; Selected TOC Entries:
;
5; 2615 2200 SCHEMA - public pg_database_owner
215; 1259 16386 TABLE public orders alice
214; 1259 16385 SEQUENCE public orders_id_seq alice
3360; 0 0 SEQUENCE OWNED BY public orders_id_seq alice
3204; 2604 16389 DEFAULT public orders id alice
216; 1259 16390 TABLE public customers alice
217; 1259 16395 TABLE billing invoices bob
3352; 0 16386 TABLE DATA public orders alice
3353; 0 16390 TABLE DATA public customers alice
3354; 0 16395 TABLE DATA billing invoices bob
3361; 0 0 SEQUENCE SET public orders_id_seq alice
3206; 2606 16391 CONSTRAINT public orders orders_pkey alice
3207; 1259 16392 INDEX public orders_body alice
3208; 2606 16393 FK CONSTRAINT public orders orders_customer_fkey alice
3209; 2606 16394 FK CONSTRAINT public customers customers_region_fkey alice
3210; 0 0 ACL public TABLE orders alice
`;

describe('pg_restore TOC', () => {
  const toc = parseToc(TOC);
  it('parses every entry: kind (several words), schema, tag (with spaces)', () => {
    expect(toc).toHaveLength(16);
    expect(toc.find((e) => e.line.startsWith('3360;'))).toMatchObject({ desc: 'SEQUENCE OWNED BY', schema: 'public', tag: 'orders_id_seq' });
    expect(toc.find((e) => e.line.startsWith('3208;'))).toMatchObject({ desc: 'FK CONSTRAINT', schema: 'public', tag: 'orders orders_customer_fkey' });
    expect(toc.find((e) => e.line.startsWith('3210;'))).toMatchObject({ desc: 'ACL', tag: 'TABLE orders' });
  });

  it('resolves tables and schemas against the set, and says what it lacks', () => {
    expect(chosenTables(toc, { tables: [{ schema: 'public', table: 'orders' }], schemas: ['billing'] })).toEqual({
      tables: [
        { schema: 'public', table: 'orders' },
        { schema: 'billing', table: 'invoices' },
      ],
      missing: [],
    });
    expect(chosenTables(toc, { tables: [{ schema: 'public', table: 'nope' }], schemas: ['none'] }).missing).toEqual(['public.nope', 'schema none']);
  });

  it('the side list has the whole schema, the data of the chosen tables only and no foreign key; the FK list has theirs', () => {
    const tables = [{ schema: 'public', table: 'orders' }];
    const side = sideList(toc, tables);
    expect(side).toContain('3352; 0 16386 TABLE DATA public orders alice');
    expect(side).not.toContain('TABLE DATA public customers');
    expect(side).toContain('TABLE public customers');
    expect(side).toContain('INDEX public orders_body');
    expect(side).not.toContain('FK CONSTRAINT');
    expect(foreignKeyList(toc, tables)).toBe('3208; 2606 16393 FK CONSTRAINT public orders orders_customer_fkey alice\n');
  });
});

describe('swap SQL', () => {
  it('names side schemas within 63 bytes', () => {
    expect(partialSchemas('public')).toEqual({
      restoring: 'public.safehold-restoring',
      previous: 'public.safehold-previous',
      restored: 'public.safehold-restored',
    });
    expect(Buffer.byteLength(partialSchemas('x'.repeat(60)).previous)).toBeLessThanOrEqual(63);
  });

  it('live: one transaction, refusal re-checked inside, old table kept, new one in place, its foreign keys added', () => {
    const sql = swapScript(
      [{ schema: 'public', table: 'orders' }],
      'live',
      'ALTER TABLE ONLY public.orders ADD CONSTRAINT fk FOREIGN KEY (c) REFERENCES public.c(id);',
    );
    const order = [
      "SET lock_timeout = '5s';",
      'BEGIN;',
      'RAISE EXCEPTION',
      'DROP TABLE IF EXISTS "public.safehold-previous"."orders";',
      'ALTER TABLE IF EXISTS "public"."orders" SET SCHEMA "public.safehold-previous";',
      'ALTER TABLE "public.safehold-restoring"."orders" SET SCHEMA "public";',
      'ADD CONSTRAINT fk',
      'DROP SCHEMA "public.safehold-restoring";',
      'COMMIT;',
    ].map((x) => sql.indexOf(x));
    expect(order.every((i, k) => i >= 0 && (k === 0 || i > order[k - 1]))).toBe(true);
  });

  it('keeps only the statements of pg_restore SQL output', () => {
    const out =
      "--\n-- Name: x\n--\n\\restrict abc\nSET statement_timeout = 0;\nSELECT pg_catalog.set_config('search_path', '', false);\n\nALTER TABLE ONLY public.o\n    ADD CONSTRAINT f FOREIGN KEY (c) REFERENCES public.c(id);\n\\unrestrict abc\n";
    expect(statementsOnly(out)).toBe('ALTER TABLE ONLY public.o\n    ADD CONSTRAINT f FOREIGN KEY (c) REFERENCES public.c(id);');
  });
});

const DUMP = `/*M!999999\\- enable the sandbox mode */
/*!40101 SET NAMES utf8mb4 */;
--
-- Table structure for table \`audit\`
--

DROP TABLE IF EXISTS \`audit\`;
CREATE TABLE \`audit\` (
  \`id\` int(11) NOT NULL
);

--
-- Dumping data for table \`audit\`
--

INSERT INTO \`audit\` VALUES (1);

--
-- Table structure for table \`it\`\`ems\`
--

CREATE TABLE \`it\`\`ems\` (
  \`id\` int(11) NOT NULL,
  CONSTRAINT \`f\` FOREIGN KEY (\`id\`) REFERENCES \`audit\` (\`id\`)
);

--
-- Dumping data for table \`it\`\`ems\`
--

INSERT INTO \`it\`\`ems\` VALUES (1,'é');
/*!50003 CREATE*/ /*!50017 DEFINER=\`root\`@\`localhost\`*/ /*!50003 TRIGGER t1 AFTER INSERT ON \`it\`\`ems\` FOR EACH ROW SET @x = 1 */;;

--
-- Dumping routines for database 'shop'
--

CREATE PROCEDURE p() SELECT 1;
-- Dump completed on 2026-12-02
`;

describe('MariaDB section filter', () => {
  it('passes the preamble and the chosen tables (structure, data, triggers), drops the rest, across chunk boundaries', async () => {
    const pick = pickTables(['it`ems']);
    const bytes = Buffer.from(DUMP);
    const chunks = Array.from({ length: Math.ceil(bytes.length / 7) }, (_, i) => bytes.subarray(i * 7, i * 7 + 7));
    const out: Buffer[] = [];
    await new Promise<void>((resolve, reject) => {
      Readable.from(chunks)
        .pipe(pick)
        .on('data', (d: Buffer) => out.push(d))
        .on('end', resolve)
        .on('error', reject);
    });
    const text = Buffer.concat(out).toString('utf8');
    expect(text).toContain('SET NAMES utf8mb4');
    expect(text).toContain("INSERT INTO `it``ems` VALUES (1,'é');");
    expect(text).not.toContain('audit` VALUES');
    expect(text).not.toContain('CREATE PROCEDURE');
    expect([...pick.findings.tables]).toEqual(['it`ems']);
    expect([...pick.findings.triggers]).toEqual(['it`ems']);
    expect([...pick.findings.foreignKeys]).toEqual(['it`ems']);
  });
});
