// Sidecar servers: stopped by the runner at the end of a drill pod (shared process namespace), never its own children.
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import net from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { silentLogger } from '../../../src/runner/log.js';
import { stopSidecarServers, waitForServer } from '../../../src/runner/drill/sidecars.js';

let dir: string | undefined;
afterEach(() => {
  if (dir) rmSync(dir, { recursive: true, force: true });
});

/** A fake /proc: pid → [parent, argv]. */
function fakeProc(procs: Record<number, [number, string[]]>): string {
  dir = mkdtempSync(join(tmpdir(), 'proc-'));
  for (const [pid, [ppid, argv]] of Object.entries(procs)) {
    mkdirSync(join(dir, pid));
    writeFileSync(join(dir, pid, 'cmdline'), `${argv.join('\0')}\0`);
    writeFileSync(join(dir, pid, 'stat'), `${pid} (${argv[0].split('/').pop()} x) S ${ppid} 1 1 0`);
  }
  return dir;
}

describe('drill sidecars', () => {
  it("signals the top process of each sidecar server, not backends, not the runner's own children, not other types", () => {
    const procDir = fakeProc({
      1: [0, ['/pause']],
      7: [0, ['tini', '--', 'safehold', 'drill']],
      8: [7, ['node', 'safehold']],
      20: [8, ['/usr/bin/redis-server', '--port', '0']], // the redis engine's temporary server: ours
      30: [0, ['postgres', '-c', 'listen_addresses=127.0.0.1']],
      31: [30, ['postgres: checkpointer ']],
      32: [30, ['postgres: walwriter ']],
      40: [0, ['redis-server 127.0.0.1:6379']],
      50: [0, ['mariadbd', '--bind-address=127.0.0.1']],
    });
    const killed: Array<[number, string]> = [];
    const pids = stopSidecarServers(new Set(['postgres', 'redis'] as const), silentLogger, {
      procDir,
      selfPid: 8,
      kill: (pid, sig) => killed.push([pid, sig]),
    });
    expect(pids).toEqual([30, 40]);
    expect(killed).toEqual([
      [30, 'SIGINT'],
      [40, 'SIGTERM'],
    ]);
  });

  it('does nothing without sidecar types or without /proc', () => {
    const kill = () => {
      throw new Error('must not kill');
    };
    expect(stopSidecarServers(new Set(), silentLogger, { procDir: '/proc', selfPid: process.pid, kill })).toEqual([]);
    expect(stopSidecarServers(new Set(['postgres'] as const), silentLogger, { procDir: '/nonexistent', selfPid: process.pid, kill })).toEqual([]);
  });

  it('waits for a server to accept connections, and gives up with a message', async () => {
    const srv = net.createServer((s) => s.end());
    await new Promise<void>((r) => srv.listen(0, '127.0.0.1', r));
    const port = (srv.address() as net.AddressInfo).port;
    await expect(waitForServer('127.0.0.1', port, 1000, silentLogger, 'db')).resolves.toBeUndefined();
    await new Promise<void>((r) => srv.close(() => r()));
    await expect(waitForServer('127.0.0.1', port, 700, silentLogger, 'db')).rejects.toThrow(
      /db: the sidecar scratch server at 127\.0\.0\.1:\d+ did not accept connections/,
    );
  });
});
