/**
 * Server processes that tests start for real (etcd and kube-apiserver in test/integration/envtest.ts, PostgreSQL
 * in test/support/postgres.ts), guarded so none outlives the test process: each is killed by `stopManaged()`, by
 * an exit hook, and by a watchdog shell if this process dies without running exit handlers (SIGKILL, crash).
 * Temporary folders made with `makeTempDir()` are removed the same three ways.
 */
import { spawn, type ChildProcess, type SpawnOptions } from 'node:child_process';
import { closeSync, openSync, readFileSync, rmSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';

/** A free TCP port on 127.0.0.1 (free when asked; the process that uses it binds it soon after). */
export async function freePort(): Promise<number> {
  return new Promise((done, fail) => {
    const server = createServer();
    server.unref();
    server.on('error', fail);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      const port = typeof address === 'object' && address ? address.port : 0;
      server.close(() => (port ? done(port) : fail(new Error('no port'))));
    });
  });
}

export interface ManagedProcess {
  name: string;
  child: ChildProcess;
  logPath: string;
  exited: Promise<void>;
  /** undefined while it runs; then its exit code, or -1 when a signal ended it or it could not start. */
  exitCode: number | null | undefined;
  /** Sends `signal` the way the process was started to be signalled (see ManagedSpawn.signal). */
  signal(signal: NodeJS.Signals): void;
}

export interface ManagedSpawn {
  name: string;
  binary: string;
  args: string[];
  /** stdout and stderr are appended here. */
  logPath: string;
  /** Removed by the watchdog when this process dies abruptly. */
  tempDir: string;
  /** PostgreSQL: `detached`, and `uid`/`gid` of nobody when running as root. */
  spawnOptions?: Pick<SpawnOptions, 'detached' | 'uid' | 'gid'>;
  /**
   * How the exit hook and the grace-period kill reach the process; the child alone by default. PostgreSQL
   * signals every backend too, since each runs in a session of its own.
   */
  signal?: (managed: ManagedProcess, signal: NodeJS.Signals) => void;
}

const running = new Set<ManagedProcess & { watchdog: ChildProcess }>();
const tempDirs = new Set<string>();
let exitHookInstalled = false;

function installExitHook(): void {
  if (exitHookInstalled) return;
  exitHookInstalled = true;
  process.on('exit', () => {
    for (const m of running) {
      m.signal('SIGCONT');
      m.signal('SIGKILL');
      m.watchdog.kill('SIGKILL');
    }
    for (const dir of tempDirs) {
      try {
        rmSync(dir, { recursive: true, force: true });
      } catch {
        // best effort while exiting
      }
    }
  });
}

/** A fresh folder under the system temp folder, removed at exit (or by the watchdog) unless removeTempDir() ran. */
export async function makeTempDir(prefix: string): Promise<string> {
  installExitHook();
  const dir = await mkdtemp(join(tmpdir(), prefix));
  tempDirs.add(dir);
  return dir;
}

export async function removeTempDir(dir: string): Promise<void> {
  await rm(dir, { recursive: true, force: true });
  tempDirs.delete(dir);
}

// $1 our pid, $2 the child's, $3 the temp folder. Stopped processes (SIGSTOP in fault tests) are woken first,
// the child's own children included, so that the kill and the exits it causes are not held up.
const WATCHDOG = [
  'while kill -0 "$1" 2>/dev/null && kill -0 "$2" 2>/dev/null; do sleep 1; done',
  'if ! kill -0 "$1" 2>/dev/null; then',
  '  pkill -CONT -P "$2" 2>/dev/null; kill -CONT "$2" 2>/dev/null; kill -9 "$2" 2>/dev/null; sleep 1; rm -rf "$3"',
  'fi',
].join('\n');

/** Starts `binary` with its output in `logPath`, guarded as the module comment says. */
export function startManaged(spec: ManagedSpawn): ManagedProcess {
  installExitHook();
  const fd = openSync(spec.logPath, 'a');
  let child: ChildProcess;
  try {
    child = spawn(spec.binary, spec.args, { ...spec.spawnOptions, stdio: ['ignore', fd, fd] });
  } finally {
    closeSync(fd);
  }
  // A forgotten stop must not keep this process alive; the exit hook kills the child.
  child.unref();
  // Exit handlers do not run when this process is killed: a detached shell polls our pid instead.
  const watchdog = spawn(
    'sh',
    ['-c', WATCHDOG, 'watchdog', String(process.pid), String(child.pid ?? ''), spec.tempDir],
    { detached: true, stdio: 'ignore' },
  );
  watchdog.unref();
  const signalWith = spec.signal;
  const managed: ManagedProcess & { watchdog: ChildProcess } = {
    name: spec.name,
    child,
    watchdog,
    logPath: spec.logPath,
    exitCode: undefined,
    signal: (signal) => (signalWith ? signalWith(managed, signal) : child.kill(signal)),
    exited: new Promise<void>((done) => {
      const finish = (code: number | null) => {
        managed.exitCode = code;
        running.delete(managed);
        watchdog.kill('SIGKILL');
        done();
      };
      child.on('exit', (code, signal) => finish(code ?? (signal ? -1 : null)));
      child.on('error', () => finish(-1));
    }),
  };
  running.add(managed);
  return managed;
}

/**
 * Wakes the process (it may be SIGSTOPped), sends the child `signal` and, after `graceMs`, SIGKILL. Returns once
 * it has exited; a missing or exited process is fine.
 */
export async function stopManaged(
  m: ManagedProcess | undefined,
  signal: NodeJS.Signals,
  graceMs = 10_000,
): Promise<void> {
  if (!m || m.exitCode !== undefined) return;
  m.signal('SIGCONT');
  m.child.kill(signal);
  const timer = setTimeout(() => m.signal('SIGKILL'), graceMs);
  await m.exited;
  clearTimeout(timer);
}

export function logTail(path: string, lines = 30): string {
  try {
    return readFileSync(path, 'utf8').trim().split('\n').slice(-lines).join('\n');
  } catch {
    return '(no log)';
  }
}

export interface WaitOptions {
  timeoutMs: number;
  intervalMs: number;
  /** Completes "<name> exited (code …) before …", e.g. `healthy` or `it answered`. */
  before: string;
  /** Completes "<name> did not … within", e.g. `become healthy` or `answer`. */
  didNot: string;
}

/** Polls `check` until it returns true; throws with the log's tail when the process exits or time runs out. */
export async function waitUntil(
  m: ManagedProcess,
  options: WaitOptions,
  check: () => Promise<boolean>,
): Promise<void> {
  const deadline = Date.now() + options.timeoutMs;
  let last = '';
  for (;;) {
    if (m.exitCode !== undefined) {
      throw new Error(
        `${m.name} exited (code ${m.exitCode}) before ${options.before}. Log ${m.logPath}:\n${logTail(m.logPath)}`,
      );
    }
    try {
      if (await check()) return;
    } catch (error) {
      last = error instanceof Error ? error.message : String(error);
    }
    if (Date.now() > deadline) {
      throw new Error(
        `${m.name} did not ${options.didNot} within ${options.timeoutMs} ms (${last}). ` +
          `Log ${m.logPath}:\n${logTail(m.logPath)}`,
      );
    }
    await sleep(options.intervalMs);
  }
}
