/**
 * `npm run bench -- --profile`: the servers run under `node --cpu-prof`, the bench notes when each run's load
 * was on, and after the run each process's profile is cut into one profile per row (kind and algorithm) and
 * summarized: main-thread time per token by group of code, and the top functions. See bench/README.md.
 */

import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { readdir, rename, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { Child } from '../lib/children.ts';
import {
  profileTable,
  readProfile,
  sliceProfile,
  summarizeCpuProfile,
  type CpuProfile,
  type ProfileGroup,
  type ProfileSummary,
  type ProfileWindow,
} from '../lib/profile.ts';
import type { BenchAlgorithm, BenchKind } from '../lib/protocol.ts';
import { rowLabel, type ServerName } from '../lib/report.ts';

/** Options for `node` that make a server write its main thread's CPU profile to `dir` when it exits. */
export function cpuProfileArgs(dir: string): string[] {
  return ['--cpu-prof', '--cpu-prof-dir', dir];
}

/**
 * Where the main thread's time on the token path goes. A sample counts for the innermost frame that one of
 * these names (see `summarizeCpuProfile`), so `createHash` called by client authentication is client
 * authentication and `res.end` called by fastify is Node's HTTP. The floor's functions are named too, so its
 * column compares. V8 builtins (`JSON.stringify`, `JSON.parse`, regular expressions) have no frame of their
 * own: they count for their caller.
 */
export const TOKEN_GROUPS: readonly ProfileGroup[] = [
  { name: 'garbage collection', pattern: /^\(garbage collector\)$/ },
  { name: 'V8 and native, no JS frame', pattern: /^\(program\)$/ },
  {
    name: 'JWS signing and verifying (node:crypto, main-thread part)',
    pattern: / src\/server\/jwt-sign\.ts:| node:internal\/crypto\/sig:|^sign node:crypto:/,
  },
  {
    name: 'client authentication',
    pattern:
      / src\/server\/client-auth\.ts:| src\/server\/assertion\/| node_modules\/jose\/|^(authenticated|assertionClientOf|federatedClientOf) bench\/token\/floor-server\.ts:/,
  },
  {
    name: 'form parsing',
    pattern: / src\/server\/form\.ts:|^(URLSearchParams|parseParams) node:internal\/url:/,
  },
  {
    name: 'grant and claims',
    pattern:
      / src\/server\/(claims|jti)\.ts:| src\/server\/grants\/|^(grant|newJti) bench\/token\/floor-server\.ts:/,
  },
  {
    name: 'token verification (introspection)',
    pattern: / src\/server\/token-check\.ts:|^introspect bench\/token\/floor-server\.ts:/,
  },
  {
    name: 'events, logging and metrics',
    pattern:
      / src\/(events|log)\.ts:| src\/server\/metrics\.ts:| src\/dev\/reporter\.ts:| node_modules\/(prom-client|pino|tdigest|bintrees)\//,
  },
  {
    name: 'endpoint steps and replies',
    pattern: / src\/server\/(endpoints\/|reply\.ts|errors\.ts|app\.ts)| bench\/token\/floor-server\.ts:/,
  },
  {
    name: 'fastify',
    pattern:
      / node_modules\/(fastify|@fastify\/[^/]+|find-my-way|avvio|light-my-request|toad-cache|secure-json-parse|abstract-logging|fast-[a-z-]+)\//,
  },
  {
    name: 'promise jobs and ticks',
    pattern: /^(runMicrotasks|processTicksAndRejections|nextTick) |^runMicrotasks$/,
  },
  {
    name: 'Node HTTP and sockets',
    pattern:
      / node:(_http_[a-z_]+|net|stream|internal\/(streams\/|stream_base_commons|http|net|js_stream_socket))/,
  },
];

/** Steps of the token path reported with their inclusive time, whether or not they make the top lists. */
export const TOKEN_WATCHED: readonly string[] = [
  'authenticateClient src/server/client-auth.ts',
  'parseForm src/server/form.ts',
  'issueAccessToken src/server/grants/client-credentials.ts',
  'accessTokenClaims src/server/claims.ts',
  'signAccessToken src/server/jwt-sign.ts',
  'emit src/events.ts',
  'observeRequest src/server/metrics.ts',
  '(garbage collector)',
];

const STOP_GRACE_MS = 60_000;

/** A server the bench profiles; `name` names its profile file. */
export interface ProfiledProcess {
  name: string;
  child: Child;
}

/**
 * Stops the profiled servers (SIGTERM, as the bench always does, but with time to write a large profile) and
 * renames each one's main-thread profile to `<dir>/<name>.cpuprofile`. Node names them
 * `CPU.<date>.<time>.<pid>.<thread>.<seq>.cpuprofile`; the main thread is thread 0.
 *
 * @returns the path of each process's profile, by name
 */
export async function collectProfiles(
  dir: string,
  processes: readonly ProfiledProcess[],
): Promise<Map<string, string>> {
  await Promise.all(
    processes.map(async ({ child }) => {
      child.process.kill('SIGTERM');
      const timer = setTimeout(() => child.process.kill('SIGKILL'), STOP_GRACE_MS);
      await child.exited;
      clearTimeout(timer);
    }),
  );
  const files = await readdir(dir);
  const paths = new Map<string, string>();
  for (const { name, child } of processes) {
    const file = files.find((f) => mainThreadProfileOf(f) === child.process.pid);
    if (file === undefined) {
      throw new Error(
        `${child.name} (pid ${child.process.pid}) wrote no CPU profile to ${dir}:\n${child.tail()}`,
      );
    }
    const path = join(dir, `${name}.cpuprofile`);
    await rename(join(dir, file), path);
    paths.set(name, path);
  }
  return paths;
}

/**
 * The pid of a main thread's profile named as `node --cpu-prof` names it, else undefined.
 *
 * @example
 * mainThreadProfileOf('CPU.20261123.101500.4242.0.001.cpuprofile'); // 4242
 */
export function mainThreadProfileOf(file: string): number | undefined {
  const m = /^CPU\.\d+\.\d+\.(\d+)\.(\d+)\.\d+\.cpuprofile$/.exec(file);
  return m?.[2] === '0' ? Number(m[1]) : undefined;
}

let ticksPerSecond: number | undefined;

/**
 * CPU seconds (user + system) the main thread of process `pid` has used so far, from
 * /proc/<pid>/task/<pid>/stat; undefined where there is none. Unlike the profile's samples, which are wall
 * clock, this does not count time the thread waited for a core.
 */
export function mainThreadCpuSeconds(pid: number | undefined): number | undefined {
  if (pid === undefined) return undefined;
  try {
    const stat = readFileSync(`/proc/${pid}/task/${pid}/stat`, 'utf8');
    // Fields after "pid (comm) ": utime is field 14, stime 15 (proc(5)).
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    ticksPerSecond ??= Number(execFileSync('getconf', ['CLK_TCK'], { encoding: 'utf8' }).trim()) || 100;
    return (Number(fields[11]) + Number(fields[12])) / ticksPerSecond;
  } catch {
    return undefined;
  }
}

/** One measured run of a profiled server: which profile, when its load was on, what it issued. */
export interface ProfiledRun {
  server: ServerName;
  kind: BenchKind;
  alg: BenchAlgorithm;
  /** The {@link ProfiledProcess.name} that served it. */
  process: string;
  window: ProfileWindow;
  issued: number;
  /** The process's CPU seconds over the run, every thread (from /proc). */
  serverCpuSeconds: number | undefined;
  /** Its main thread's CPU seconds over the run (see {@link mainThreadCpuSeconds}). */
  mainThreadCpuSeconds: number | undefined;
}

/** A row's runs on one server, summarized. */
export interface ProfiledRow {
  server: ServerName;
  kind: BenchKind;
  alg: BenchAlgorithm;
  /** The row's own profile, cut from its process's. */
  file: string;
  issued: number;
  serverCpuSeconds: number | undefined;
  mainThreadCpuSeconds: number | undefined;
  summary: ProfileSummary;
}

export const profileFileName = (r: Pick<ProfiledRow, 'server' | 'kind' | 'alg'>) =>
  `${r.server}-${r.kind}-${r.alg}.cpuprofile`;

/**
 * Cuts each process's profile to the windows of its runs, one profile per row written next to it, and
 * summarizes each with {@link TOKEN_GROUPS}; rows in the order of their first run.
 */
export async function profileRows(
  dir: string,
  profiles: ReadonlyMap<string, string>,
  runs: readonly ProfiledRun[],
  top = 10,
): Promise<ProfiledRow[]> {
  const loaded = new Map<string, CpuProfile>();
  const byRow = new Map<string, ProfiledRun[]>();
  for (const run of runs) {
    const key = `${run.server} ${run.kind} ${run.alg}`;
    byRow.set(key, [...(byRow.get(key) ?? []), run]);
  }
  const rows: ProfiledRow[] = [];
  for (const rowRuns of byRow.values()) {
    const first = rowRuns[0] as ProfiledRun;
    let profile = loaded.get(first.process);
    if (profile === undefined) {
      const path = profiles.get(first.process);
      if (path === undefined) throw new Error(`no CPU profile of ${first.process}`);
      profile = await readProfile(path);
      loaded.set(first.process, profile);
    }
    const slice = sliceProfile(
      profile,
      rowRuns.map((r) => r.window),
    );
    const file = join(dir, profileFileName(first));
    await writeFile(file, JSON.stringify(slice));
    const total = (seconds: (number | undefined)[]) =>
      seconds.every((x) => x !== undefined) ? seconds.reduce((n, x) => n + x, 0) : undefined;
    rows.push({
      server: first.server,
      kind: first.kind,
      alg: first.alg,
      file,
      issued: rowRuns.reduce((n, r) => n + r.issued, 0),
      serverCpuSeconds: total(rowRuns.map((r) => r.serverCpuSeconds)),
      mainThreadCpuSeconds: total(rowRuns.map((r) => r.mainThreadCpuSeconds)),
      summary: summarizeCpuProfile(slice, { top, groups: TOKEN_GROUPS, watched: TOKEN_WATCHED }),
    });
  }
  return rows;
}

const SERVER_TITLE: Record<ServerName, string> = { latchkey: 'Latchkey', floor: 'floor' };
const micros = (n: number | undefined) => (n === undefined || !Number.isFinite(n) ? 'n/a' : n.toFixed(1));

/**
 * CPU microseconds per token, one column per algorithm and server, for one kind: the process's and its main
 * thread's (from /proc), then the main thread's split by group in proportion to its samples.
 */
export function groupTable(rows: readonly ProfiledRow[]): string {
  const perToken = (seconds: number | undefined, r: ProfiledRow) =>
    seconds === undefined || r.issued === 0 ? undefined : (seconds * 1e6) / r.issued;
  const groups = rows[0]?.summary.groups.map((g) => g.fn) ?? [];
  const line = (title: string, cell: (r: ProfiledRow) => string) =>
    `| ${title} | ${rows.map(cell).join(' | ')} |`;
  return [
    `| CPU µs per token | ${rows.map((r) => `${r.alg} ${SERVER_TITLE[r.server]}`).join(' | ')} |`,
    `| --- |${rows.map(() => ' ---: |').join('')}`,
    line('process, every thread', (r) => micros(perToken(r.serverCpuSeconds, r))),
    line('main thread', (r) => micros(perToken(r.mainThreadCpuSeconds, r))),
    line('other threads (signing, GC helpers, compiler)', (r) => {
      const all = perToken(r.serverCpuSeconds, r);
      const main = perToken(r.mainThreadCpuSeconds, r);
      return all === undefined || main === undefined ? 'n/a' : micros(all - main);
    }),
    ...groups.map((name) =>
      line(`main thread: ${name}`, (r) => {
        const g = r.summary.groups.find((x) => x.fn === name);
        const main = perToken(r.mainThreadCpuSeconds, r);
        if (g === undefined) return 'n/a';
        const share = `${(g.share * 100).toFixed(0)} %`;
        return main === undefined ? share : `${micros(g.share * main)} (${share})`;
      }),
    ),
  ].join('\n');
}

/**
 * The profile section of the output and the results file: where the profiles are, a group table per kind,
 * then Latchkey's top functions per row.
 */
export function profileMarkdown(
  dir: string,
  rows: readonly ProfiledRow[],
  processes: readonly string[],
): string {
  const kinds = [...new Set(rows.map((r) => r.kind))];
  const latchkey = rows.filter((r) => r.server === 'latchkey');
  return [
    '## CPU profiles (`--profile`)',
    '',
    "V8 CPU profiles of the servers' main threads (`node --cpu-prof`, a sample per millisecond), cut to the",
    'runs of each row (warm-up and measurement). The profiler slows the servers: the throughput above is lower',
    "than an unprofiled run's. Signing and verifying run on the libuv thread pool: the main thread only",
    'dispatches them. CPU per token comes from /proc for the whole process and for its main thread; the main',
    "thread's is split by group in proportion to its samples. A group is the self time of the code it names and",
    'of what that code calls that no group names (Node internals; builtins such as `JSON.stringify`, which have',
    'no frame of their own). Samples are wall clock: on a busy machine a frame that wakes another thread (a',
    'socket write, handing a job to the thread pool) also collects the time the main thread then waited for a',
    'core, so read the shares there as upper bounds.',
    '',
    `Profiles in \`${dir}\`: whole processes (${processes.map((p) => `\`${p}.cpuprofile\``).join(', ')})`,
    'and one per row (`<server>-<kind>-<alg>.cpuprofile`). Open one in Chrome DevTools (Performance → Load',
    'profile) or drop it on https://www.speedscope.app for a flame graph.',
    '',
    ...kinds.flatMap((kind) => [
      `### Where a token's CPU goes: ${kind}`,
      '',
      groupTable(rows.filter((r) => r.kind === kind)),
      '',
    ]),
    ...latchkey.flatMap((r) => [
      `### Latchkey ${rowLabel(r)}${r.kind === 'client_secret_basic' ? ' (client_secret_basic)' : ''}: ` +
        `main thread busy ${Math.round(r.summary.busyMs).toLocaleString('en-US')} ms of ` +
        `${Math.round(r.summary.totalMs).toLocaleString('en-US')} ms, ${r.issued.toLocaleString('en-US')} tokens`,
      '',
      profileTable(r.summary.self, 'self time'),
      '',
      profileTable(r.summary.inclusive, 'inclusive time'),
      '',
      profileTable(
        r.summary.watched.filter((w) => w.ms > 0),
        'token path steps (inclusive)',
      ),
      '',
    ]),
  ].join('\n');
}
