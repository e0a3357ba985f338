// The pod settings' own rules (issue 13): literal credentials in extraEnv refused, safehold's variables not shadowed,
// a grace period that leaves the runner time to work, one user per pod, known NetworkPolicy destinations.
import { describe, expect, it } from 'vitest';
import { stringify } from 'yaml';
import { ValuesError } from '../../src/errors.js';
import { parseValues } from '../../src/values/load.js';
import { BASE } from '../constructs/_fixtures.js';

function problems(overrides: Record<string, unknown>): string[] {
  try {
    parseValues(stringify({ ...BASE, ...overrides }), 'shop.yaml');
    return [];
  } catch (e) {
    if (!(e instanceof ValuesError)) throw e;
    return e.problems.map((p) => `${p.path}: ${p.message}`);
  }
}

describe('pod settings rules', () => {
  it('refuses a literal credential in extraEnv and says what to write instead; a Secret reference passes', () => {
    const found = problems({ operations: { restore: { extraEnv: [{ name: 'DB_PASSWORD', value: 'hunter2hunter2' }] } } });
    expect(found).toEqual([
      expect.stringMatching(
        /^operations\.restore\.extraEnv\[0\]\.value: a credential \("DB_PASSWORD"\) must not be written.*write operations\.restore\.extraEnv\[0\]: \{ name: NAME, valueFrom: \{ secretKeyRef/,
      ),
    ]);
    expect(
      problems({
        extraEnv: [
          { name: 'AWS_SESSION_TOKEN', valueFrom: { secretKeyRef: { name: 'aws', key: 'token' } } },
          { name: 'TZ', value: 'UTC' },
        ],
      }),
    ).toEqual([]);
  });

  it('refuses variables safehold sets itself', () => {
    expect(
      problems({
        extraEnv: [
          { name: 'SAFEHOLD_GRACE_SECONDS', value: '5' },
          { name: 'HOME', value: '/' },
        ],
      }),
    ).toEqual([
      expect.stringMatching(/^extraEnv\[0\]\.name: "SAFEHOLD_GRACE_SECONDS" is set by safehold itself/),
      expect.stringMatching(/^extraEnv\[1\]\.name: "HOME" is set by safehold itself/),
    ]);
  });

  it('refuses a grace period longer than half the timeout of the pods it applies to', () => {
    expect(problems({ timeout: '1m', terminationGracePeriodSeconds: 30 })).toEqual([]);
    expect(problems({ timeout: '1m', terminationGracePeriodSeconds: 31 })).toEqual([
      expect.stringMatching(/^terminationGracePeriodSeconds: must be at most half of the backup timeout \(1m = 60 s\), got 31/),
    ]);
    expect(problems({ restore: { timeout: '2m' }, operations: { restore: { terminationGracePeriodSeconds: 90 } } })).toEqual([
      expect.stringMatching(/^operations\.restore\.terminationGracePeriodSeconds: must be at most half of the restore timeout/),
    ]);
  });

  it('refuses files components that disagree on the user, and unknown NetworkPolicy destinations', () => {
    const f = (name: string, runAsUser: number) => ({ name, type: 'files', paths: [`/${name}`], podSecurityContext: { runAsUser } });
    expect(problems({ components: [...BASE.components, f('a', 1000), f('b', 1000)] })).toEqual([]);
    expect(problems({ components: [...BASE.components, f('a', 1000), f('b', 1001)] })).toEqual([
      expect.stringMatching(/^components\[2\]\.podSecurityContext: one pod runs as one user/),
    ]);
    expect(problems({ networkPolicy: { destinations: { db: { ports: [5433] }, minio: { ports: [9000] } } } })).toEqual([
      expect.stringMatching(/^networkPolicy\.destinations\.minio: must name a component or one of repository, copies, pushgateway, kubernetes-api/),
    ]);
  });
});
