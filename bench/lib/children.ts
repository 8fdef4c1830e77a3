/**
 * The processes the bench starts, and stopping every one of them whatever happens. Each child gets stdin as
 * a pipe from us: child-guard.ts stops it when that pipe ends, so even a killed bench leaves nothing behind.
 */

import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { createInterface } from 'node:readline';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { CONFIG_ENV, type LoadResult } from './protocol.ts';
import type { Run } from './report.ts';

export const REPO_ROOT = fileURLToPath(new URL('../..', import.meta.url));
const GUARD = pathToFileURL(fileURLToPath(new URL('child-guard.ts', import.meta.url))).href;
const TAIL_CHARS = 4000;
const STOP_GRACE_MS = 5_000;

export interface Child {
  name: string;
  process: ChildProcess;
  /** The last lines it wrote to stdout and stderr, for error messages. */
  tail(): string;
  /** Resolves with the exit code (or signal) once it has exited and its output is read. */
  exited: Promise<number | string>;
}

const running = new Set<Child>();

export interface StartOptions {
  /** Arguments after `node --import <guard>`. */
  args: string[];
  /** The guard module's URL: child-guard.ts unless the child runs compiled (compiled.ts). */
  guard?: string;
  /** Most seconds the child may live (child-guard.ts stops it). */
  maxSeconds: number;
  /** JSON config for bench children (see protocol.ts). */
  config?: unknown;
}

/** Starts `node` (the one running the bench) with the guard preloaded, in the repository root. */
export function startChild(name: string, options: StartOptions): Child {
  const env: NodeJS.ProcessEnv = { ...process.env, LATCHKEY_BENCH_MAX_SECONDS: String(options.maxSeconds) };
  if (options.config !== undefined) env[CONFIG_ENV] = JSON.stringify(options.config);
  const proc = spawn(process.execPath, ['--import', options.guard ?? GUARD, ...options.args], {
    cwd: REPO_ROOT,
    env,
    stdio: ['pipe', 'pipe', 'pipe'],
  });
  let tail = '';
  const keep = (chunk: Buffer) => {
    tail = (tail + chunk.toString('utf8')).slice(-TAIL_CHARS);
  };
  proc.stderr?.on('data', keep);
  proc.stdout?.on('data', keep);
  const exited = new Promise<number | string>((resolve) => {
    // 'close', not 'exit': stdout may still hold data when the process has exited.
    proc.once('close', (code, signal) => resolve(code ?? signal ?? 'unknown'));
    proc.once('error', (err) => {
      keep(Buffer.from(`${err.message}\n`));
      resolve('spawn error');
    });
  });
  const child: Child = { name, process: proc, tail: () => tail, exited };
  running.add(child);
  void exited.then(() => running.delete(child));
  return child;
}

/** Waits for a stdout line starting with `prefix` and returns the rest of it. */
export function waitForLine(child: Child, prefix: string, timeoutMs: number): Promise<string> {
  return new Promise((resolve, reject) => {
    const lines = createInterface({ input: child.process.stdout! });
    const timer = setTimeout(
      () => finish(new Error(`${child.name} was not ready after ${timeoutMs / 1000}s:\n${child.tail()}`)),
      timeoutMs,
    );
    const finish = (err: Error | null, rest?: string) => {
      clearTimeout(timer);
      lines.removeAllListeners('line');
      if (err) reject(err);
      else resolve(rest ?? '');
    };
    lines.on('line', (line) => {
      if (line.startsWith(prefix)) finish(null, line.slice(prefix.length));
    });
    void child.exited.then((code) =>
      finish(new Error(`${child.name} exited (${code}) before it was ready:\n${child.tail()}`)),
    );
  });
}

/** Runs a child to its end and returns everything it wrote to stdout. */
export async function runToEnd(child: Child): Promise<string> {
  let out = '';
  child.process.stdout?.on('data', (chunk: Buffer) => (out += chunk.toString('utf8')));
  const code = await child.exited;
  if (code !== 0) throw new Error(`${child.name} failed (${code}):\n${child.tail()}`);
  return out;
}

/** Stops every child still running: SIGTERM, then SIGKILL for those that do not exit in time. */
export async function stopAll(): Promise<void> {
  await Promise.all(
    [...running].map(async (child) => {
      child.process.kill('SIGTERM');
      const timer = setTimeout(() => child.process.kill('SIGKILL'), STOP_GRACE_MS);
      await child.exited;
      clearTimeout(timer);
    }),
  );
}

let ticksPerSecond: number | undefined;

/**
 * CPU seconds (user + system, every thread, so the libuv pool's signing counts) a child has used so far, from
 * /proc/<pid>/stat; undefined where there is no /proc.
 */
export function cpuSeconds(child: Child): number | undefined {
  try {
    const stat = readFileSync(`/proc/${child.process.pid}/stat`, 'utf8');
    // Fields after "pid (comm) ": state is field 3, utime 14, stime 15 (proc(5)).
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    ticksPerSecond ??= Number(execFileSync('getconf', ['CLK_TCK'], { encoding: 'utf8' }).trim()) || 100;
    return (Number(fields[11]) + Number(fields[12])) / ticksPerSecond;
  } catch {
    return undefined;
  }
}

/**
 * Runs a load generator (load.ts) to its end: what it saw, and the server's CPU seconds meanwhile as
 * `serverCpu` reads them (undefined where they cannot be read).
 */
export async function loadRun(load: Child, serverCpu: () => number | undefined): Promise<Run> {
  const before = serverCpu();
  const loaded = JSON.parse(await runToEnd(load)) as LoadResult;
  const after = serverCpu();
  // A load generator that had work for the server before its clock started read the server's CPU itself.
  if (loaded.serverCpuSeconds !== undefined) return { ...loaded, serverCpuSeconds: loaded.serverCpuSeconds };
  return {
    ...loaded,
    serverCpuSeconds: before === undefined || after === undefined ? undefined : after - before,
  };
}
