// The copies: rules: unique names, another place than the source, one S3 key pair for restic copy, from: names a copy.
import { describe, expect, it } from 'vitest';
import { parseValues } from '../../src/values/load.js';
import { stringify } from 'yaml';
import { BASE } from '../constructs/_fixtures.js';
import { problems } from './_problems.js';

const local = (path: string) => ({ local: { path }, password: { secretName: 'copy-restic' } });
const s3 = (secretName: string, prefix = 'copy') => ({
  s3: { endpoint: 'https://s3.other.example', bucket: 'offsite', prefix, credentials: { secretName } },
  password: { secretName: 'copy-restic' },
});

describe('copies values', () => {
  it('accepts copies with defaults, and restore.from / drill.from naming one', () => {
    const v = parseValues(
      stringify({ ...BASE, copies: [{ name: 'offsite', repository: s3('backup-s3'), schedule: '0 5 * * *' }], restore: { from: 'offsite' } }),
      'v.yaml',
    );
    expect(v.copies![0]).toMatchObject({ name: 'offsite', timeout: '2h', maxLag: '50h' });
    expect(v.copies![0].retention).toBeUndefined();
  });

  it('refuses duplicate names, the source itself, a claim, two S3 key pairs and a from: naming no copy — each at its path', () => {
    const p = problems({
      copies: [
        { name: 'a', repository: local('/copy'), schedule: '0 5 * * *' },
        { name: 'a', repository: { ...BASE.repository }, schedule: '0 5 * * *' },
        { name: 'b', repository: s3('other-keys'), schedule: '0 5 * * *' },
        { name: 'c', repository: { pvc: { claimName: 'x' }, password: { secretName: 'p' } }, schedule: '0 5 * * *' },
      ],
      restore: { from: 'nope' },
    });
    expect(p).toEqual([
      ['copies[1].name', 'copy names must be unique, "a" appears twice'],
      ['copies[1].repository', expect.stringMatching(/another repository than the set's own/)],
      ['copies[2].repository.s3.credentials', expect.stringMatching(/one key pair; got Secret "other-keys" here and "backup-s3" for the source/)],
      ['copies[3].repository.pvc', expect.stringMatching(/cannot be a PersistentVolumeClaim yet/)],
      ['restore.from', 'must name a copy (a, a, b, c), got "nope"'],
    ]);
  });

  it('checks a protected copy like a protected source', () => {
    const p = problems({
      copies: [
        {
          name: 'vault',
          repository: { ...s3('backup-s3'), protection: { maintenance: { schedule: '0 6 * * *', credentials: { secretName: 'backup-s3' } } } },
          schedule: '0 5 * * *',
        },
      ],
    });
    expect(p).toEqual([['copies[0].repository.protection.maintenance.credentials.secretName', expect.stringMatching(/must name another Secret/)]]);
  });
});
