// Pod Security Standards "restricted" on every pod template that dist/ and charts/ would create.
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { podTemplates } from '../constructs/_fixtures.js';
import { restrictedViolations } from '../constructs/_restricted.js';
import { CHARTS, distObjects, helmRender, parseManifest } from './_dist.js';

describe('restricted profile', () => {
  it('every pod template in dist/ passes', () => {
    const pods = podTemplates(distObjects().map((o) => o.obj));
    expect(pods.length).toBeGreaterThanOrEqual(10);
    for (const { where, template } of pods) expect(restrictedViolations(template), where).toEqual([]);
  });

  it('every pod template in charts/ passes', () => {
    for (const chart of readdirSync(CHARTS)) {
      const text = helmRender(readFileSync(join(CHARTS, chart, 'templates', `${chart}.k8s.yaml`), 'utf8'));
      for (const { where, template } of podTemplates(parseManifest(text, chart))) expect(restrictedViolations(template), where).toEqual([]);
    }
  });

  it('the check catches what the profile forbids', () => {
    const bad = { spec: { containers: [{ name: 'x', securityContext: { privileged: true } }], volumes: [{ name: 'h', hostPath: { path: '/' } }] } };
    expect(restrictedViolations(bad)).toEqual(
      expect.arrayContaining([
        'volume h of type hostPath',
        'container x privileged',
        'container x allowPrivilegeEscalation is not false',
        'container x does not drop ALL capabilities',
      ]),
    );
  });
});
