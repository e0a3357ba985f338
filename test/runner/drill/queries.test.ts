// What the drill runs against scratch targets, and how it reads dumps' tables of contents.
import { describe, expect, it } from 'vitest';
import { countRowsSql, createdTables, keyspaceKeys, missingFromToc, sqlQuery, tocTables } from '../../../src/runner/drill/queries.js';

const TOC = `;
; Archive created at 2026-11-22 00:51:26 UTC
;     dbname: x
;
; Selected TOC Entries:
;
6; 2615 16385 SCHEMA - My Schema postgres
215; 1259 16386 TABLE My Schema odd name postgres
222; 1259 16409 TABLE public Upper postgres
216; 1259 16389 TABLE public events postgres
221; 1259 16405 MATERIALIZED VIEW public mv postgres
217; 1259 16392 TABLE public p postgres
223; 1259 16412 TABLE public semi; colon postgres
220; 1259 16401 VIEW public v postgres
3229; 0 0 TABLE ATTACH public p1 postgres
3374; 0 16386 TABLE DATA My Schema odd name postgres
3375; 0 16389 TABLE DATA public events postgres
`;

describe('drill queries', () => {
  it('reads the tables of a pg_restore --list TOC: TABLE entries of pg_class only', () => {
    expect(tocTables(TOC)).toEqual([
      'My Schema odd name postgres',
      'public Upper postgres',
      'public events postgres',
      'public p postgres',
      'public semi; colon postgres',
    ]);
  });

  it('matches TOC entries against restored [schema, name] pairs, the owner optional', () => {
    const toc = tocTables(TOC);
    const all: Array<[string, string]> = [
      ['My Schema', 'odd name'],
      ['public', 'Upper'],
      ['public', 'events'],
      ['public', 'p'],
      ['public', 'semi; colon'],
    ];
    expect(missingFromToc(toc, all)).toEqual([]);
    expect(
      missingFromToc(
        toc,
        all.filter(([, n]) => n !== 'events'),
      ),
    ).toEqual(['public events postgres']);
    expect(missingFromToc(['public t'], [['public', 't']])).toEqual([]);
    expect(missingFromToc(['public t'], [['public', 'tt']])).toEqual(['public t']);
  });

  it('reads CREATE TABLE lines of a mariadb-dump file', () => {
    expect(createdTables('CREATE TABLE `events` (')).toBe('events');
    expect(createdTables('CREATE TABLE `we``ird` (')).toBe('we`ird');
    expect(createdTables('/*!50001 CREATE VIEW `v` AS SELECT 1 */;')).toBeUndefined();
    expect(createdTables('INSERT INTO `events` VALUES (1)')).toBeUndefined();
  });

  it('counts keys of every Redis database', () => {
    expect(keyspaceKeys('# Keyspace\r\ndb0:keys=3,expires=0,avg_ttl=0\r\ndb5:keys=10,expires=1,avg_ttl=5\r\n')).toBe(13);
    expect(keyspaceKeys('# Keyspace\r\n')).toBe(0);
  });

  it('quotes tables per dialect', () => {
    expect(countRowsSql('postgres', 'public.events')).toBe('SELECT count(*) FROM "public"."events";');
    expect(countRowsSql('mysql', 'events')).toBe('SELECT count(*) FROM `events`;');
  });

  it('never puts SQL or passwords into argv', () => {
    const e = { host: 'h', port: 1, database: 'd', username: 'u', password: 'secret' };
    for (const spec of [sqlQuery('postgres', e), sqlQuery('mysql', e)]) {
      expect(spec.args.join(' ')).not.toMatch(/secret|SELECT/);
      expect(Object.values(spec.env ?? {})).toContain('secret');
    }
    expect(sqlQuery('mysql', e).args[0]).toBe('--no-defaults');
  });
});
