// Request ids mean the request: pinned for every example, immune to tuning fields and schema defaults.
import { readdirSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { backupSetNames } from '../../src/constructs/names.js';
import { dropRequestId, restoreRequestId } from '../../src/contract/requests.js';
import { loadValuesFile } from '../../src/values/load.js';
import { makeValues } from '../constructs/_fixtures.js';

const VALUES = join(import.meta.dirname, '..', '..', 'values');

describe('request ids', () => {
  it('pins the ids and Job names of every example request under values/ (a release must not change them silently)', () => {
    const pinned = Object.fromEntries(
      readdirSync(VALUES)
        .filter((f) => f.endsWith('.yaml'))
        .sort()
        .map((f) => loadValuesFile(join(VALUES, f)))
        .filter((v) => v.restore || v.dropDatabase)
        .map((v) => {
          const n = backupSetNames(v);
          return [`${v.namespace}/${n.prefix}`, { restore: restoreRequestId(v), drop: dropRequestId(v), restoreJob: n.restoreJob, dropJob: n.dropJob }];
        }),
    );
    expect(pinned).toEqual({
      'monoskope/eventstore': {
        restore: 'restore-39e4c4bc0f',
        drop: 'drop-39e4c4bc0f',
        restoreJob: 'eventstore-restore-39e4c4bc0f',
        dropJob: 'eventstore-drop-39e4c4bc0f',
      },
    });
  });

  const base = { snapshot: 'latest', rolloutRestart: { selector: 'app=shop' }, timeout: '2h' };
  const id = (restore: object, more: object = {}) => restoreRequestId(makeValues({ restore, ...more }));

  it('keeps the id (and the Job name) when only tuning changes: timeout, rolloutRestart, defaults written out', () => {
    const first = id(base);
    expect(id({ ...base, timeout: '30m' })).toBe(first);
    expect(id({ ...base, rolloutRestart: { selector: 'app.kubernetes.io/part-of=shop', namespace: 'other' } })).toBe(first);
    expect(id({ snapshot: 'latest' })).toBe(first);
    expect(id({})).toBe(first);
    expect(id({ ...base, dropExisting: false })).toBe(first);
    const names = (restore: object) => backupSetNames(makeValues({ restore })).restoreJob;
    expect(names({ ...base, timeout: '5h', rolloutRestart: undefined })).toBe(names(base));
  });

  it('makes a new id when what is restored changes: set, components, drop, requestId', () => {
    const first = id(base);
    const others = [
      id({ ...base, snapshot: '20261201-220000-abcdef' }),
      id({ ...base, components: ['db'] }),
      id({ ...base, dropExisting: true, confirm: 'shop' }),
      id({ ...base, requestId: 'second' }),
      id(base, { dropDatabase: { component: 'db', confirm: 'shop' } }),
      id(base, { namespace: 'other-team' }),
      id(
        { ...base, from: 'offsite' },
        { copies: [{ name: 'offsite', repository: { local: { path: '/copy' }, password: { secretName: 'restic' } }, schedule: '0 5 * * *' }] },
      ),
    ];
    expect(new Set([first, ...others]).size).toBe(others.length + 1);
  });

  it('binds the drop to its restore: the drop id is the restore id renamed, and changes with it', () => {
    const v = makeValues({ restore: base, dropDatabase: { component: 'db', confirm: 'shop' } });
    expect(dropRequestId(v)).toBe(restoreRequestId(v)!.replace(/^restore-/, 'drop-'));
    const again = makeValues({ restore: { ...base, requestId: 'second' }, dropDatabase: { component: 'db', confirm: 'shop' } });
    expect(dropRequestId(again)).not.toBe(dropRequestId(v));
  });
});
