// Storage over a week: 7 daily runner backups under two churn patterns vs 7 gzip'd plain dumps of the same days.
import { rmSync } from 'node:fs';
import { join } from 'node:path';
import { churn, createDatabase, databaseBytes, dumpCmd, type Churn } from './lib/db.js';
import { chain, duBytes } from './lib/proc.js';
import { mb, ratio, table } from './lib/report.js';
import { freshRepository, makeApp, runRunner, type RunnerRun } from './lib/runner.js';
import type { BenchEnv, SectionResult } from './lib/section.js';

export const DAYS = 7;
const GOALS: Record<Churn, number> = { skewed: 0.35, uniform: 1.0 };

interface Week {
  readonly kind: Churn;
  readonly repoBytes: number;
  readonly gzipBytes: number[];
  readonly rawBytes: number;
  readonly dbBytesEnd: number;
  readonly runs: RunnerRun[];
}

async function week(env: BenchEnv, kind: Churn): Promise<Week> {
  const { pg, work } = env;
  const db = `storage_${kind}`;
  await createDatabase(pg, db, { template: env.db });
  const repo = await freshRepository(join(work, 'repos', 'template'), join(work, 'repos', `storage-${kind}`));
  const app = makeApp(pg, join(work, `storage-${kind}`), { name: `week-${kind}`, database: db, repo });
  const gzipBytes: number[] = [];
  const runs: RunnerRun[] = [];
  const pgEnv = { PGSSLMODE: 'disable', PGPASSWORD: pg.info.password };
  for (let day = 1; day <= DAYS; day++) {
    env.log(`storage ${kind}: day ${day}/${DAYS}`);
    if (day > 1) await churn(pg, db, kind, day);
    const gz = join(work, `storage-${kind}-day${day}.sql.gz`);
    // Storage does not depend on timing: the gzip'd dump runs beside the runner's backup of the same state.
    const [run] = await Promise.all([
      runRunner(app, 'backup'),
      chain(
        [
          { ...dumpCmd(pg, db, []), env: pgEnv },
          { cmd: 'gzip', args: [] },
        ],
        { stdout: gz },
      ),
    ]);
    runs.push(run);
    gzipBytes.push(await duBytes(gz));
    rmSync(gz);
  }
  const rawBytes = await rawDumpBytes(env, db);
  const repoBytes = await duBytes(repo);
  const dbBytesEnd = await databaseBytes(pg, db);
  await pg.sql('postgres', `DROP DATABASE IF EXISTS ${db} WITH (FORCE)`);
  rmSync(repo, { recursive: true, force: true });
  return { kind, repoBytes, gzipBytes, rawBytes, dbBytesEnd, runs };
}

async function rawDumpBytes(env: BenchEnv, db: string): Promise<number> {
  // The two weeks run side by side: one file per database, or one week's rmSync removes the other's dump.
  const f = join(env.work, `raw-${db}.pgdump`);
  await chain([{ ...dumpCmd(env.pg, db), env: { PGSSLMODE: 'disable', PGPASSWORD: env.pg.info.password } }], { stdout: f });
  const n = await duBytes(f);
  rmSync(f);
  return n;
}

export async function benchStorage(env: BenchEnv): Promise<SectionResult & { runnerRuns: RunnerRun[] }> {
  // Sizes do not depend on timing: the two weeks run side by side.
  const weeks = await Promise.all((['skewed', 'uniform'] as const).map((kind) => week(env, kind)));
  const sum = (xs: number[]) => xs.reduce((a, b) => a + b, 0);
  const detail = table(
    ['churn', 'repository after 7 backups (du -sb)', "7 gzip'd plain dumps", 'repository / gzip', '7 raw -Fc -Z0 dumps (for scale)', 'database on day 7'],
    weeks.map((w) => [w.kind, mb(w.repoBytes), mb(sum(w.gzipBytes)), ratio(w.repoBytes / sum(w.gzipBytes)), mb(DAYS * w.rawBytes), mb(w.dbBytesEnd)]),
  );
  return {
    title: `Storage: ${DAYS} daily backups (database ${mb(env.dbBytes)} on day 1)`,
    detail,
    runnerRuns: weeks.flatMap((w) => w.runs),
    ratios: weeks.map((w) => {
      const r = w.repoBytes / sum(w.gzipBytes);
      return {
        measure: `storage: repository / 7 gzip'd dumps, ${w.kind} churn`,
        value: ratio(r),
        goal: `≤ ${GOALS[w.kind].toFixed(2)}×`,
        met: r <= GOALS[w.kind],
      };
    }),
  };
}
