// A values tree with layered defaults: root (repository, monitoring, image) → prod (schedule, retention) → apps.
import { mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';

export const ROOT_DEFAULTS = `# shared by every app and environment
repository:
  s3:
    endpoint: https://s3.example.com
    bucket: acme-backups
    credentials: { secretName: backup-s3 }
  password: { secretName: restic-key }
monitoring:
  pushgateway: http://pushgateway.monitoring:9091
  alerts: { maxAge: 30h }
image: registry.example.com/safehold/runner:1.2.3
schedule: "0 3 * * *"
`;

export const PROD_DEFAULTS = `schedule: "0 1 * * *"
retention: { keepDaily: 7, keepWeekly: 4 }
`;

export const app = (name: string, ns: string, extra = '') => `name: ${name}
namespace: ${ns}
components:
  - name: db
    type: postgres
    host: pg.${ns}.svc
    database: ${name}
    credentials: { secretName: ${name}-db }
${extra}`;

/** Writes files (relative path → text) under a new temp directory; returns its values/ directory. */
export function writeTree(files: Record<string, string>): string {
  const root = join(mkdtempSync(join(tmpdir(), 'layers-')), 'values');
  for (const [rel, text] of Object.entries(files)) {
    mkdirSync(dirname(join(root, rel)), { recursive: true });
    writeFileSync(join(root, rel), text);
  }
  return root;
}

/** The acceptance tree: root and prod defaults, two prod apps and one staging app. */
export const acceptanceTree = () =>
  writeTree({
    '_defaults.yaml': ROOT_DEFAULTS,
    'prod/_defaults.yaml': PROD_DEFAULTS,
    'prod/shop.yaml': app('shop', 'shop-prod'),
    'prod/blog.yaml': app('blog', 'blog-prod', 'retention: { keepDaily: 14 }\n'),
    'staging/shop.yaml': app('shop', 'shop-staging'),
  });
