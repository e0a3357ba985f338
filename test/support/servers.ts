// Real servers for integration tests: each runs on 127.0.0.1, on a free port, in its own
// temp dir, as a direct child process (spawned with argument arrays, never a shell).
import { spawn, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { closeSync, existsSync, openSync } from 'node:fs';
import { chmod, chown, mkdir, mkdtemp, readFile, readdir, rm, writeFile } from 'node:fs/promises';
import { createRequire } from 'node:module';
import https from 'node:https';
import net from 'node:net';
import { tmpdir } from 'node:os';
import { delimiter, join } from 'node:path';
import tls from 'node:tls';

export interface StartOptions {
  /** Parent of the server's temp dir (default: the OS temp dir). */
  baseDir?: string;
  /**
   * Run the server from this root filesystem with chroot (test-rootfs.ts: the image's Debian release).
   * baseDir must then be visible at the same path inside the root (a bind mount).
   */
  root?: string;
  /** Serve TLS with this certificate and key (PEM files; tls-certs.ts makes them); `caFile` checks client certificates. */
  tls?: { certFile: string; keyFile: string; caFile?: string };
}
export interface PostgresInfo {
  host: string;
  port: number;
  user: 'postgres';
  /** The superuser's password: the server authenticates with scram-sha-256, over TCP and the socket. */
  password: string;
  socketDir: string;
  /** The host's PostgreSQL bin dir: test-side clients (psql, pg_isready) run from here. */
  binDir: string;
}
export interface MariadbInfo {
  host: string;
  port: number;
  user: 'root';
  password: string;
  socket: string;
}
export interface RedisInfo {
  host: string;
  port: number;
  password?: string;
  dir: string;
}
export interface S3Info {
  endpoint: string;
  bucket: string;
  accessKeyId: string;
  secretAccessKey: string;
  caCertFile: string;
}
export interface PushgatewayInfo {
  url: string;
}
export interface Stoppable {
  stop(): Promise<void>;
}
export interface S3Server extends S3Info, Stoppable {
  /** Kill the server process (SIGKILL by default) but keep its port and data. */
  kill(signal?: NodeJS.Signals): Promise<void>;
  /** Start it again on the same port and data dir (no-op when running). */
  start(): Promise<void>;
  /** kill('SIGTERM') then start(). */
  restart(): Promise<void>;
}

const HOST = '127.0.0.1';
const READY_TIMEOUT_MS = 30_000;

// ---------- small utilities ----------

const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));

/** Resolve a binary on PATH, also looking in the sbin dirs a CI user's PATH may lack. */
export function bin(name: string): string {
  const dirs = [...(process.env.PATH ?? '').split(delimiter), '/usr/local/sbin', '/usr/sbin', '/sbin'];
  for (const d of dirs) if (d && existsSync(join(d, name))) return join(d, name);
  throw new Error(`${name} not found: run scripts/install-test-deps.sh`);
}

const ROOT_PATH = ['/usr/local/sbin', '/usr/local/bin', '/usr/sbin', '/usr/bin', '/sbin', '/bin'];

/** A program in a root filesystem: its path as seen inside the root (the host's own without a root). */
function binIn(root: string | undefined, name: string): string {
  if (!root) return bin(name);
  for (const d of ROOT_PATH) if (existsSync(join(root, d, name))) return join(d, name);
  throw new Error(`${name} not found in ${root}: run scripts/make-test-rootfs.sh`);
}

/** The command and arguments that run `cmd` (a path inside the root) in the root with chroot, or on the host. */
function inRoot(root: string | undefined, cmd: string, args: string[]): [string, string[]] {
  return root ? [bin('chroot'), [root, cmd, ...args]] : [cmd, args];
}

export interface RunOptions {
  env?: Record<string, string | undefined> | undefined;
  input?: string | Buffer | undefined;
  cwd?: string | undefined;
}

/** Run a command (argument array, no shell); resolve its stdout, reject with its stderr. */
export function run(cmd: string, args: string[], opts: RunOptions = {}): Promise<string> {
  return new Promise((resolve, reject) => {
    const child = spawn(cmd, args, { cwd: opts.cwd, env: { ...process.env, ...opts.env }, stdio: 'pipe' });
    const out: Buffer[] = [];
    const err: Buffer[] = [];
    child.stdout.on('data', (b: Buffer) => out.push(b));
    child.stderr.on('data', (b: Buffer) => err.push(b));
    child.on('error', reject);
    child.on('close', (code, signal) => {
      const stdout = Buffer.concat(out).toString();
      if (code === 0) return resolve(stdout);
      const stderr = Buffer.concat(err).toString().trim().slice(-2000);
      reject(new Error(`${cmd} ${args.join(' ')} exited ${code ?? signal}: ${stderr || stdout.slice(-2000)}`));
    });
    child.stdin.on('error', () => {}); // the command may exit before reading its input
    child.stdin.end(opts.input ?? '');
  });
}

const usedPorts = new Set<number>();
/** A free TCP port on 127.0.0.1 (bind port 0), never the same one twice in this process. */
export async function freePort(): Promise<number> {
  for (;;) {
    const port = await new Promise<number>((resolve, reject) => {
      const srv = net.createServer();
      srv.once('error', reject);
      srv.listen(0, HOST, () => {
        const { port } = srv.address() as net.AddressInfo;
        srv.close(() => resolve(port));
      });
    });
    if (!usedPorts.has(port)) return (usedPorts.add(port), port);
  }
}

async function makeDir(baseDir: string | undefined, prefix: string): Promise<string> {
  const dir = await mkdtemp(join(baseDir ?? tmpdir(), `${prefix}-`));
  await chmod(dir, 0o755); // server users (postgres, mysql) must traverse it
  return dir;
}

async function logTail(file: string, lines = 25): Promise<string> {
  const text = await readFile(file, 'utf8').catch(() => '');
  return text.trimEnd().split('\n').slice(-lines).join('\n');
}

// Kill whatever is still running if the process exits without a teardown.
const livePids = new Set<number>();
process.once('exit', () => {
  for (const pid of livePids)
    try {
      process.kill(pid, 'SIGKILL');
    } catch {
      /* gone */
    }
});

interface Proc {
  child: ChildProcess;
  exited: Promise<void>;
  running: boolean;
  log: string;
}

function launch(cmd: string, args: string[], log: string, cwd: string): Proc {
  const fd = openSync(log, 'a');
  const child = spawn(cmd, args, { cwd, stdio: ['ignore', fd, fd] });
  closeSync(fd);
  const proc: Proc = { child, running: true, log, exited: Promise.resolve() };
  proc.exited = new Promise((resolve) => {
    const done = () => {
      proc.running = false;
      if (child.pid) livePids.delete(child.pid);
      resolve();
    };
    child.once('exit', done);
    child.once('error', done);
  });
  if (child.pid) livePids.add(child.pid);
  return proc;
}

/** Signal `pid` (default: the child), wait for the child to exit; SIGKILL after a grace period. */
async function terminate(proc: Proc, signal: NodeJS.Signals = 'SIGTERM', pid = proc.child.pid): Promise<void> {
  if (!proc.running) return;
  try {
    if (pid) process.kill(pid, signal);
  } catch {
    /* already gone */
  }
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<'timeout'>((r) => {
    timer = setTimeout(() => r('timeout'), 15_000);
  });
  const outcome = await Promise.race([proc.exited, timeout]);
  clearTimeout(timer);
  if (outcome !== 'timeout') return;
  for (const p of new Set([pid, proc.child.pid]))
    try {
      if (p) process.kill(p, 'SIGKILL');
    } catch {
      /* gone */
    }
  await proc.exited;
}

/** Poll `check` until it resolves true; fail early (with the log tail) if the process exits. */
async function waitReady(name: string, proc: Proc, check: () => Promise<boolean>): Promise<void> {
  const deadline = Date.now() + READY_TIMEOUT_MS;
  for (;;) {
    if (!proc.running) throw new Error(`${name} exited during startup:\n${await logTail(proc.log)}`);
    if (await check().catch(() => false)) return;
    if (Date.now() > deadline) {
      throw new Error(`${name} not ready after ${READY_TIMEOUT_MS} ms:\n${await logTail(proc.log)}`);
    }
    await sleep(50);
  }
}

/** Start, wait until ready; on failure stop the process, remove the dir and rethrow. */
async function boot(name: string, dir: string, proc: Proc, check: () => Promise<boolean>, kill = () => terminate(proc)) {
  try {
    await waitReady(name, proc, check);
  } catch (e) {
    await kill();
    await rm(dir, { recursive: true, force: true });
    throw e;
  }
}

async function withCleanup<T>(dir: string, fn: () => Promise<T>): Promise<T> {
  try {
    return await fn();
  } catch (e) {
    await rm(dir, { recursive: true, force: true });
    throw e;
  }
}

// ---------- PostgreSQL ----------

/** /usr/lib/postgresql/<newest major>/bin (of a root filesystem: the path inside it) */
export async function postgresBinDir(root?: string): Promise<string> {
  const lib = '/usr/lib/postgresql';
  const majors = (await readdir(join(root ?? '/', lib)).catch(() => [] as string[]))
    .filter((d) => /^\d+$/.test(d) && existsSync(join(root ?? '/', lib, d, 'bin', 'postgres')))
    .sort((a, b) => Number(b) - Number(a));
  if (!majors[0]) throw new Error(`no PostgreSQL under ${join(root ?? '/', lib)}: run scripts/install-test-deps.sh`);
  return join(lib, majors[0], 'bin');
}

export async function startPostgres(opts: StartOptions = {}): Promise<PostgresInfo & Stoppable> {
  const { root } = opts;
  const [serverBin, binDir, port, dir] = await Promise.all([postgresBinDir(root), postgresBinDir(), freePort(), makeDir(opts.baseDir, 'pg')]);
  const data = join(dir, 'data');
  const log = join(dir, 'server.log');
  const password = randomBytes(12).toString('hex');
  const asPostgres = (cmd: string, args: string[]) => inRoot(root, binIn(root, 'runuser'), ['-u', 'postgres', '--', join(serverBin, cmd), ...args]);
  await withCleanup(dir, async () => {
    const [uid, gid] = await ids('postgres', root);
    await chown(dir, uid, gid);
    const pwfile = join(dir, 'pwfile');
    await writeFile(pwfile, `${password}\n`, { mode: 0o600 });
    await chown(pwfile, uid, gid);
    await run(
      ...asPostgres('initdb', [
        '-D',
        data,
        '-U',
        'postgres',
        '--auth=scram-sha-256',
        `--pwfile=${pwfile}`,
        '-E',
        'UTF8',
        '--locale=C.UTF-8',
        '--no-sync',
        '--no-instructions',
      ]),
      { cwd: dir },
    );
    await rm(pwfile);
  });
  const tlsArgs = opts.tls ? await serverTlsFiles(dir, opts.tls, await ids('postgres', root)) : undefined;
  const proc = launch(
    ...asPostgres('postgres', [
      '-D',
      data,
      '-p',
      String(port),
      '-k',
      dir,
      '-c',
      `listen_addresses=${HOST}`,
      '-c',
      'fsync=off',
      '-c',
      'synchronous_commit=off',
      '-c',
      'full_page_writes=off',
      ...(tlsArgs
        ? [
            '-c',
            'ssl=on',
            '-c',
            `ssl_cert_file=${tlsArgs.cert}`,
            '-c',
            `ssl_key_file=${tlsArgs.key}`,
            ...(tlsArgs.ca ? ['-c', `ssl_ca_file=${tlsArgs.ca}`] : []),
          ]
        : []),
    ]),
    log,
    dir,
  );
  // runuser forks: signal the postmaster itself (SIGINT = fast shutdown), then wait for runuser.
  const postmasterPid = async () => Number((await readFile(join(data, 'postmaster.pid'), 'utf8')).split('\n')[0]);
  const kill = async () => terminate(proc, 'SIGINT', await postmasterPid().catch(() => proc.child.pid));
  await boot(
    'postgres',
    dir,
    proc,
    async () => {
      await run(join(binDir, 'pg_isready'), ['-q', '-h', HOST, '-p', String(port), '-U', 'postgres']);
      return true;
    },
    kill,
  );
  const pid = await postmasterPid();
  livePids.add(pid);
  return {
    host: HOST,
    port,
    user: 'postgres',
    password,
    socketDir: dir,
    binDir,
    async stop() {
      await kill();
      livePids.delete(pid);
      await rm(dir, { recursive: true, force: true });
    },
  };
}

/** Copies a server's TLS files into its dir, owned by the server's user, the key 0600 (PostgreSQL refuses others). */
async function serverTlsFiles(
  dir: string,
  t: NonNullable<StartOptions['tls']>,
  [uid, gid]: [number, number],
): Promise<{ cert: string; key: string; ca?: string }> {
  const out: Record<string, string> = {};
  for (const [name, from] of Object.entries({ cert: t.certFile, key: t.keyFile, ca: t.caFile })) {
    if (!from) continue;
    const to = join(dir, `server-tls-${name}.pem`);
    await writeFile(to, await readFile(from), { mode: 0o600 });
    await chown(to, uid, gid);
    out[name] = to;
  }
  return out as { cert: string; key: string; ca?: string };
}

/** A user's uid and gid in the host's (or a root filesystem's) /etc/passwd. */
async function ids(user: string, root = '/'): Promise<[number, number]> {
  const line = (await readFile(join(root, 'etc/passwd'), 'utf8')).split('\n').find((l) => l.startsWith(`${user}:`));
  if (!line) throw new Error(`no user ${user} in ${join(root, 'etc/passwd')}`);
  const [, , uid, gid] = line.split(':');
  return [Number(uid), Number(gid)];
}

// ---------- MariaDB ----------

export async function startMariadb(opts: StartOptions = {}): Promise<MariadbInfo & Stoppable> {
  const { root } = opts;
  const tool = (name: string, args: string[]) => inRoot(root, binIn(root, name), args);
  const [port, dir] = await Promise.all([freePort(), makeDir(opts.baseDir, 'mariadb')]);
  const data = join(dir, 'data');
  const socket = join(dir, 'mysqld.sock');
  const log = join(dir, 'server.log');
  const tmp = join(dir, 'tmp');
  const password = randomBytes(12).toString('hex');
  await withCleanup(dir, async () => {
    await chown(dir, ...(await ids('mysql', root)));
    await mkdir(tmp);
    await chown(tmp, ...(await ids('mysql', root)));
    // Its own temp dir: concurrent bootstraps in the shared /tmp were seen to lose each other's temporary tables.
    await run(
      ...tool('mariadb-install-db', [
        '--no-defaults',
        '--user=mysql',
        `--datadir=${data}`,
        '--auth-root-authentication-method=normal',
        '--skip-test-db',
        '--skip-name-resolve',
        `--tmpdir=${tmp}`,
      ]),
      { cwd: dir },
    );
  });
  const tlsFiles = opts.tls ? await serverTlsFiles(dir, opts.tls, await ids('mysql', root)) : undefined;
  const tlsArgs = tlsFiles ? [`--ssl-cert=${tlsFiles.cert}`, `--ssl-key=${tlsFiles.key}`, ...(tlsFiles.ca ? [`--ssl-ca=${tlsFiles.ca}`] : [])] : [];
  const proc = launch(
    ...tool('mariadbd', [
      '--no-defaults',
      '--user=mysql',
      `--datadir=${data}`,
      `--socket=${socket}`,
      `--pid-file=${join(dir, 'mysqld.pid')}`,
      `--port=${port}`,
      `--bind-address=${HOST}`,
      '--skip-name-resolve',
      '--innodb-flush-log-at-trx-commit=0',
      '--innodb-doublewrite=0',
      `--tmpdir=${tmp}`,
      ...tlsArgs,
    ]),
    log,
    dir,
  );
  await boot('mariadb', dir, proc, async () => {
    await run(...tool('mariadb-admin', ['--no-defaults', '-S', socket, '-u', 'root', 'ping']));
    return true;
  });
  const stop = async () => {
    await terminate(proc);
    await rm(dir, { recursive: true, force: true });
  };
  const sql = `ALTER USER 'root'@'localhost' IDENTIFIED BY '${password}';
    CREATE OR REPLACE USER 'root'@'127.0.0.1' IDENTIFIED BY '${password}';
    GRANT ALL PRIVILEGES ON *.* TO 'root'@'127.0.0.1' WITH GRANT OPTION;`;
  try {
    await run(...tool('mariadb', ['--no-defaults', '-S', socket, '-u', 'root']), { input: sql });
  } catch (e) {
    await stop();
    throw e;
  }
  return { host: HOST, port, user: 'root', password, socket, stop };
}

// ---------- Redis ----------

export async function startRedis(opts: StartOptions & { password?: string } = {}): Promise<RedisInfo & Stoppable> {
  const [port, dir] = await Promise.all([freePort(), makeDir(opts.baseDir, 'redis')]);
  const args = ['--port', String(port), '--bind', HOST, '--dir', dir, '--save', '', '--appendonly', 'no', '--repl-diskless-sync-delay', '0'];
  if (opts.password) args.push('--requirepass', opts.password);
  const proc = launch(...inRoot(opts.root, binIn(opts.root, 'redis-server'), args), join(dir, 'server.log'), dir);
  await boot('redis', dir, proc, async () => {
    const out = await run(bin('redis-cli'), ['-h', HOST, '-p', String(port), 'PING'], { env: { REDISCLI_AUTH: opts.password } });
    return out.trim() === 'PONG';
  });
  return {
    host: HOST,
    port,
    dir,
    ...(opts.password ? { password: opts.password } : {}),
    async stop() {
      await terminate(proc);
      await rm(dir, { recursive: true, force: true });
    },
  };
}

// ---------- S3 (s3rver over TLS) ----------

const s3rverScript = createRequire(import.meta.url).resolve('s3rver/bin/s3rver.js');

export async function startS3(opts: StartOptions & { bucket?: string } = {}): Promise<S3Server> {
  const bucket = opts.bucket ?? 'safehold-test';
  const [port, dir] = await Promise.all([freePort(), makeDir(opts.baseDir, 's3')]);
  const key = join(dir, 'key.pem');
  const caCertFile = join(dir, 'cert.pem');
  await withCleanup(dir, async () => {
    await mkdir(join(dir, 'data'));
    await run(bin('openssl'), [
      'req',
      '-x509',
      '-newkey',
      'ec',
      '-pkeyopt',
      'ec_paramgen_curve:prime256v1',
      '-nodes',
      '-keyout',
      key,
      '-out',
      caCertFile,
      '-days',
      '30',
      '-subj',
      `/CN=${HOST}`,
      '-addext',
      `subjectAltName=IP:${HOST}`,
    ]);
  });
  const ca = await readFile(caCertFile);
  const tlsReady = () =>
    new Promise<boolean>((resolve) => {
      const sock = tls.connect({ host: HOST, port, ca }, () => {
        sock.end();
        resolve(true);
      });
      sock.once('error', () => resolve(false));
    });
  let proc: Proc | undefined;
  const kill = async (signal: NodeJS.Signals = 'SIGKILL') => {
    if (proc) await terminate(proc, signal);
  };
  const start = async () => {
    if (proc?.running) return;
    const p = launch(
      process.execPath,
      [
        s3rverScript,
        '-d',
        join(dir, 'data'),
        '-a',
        HOST,
        '-p',
        String(port),
        '--no-vhost-buckets',
        '--configure-bucket',
        bucket,
        '--key',
        key,
        '--cert',
        caCertFile,
      ],
      join(dir, 'server.log'),
      dir,
    );
    proc = p;
    await waitReady('s3rver', p, tlsReady).catch(async (e) => {
      await terminate(p);
      throw e;
    });
  };
  await withCleanup(dir, start);
  return {
    endpoint: `https://${HOST}:${port}`,
    bucket,
    accessKeyId: 'S3RVER',
    secretAccessKey: 'S3RVER',
    caCertFile,
    kill,
    start,
    async restart() {
      await kill('SIGTERM');
      await start();
    },
    async stop() {
      await kill('SIGTERM');
      await rm(dir, { recursive: true, force: true });
    },
  };
}

// ---------- Prometheus Pushgateway ----------

export async function startPushgateway(opts: StartOptions = {}): Promise<PushgatewayInfo & Stoppable> {
  const [port, dir] = await Promise.all([freePort(), makeDir(opts.baseDir, 'pushgateway')]);
  const url = `${opts.tls ? 'https' : 'http'}://${HOST}:${port}`;
  const webConfig = join(dir, 'web-config.yml');
  // --web.config.file (Pushgateway 1.5): tls_server_config serves https.
  if (opts.tls) await writeFile(webConfig, `tls_server_config:\n  cert_file: ${opts.tls.certFile}\n  key_file: ${opts.tls.keyFile}\n`);
  const proc = launch(
    bin('prometheus-pushgateway'),
    [`--web.listen-address=${HOST}:${port}`, ...(opts.tls ? [`--web.config.file=${webConfig}`] : [])],
    join(dir, 'server.log'),
    dir,
  );
  const ca = opts.tls?.caFile ? await readFile(opts.tls.caFile) : undefined;
  await boot('pushgateway', dir, proc, async () => {
    if (!opts.tls) {
      const res = await fetch(`${url}/-/ready`);
      await res.arrayBuffer();
      return res.ok;
    }
    return new Promise<boolean>((resolve) => {
      https
        .get(`${url}/-/ready`, { ca }, (res) => {
          res.resume();
          resolve(res.statusCode === 200);
        })
        .once('error', () => resolve(false));
    });
  });
  return {
    url,
    async stop() {
      await terminate(proc);
      await rm(dir, { recursive: true, force: true });
    },
  };
}

// ---------- Prometheus (scrapes the Pushgateway as a real setup does: honor_labels, here every second) ----------

export interface PrometheusInfo {
  url: string;
}

export async function startPrometheus(targets: { pushgateway: string }, opts: StartOptions = {}): Promise<PrometheusInfo & Stoppable> {
  const [port, dir] = await Promise.all([freePort(), makeDir(opts.baseDir, 'prometheus')]);
  const url = `http://${HOST}:${port}`;
  const config = [
    'global: { scrape_interval: 1s, evaluation_interval: 1s }',
    'scrape_configs:',
    '  - job_name: pushgateway',
    '    honor_labels: true',
    `    static_configs: [{ targets: ["${new URL(targets.pushgateway).host}"] }]`,
    '',
  ].join('\n');
  const { writeFile } = await import('node:fs/promises');
  await writeFile(join(dir, 'prometheus.yml'), config);
  const proc = launch(
    bin('prometheus'),
    [`--config.file=${join(dir, 'prometheus.yml')}`, `--storage.tsdb.path=${join(dir, 'data')}`, `--web.listen-address=${HOST}:${port}`],
    join(dir, 'server.log'),
    dir,
  );
  await boot('prometheus', dir, proc, async () => {
    const res = await fetch(`${url}/-/ready`);
    await res.arrayBuffer();
    return res.ok;
  });
  return {
    url,
    async stop() {
      await terminate(proc);
      await rm(dir, { recursive: true, force: true });
    },
  };
}
