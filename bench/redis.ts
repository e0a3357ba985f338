// A Redis backup of a small database (the image's Redis 8), with the server's default repl-diskless-sync-delay
// (5 s: what users run) and with 0 (the test servers), so the cause of the time is measured, not guessed.
import { join } from 'node:path';
import { binaryPath } from '../src/runner/binaries.js';
import { startRedis } from '../test/support/servers.js';
import { output } from './lib/proc.js';
import { median, secs, table } from './lib/report.js';
import { freshRepository, makeApp, runRunner, type RunnerRun } from './lib/runner.js';
import type { SectionResult } from './lib/section.js';

export async function benchRedis(o: {
  work: string;
  base: string;
  root?: string;
  runs: number;
  log: (m: string) => void;
}): Promise<SectionResult & { runnerRuns: RunnerRun[] }> {
  const server = await startRedis({ baseDir: o.base, root: o.root });
  const cli = (...args: string[]) => output({ cmd: binaryPath('redis-cli'), args: ['-h', server.host, '-p', String(server.port), ...args] });
  try {
    // ~16 KB of keys.
    for (let i = 0; i < 64; i++) await cli('SET', `key:${i}`, 'v'.repeat(250));
    const rows: Array<{ delay: string; runs: RunnerRun[] }> = [];
    const all: RunnerRun[] = [];
    for (const delay of ['5', '0']) {
      await cli('CONFIG', 'SET', 'repl-diskless-sync-delay', delay);
      const repo = await freshRepository(join(o.work, 'repos', 'template'), join(o.work, 'repos', `redis-${delay}`));
      const app = makeApp({ info: { host: server.host, port: server.port, user: 'unused', password: 'unused' } } as never, join(o.work, `redis-${delay}`), {
        name: 'cache',
        database: 'unused',
        repo,
        component: { name: 'cache', type: 'redis', host: server.host, port: server.port },
      });
      const runs: RunnerRun[] = [];
      for (let r = 0; r < o.runs; r++) {
        o.log(`redis: repl-diskless-sync-delay ${delay}, backup ${r + 1}/${o.runs}`);
        runs.push(await runRunner(app, 'backup'));
      }
      rows.push({ delay, runs });
      all.push(...runs);
    }
    const wall = (rs: RunnerRun[]) => median(rs.map((r) => r.wall));
    const phase = (rs: RunnerRun[], p: string) => median(rs.map((r) => r.phases[p] ?? 0));
    const [byDefault, zero] = rows;
    return {
      title: `Redis backup of a small database (~16 KB, Redis ${(await cli('INFO', 'server')).match(/redis_version:(\S+)/)?.[1] ?? '?'}, medians of ${o.runs})`,
      detail: table(
        ['server repl-diskless-sync-delay', 'whole command (wall)', 'of which redis-cli --rdb | restic', 'node start-up', 'runs'],
        rows.map((r) => [
          `${r.delay} s${r.delay === '5' ? ' (Redis default)' : ''}`,
          secs(wall(r.runs)),
          secs(phase(r.runs, 'stream: dump | restic backup')),
          secs(median(r.runs.map((x) => x.startupSeconds))),
          r.runs.map((x) => x.wall.toFixed(2)).join(' '),
        ]),
      ),
      notes: [
        "redis-cli --rdb asks the server for a replica's RDB; with diskless replication (Redis 7+ default) the server waits repl-diskless-sync-delay for more replicas before it starts the transfer. The runner does not change the server's configuration.",
      ],
      runnerRuns: all,
      ratios: [
        { measure: 'Redis backup, small database (server defaults)', value: secs(wall(byDefault!.runs)), goal: '≤ 1.5 s', met: wall(byDefault!.runs) <= 1.5 },
        { measure: 'Redis backup, small database (repl-diskless-sync-delay 0)', value: secs(wall(zero!.runs)), goal: '≤ 1.5 s', met: wall(zero!.runs) <= 1.5 },
      ],
    };
  } finally {
    await server.stop().catch(() => undefined);
  }
}
