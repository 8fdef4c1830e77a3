/**
 * `latchkey operator` as a child process of the reconcile bench, so its heap, RSS and CPU time are its own:
 * started through the CLI as a cluster would run it (JSON logs, default concurrency), its log written to a
 * file, stopped by itself when the bench goes away (child-guard.ts) or its time is up.
 */

import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import { closeSync, createReadStream, openSync, readdirSync, readFileSync } from 'node:fs';
import { stat } from 'node:fs/promises';
import { basename, join } from 'node:path';
import { createInterface } from 'node:readline';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { LEASES, type KubeClient, type KubeObject } from '../../src/kube/types.ts';
import { REPO_ROOT } from '../lib/children.ts';

const GUARD = pathToFileURL(fileURLToPath(new URL('../lib/child-guard.ts', import.meta.url))).href;
const CONTROL = pathToFileURL(fileURLToPath(new URL('reconcile-control.ts', import.meta.url))).href;
const STOP_GRACE_MS = 20_000;
const LEASE_NAME = 'latchkey-operator';
export const OPERATOR_IDENTITY = 'reconcile-bench';

export interface OperatorProcess {
  process: ChildProcess;
  pid: number;
  issuer: string;
  tokenEndpoint: string;
  opsOrigin: string;
  logPath: string;
  /** Resolves with the exit code (or signal) once it has exited. */
  exited: Promise<number | string>;
  /** The last lines of its log, for error messages. */
  tail(lines?: number): string;
}

export interface OperatorOptions {
  kubeconfig: string;
  namespace: string;
  port: number;
  opsPort: number;
  /** Folder for the log. */
  dir: string;
  /** Most seconds the operator may live (child-guard.ts stops it). */
  maxSeconds: number;
}

const running = new Set<OperatorProcess>();

export function startOperatorProcess(options: OperatorOptions): OperatorProcess {
  const logPath = join(options.dir, 'operator.log');
  const issuer = `http://127.0.0.1:${options.port}`;
  const nodeFlags = ['--expose-gc', '--import', GUARD, '--import', CONTROL];
  const args = [
    'src/cli/main.ts',
    'operator',
    '--issuer',
    issuer,
    '--kubeconfig',
    options.kubeconfig,
    '--namespace',
    options.namespace,
    '--host',
    '127.0.0.1',
    '--port',
    String(options.port),
    '--ops-port',
    String(options.opsPort),
    '--identity',
    OPERATOR_IDENTITY,
  ];
  const fd = openSync(logPath, 'a');
  let proc: ChildProcess;
  try {
    proc = spawn(process.execPath, [...nodeFlags, ...args], {
      cwd: REPO_ROOT,
      env: { ...process.env, LATCHKEY_BENCH_MAX_SECONDS: String(options.maxSeconds) },
      // stdin is a pipe from us: child-guard.ts stops the operator when it ends (the bench was killed).
      stdio: ['pipe', fd, fd],
    });
  } finally {
    closeSync(fd);
  }
  const exited = new Promise<number | string>((resolve) => {
    proc.once('exit', (code, signal) => resolve(code ?? signal ?? 'unknown'));
    proc.once('error', () => resolve('spawn error'));
  });
  const operator: OperatorProcess = {
    process: proc,
    pid: proc.pid ?? 0,
    issuer,
    tokenEndpoint: `${issuer}/oauth2/token`,
    opsOrigin: `http://127.0.0.1:${options.opsPort}`,
    logPath,
    exited,
    tail: (lines = 20) => {
      try {
        return readFileSync(logPath, 'utf8').trimEnd().split('\n').slice(-lines).join('\n');
      } catch {
        return '(no log)';
      }
    },
  };
  running.add(operator);
  void exited.then(() => running.delete(operator));
  return operator;
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** Waits until `/readyz` answers 200 (caches synced, keys loaded) and the operator holds the Lease. */
export async function waitUntilLeading(
  operator: OperatorProcess,
  api: KubeClient,
  namespace: string,
  timeoutMs: number,
): Promise<void> {
  const deadline = performance.now() + timeoutMs;
  let exitCode: number | string | undefined;
  void operator.exited.then((code) => (exitCode = code));
  let last: string | undefined;
  for (;;) {
    if (exitCode !== undefined) {
      throw new Error(`the operator exited (${exitCode}) before it was ready:\n${operator.tail()}`);
    }
    try {
      const res = await fetch(`${operator.opsOrigin}/readyz`);
      const body = await res.text();
      if (!res.ok) last = `/readyz ${res.status} ${body}`;
      else {
        const lease = await api.get<KubeObject>(LEASES, namespace, LEASE_NAME);
        const holder = (lease?.['spec'] as { holderIdentity?: string } | undefined)?.holderIdentity;
        last = `Lease holder ${holder ?? 'none'}`;
        if (holder === OPERATOR_IDENTITY) return;
      }
    } catch (err) {
      last = (err as Error).message;
    }
    if (performance.now() > deadline) {
      throw new Error(
        `the operator did not lead within ${timeoutMs / 1000}s (${last ?? '?'}):\n${operator.tail()}`,
      );
    }
    await sleep(100);
  }
}

export interface Memory {
  /** VmRSS from /proc/<pid>/status. */
  rssBytes: number;
  /** VmHWM from /proc/<pid>/status: the highest RSS so far. */
  peakRssBytes: number;
  /** `nodejs_heap_size_used_bytes` of the ops port's /metrics. */
  heapUsedBytes: number;
  /** `process_resident_memory_bytes` of /metrics (the same RSS, as the operator reports it). */
  metricsRssBytes: number;
  /** `nodejs_heap_size_total_bytes`: heap V8 has committed, used or not. */
  heapTotalBytes: number;
  /** `nodejs_external_memory_bytes`: ArrayBuffers and other memory outside the V8 heap. */
  externalBytes: number;
}

/** Sends a command line to reconcile-control.ts in the operator. */
function command(operator: OperatorProcess, line: string): void {
  operator.process.stdin?.write(`${line}\n`);
}

/** Starts the operator's CPU profiler (see reconcile-control.ts). */
export function startProfile(operator: OperatorProcess): void {
  command(operator, 'profile-start');
}

/** Stops the operator's CPU profiler and waits until it wrote the profile to `path`. */
export async function stopProfile(
  operator: OperatorProcess,
  path: string,
  timeoutMs = 60_000,
): Promise<void> {
  command(operator, `profile-stop ${path}`);
  const deadline = performance.now() + timeoutMs;
  for (;;) {
    try {
      JSON.parse(readFileSync(path, 'utf8'));
      return;
    } catch {
      // Not written (completely) yet.
    }
    if (performance.now() > deadline) throw new Error(`the operator wrote no CPU profile to ${path}`);
    await sleep(100);
  }
}

/** Operator memory after a full garbage collection (see reconcile-control.ts). */
export async function memoryAfterGc(operator: OperatorProcess): Promise<Memory> {
  command(operator, 'gc');
  await sleep(1_000);
  const text = await (await fetch(`${operator.opsOrigin}/metrics`)).text();
  const status = readFileSync(`/proc/${operator.pid}/status`, 'utf8');
  const kb = (field: string) =>
    Number(new RegExp(`^${field}:\\s+(\\d+)\\s+kB`, 'm').exec(status)?.[1]) * 1024;
  return {
    rssBytes: kb('VmRSS'),
    peakRssBytes: kb('VmHWM'),
    heapUsedBytes: metric(text, 'nodejs_heap_size_used_bytes'),
    metricsRssBytes: metric(text, 'process_resident_memory_bytes'),
    heapTotalBytes: metric(text, 'nodejs_heap_size_total_bytes'),
    externalBytes: metric(text, 'nodejs_external_memory_bytes'),
  };
}

/** Fetches the operator's /metrics text. */
export async function metricsText(operator: OperatorProcess): Promise<string> {
  return (await fetch(`${operator.opsOrigin}/metrics`)).text();
}

/** The value of an unlabelled metric, or the sum over the series whose labels contain `labels`. */
export function metric(text: string, name: string, labels = ''): number {
  let sum = 0;
  let found = false;
  for (const line of text.split('\n')) {
    if (!line.startsWith(name)) continue;
    const rest = line.slice(name.length);
    if (rest[0] !== ' ' && rest[0] !== '{') continue;
    if (labels !== '' && !rest.includes(labels)) continue;
    const value = Number(rest.slice(rest.lastIndexOf(' ') + 1));
    if (Number.isFinite(value)) {
      sum += value;
      found = true;
    }
  }
  if (!found) throw new Error(`no metric ${name}${labels ? ` with ${labels}` : ''} on /metrics`);
  return sum;
}

let ticksPerSecond: number | undefined;

/** CPU seconds (user + system, every thread) a process used so far, from /proc/<pid>/stat; 0 once it is gone. */
export function cpuSecondsOf(pid: number): number {
  try {
    const text = readFileSync(`/proc/${pid}/stat`, 'utf8');
    const fields = text.slice(text.lastIndexOf(')') + 2).split(' ');
    ticksPerSecond ??= clockTicks();
    return (Number(fields[11]) + Number(fields[12])) / ticksPerSecond;
  } catch {
    return 0;
  }
}

/**
 * The processes whose command line contains `marker` (e.g. the control plane's temporary folder, which
 * kube-apiserver's --cert-dir and etcd's --data-dir name), by executable name.
 */
export function processesWith(marker: string): Map<string, number> {
  const found = new Map<string, number>();
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      const argv = readFileSync(`/proc/${entry}/cmdline`, 'utf8').split('\0');
      if (argv.some((a) => a.includes(marker))) found.set(basename(argv[0] ?? entry), Number(entry));
    } catch {
      // Gone meanwhile.
    }
  }
  return found;
}

function clockTicks(): number {
  return Number(execFileSync('getconf', ['CLK_TCK'], { encoding: 'utf8' }).trim()) || 100;
}

/** Busy and total CPU seconds of the whole machine, every core (first line of /proc/stat), to tell how loaded it was. */
export function machineTicks(): { busy: number; total: number } {
  const first = readFileSync('/proc/stat', 'utf8').split('\n')[0] ?? '';
  const n = first.trim().split(/\s+/).slice(1, 9).map(Number);
  const total = n.reduce((a, b) => a + b, 0);
  const idle = (n[3] ?? 0) + (n[4] ?? 0);
  ticksPerSecond ??= clockTicks();
  return { busy: (total - idle) / ticksPerSecond, total: total / ticksPerSecond };
}

export interface LogSummary {
  lines: number;
  bytes: number;
  /** Lines per `event` field (store.swapped, object.notReady, ...). */
  byEvent: Record<string, number>;
  /** The first lines at error level or about keys, watches or failed reconciles (each cut to 400 characters). */
  notable: string[];
}

const NOTABLE =
  /"level":(50|60)|"event":"(keys\.corrupt|keys\.restored|reconcile\.failed|watch\.reconnected|watch\.relisted)"/;
const MAX_NOTABLE = 10;

/** Counts the operator's JSON log lines by event from byte `from` on, to see how often it rebuilt and what it logged. */
export async function summarizeLog(path: string, from = 0): Promise<LogSummary> {
  const byEvent: Record<string, number> = {};
  const notable: string[] = [];
  let lines = 0;
  const input = createInterface({
    input: createReadStream(path, { encoding: 'utf8', start: from }),
    crlfDelay: Infinity,
  });
  for await (const line of input) {
    lines++;
    const event = /"event":"([^"]+)"/.exec(line)?.[1] ?? (line.startsWith('{') ? 'other' : 'text');
    byEvent[event] = (byEvent[event] ?? 0) + 1;
    if (notable.length < MAX_NOTABLE && NOTABLE.test(line)) notable.push(line.slice(0, 400));
  }
  return { lines, bytes: (await stat(path)).size - from, byEvent, notable };
}

/** The log's size now: where a later phase's lines start. */
export async function logSize(path: string): Promise<number> {
  return (await stat(path)).size;
}

/** SIGTERM (the operator drains and exits, writing its CPU profile), then SIGKILL if it does not. */
export async function stopOperator(operator: OperatorProcess): Promise<number | string> {
  if (operator.process.exitCode !== null || operator.process.signalCode !== null) return operator.exited;
  operator.process.kill('SIGTERM');
  const timer = setTimeout(() => operator.process.kill('SIGKILL'), STOP_GRACE_MS);
  const code = await operator.exited;
  clearTimeout(timer);
  return code;
}

/** Stops every operator still running (on an error or Ctrl-C). */
export async function stopAllOperators(): Promise<void> {
  await Promise.all([...running].map((o) => stopOperator(o)));
}
