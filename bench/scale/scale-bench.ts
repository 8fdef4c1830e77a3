/**
 * `npm run bench:scale`: the declared world at scale (issue 6). For 10, 1,000 and 10,000 OAuthClients: how
 * long the operator's snapshot rebuild after one change takes, and the heap per client (scale-child.ts, one
 * process per size); then `latchkey dev` with 10 and with 10,000 clients side by side under the same load
 * (load.ts), clients picked at random. Prints the tables and writes bench/results/<date>-scale.md.
 */

import { mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { readFileSync, rmSync } from 'node:fs';
import { loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { parse } from 'yaml';
import { devArgs, IMAGE_NODE_FLAGS, metadataUrl } from '../lib/latchkey-dev.ts';
import {
  cpuSeconds,
  REPO_ROOT,
  runToEnd,
  startChild,
  stopAll,
  waitForLine,
  type Child,
} from '../lib/children.ts';
import type { LoadConfig, LoadResult } from '../lib/protocol.ts';
import {
  AUDIENCE,
  clientName,
  GRANT_SCOPE,
  ROLE_SCOPE,
  WORKLOAD_NAMESPACE,
} from '../lib/declared-objects.ts';
import { summarizeProfile } from '../lib/operator-profile.ts';
import { describeMachine, summarize, type Run } from '../lib/report.ts';
import { commit, machine } from '../lib/run-info.ts';
import type { ScaleChildConfig, ScaleChildResult } from './scale-child.ts';
import {
  describeScaleSettings,
  heapTable,
  profileSection,
  rebuildTable,
  SCALE_NOTES,
  scaleMarkdown,
  tokenTable,
  type ScaleReport,
  type ScaleSettings,
  type TokenComparison,
  type TokenWorld,
} from './scale-report.ts';
import { declaredObjects } from './scale-world.ts';

const USAGE = `Usage: npm run bench:scale -- [options]

  --sizes A,B,C     clients of the worlds whose rebuild and heap are measured (default 10,1000,10000)
  --repeats N       measured rebuilds per size, each after one change (default 25)
  --large N         clients of the large world of the token runs; the small one has 10 (default 10000)
  --connections N   keep-alive connections per token run, one request in flight on each (default 32)
  --parallel N      load generators per token run, each with its own random client (default 4)
  --warmup S        seconds of warm-up before each measured token run (default 2)
  --duration S      measured seconds per token run (default 4)
  --rounds N        token runs per world (default 4)
  --profile         CPU-profile rebuilds of the largest size and print the top functions
  --quick           sizes 10,1000, 8 rebuilds, token worlds 10 and 1,000, 1 short round; not saved
  --no-save         do not write bench/results/<date>-scale.md
`;

const SMALL_WORLD = 10;
const LIFETIME_SECONDS = 300;
// No scope parameter: the token carries every scope the client holds on the API, its grant's and its Role's.
const TOKEN_SCOPE = `${GRANT_SCOPE} ${ROLE_SCOPE}`;
const PAUSE_BETWEEN_RUNS_MS = 500;
const PROFILE_REBUILDS = 10;

interface Options extends ScaleSettings {
  profile: boolean;
  save: boolean;
}

function count(name: string, text: string | undefined, fallback: number, min = 1): number {
  if (text === undefined) return fallback;
  const n = Number(text);
  if (!Number.isInteger(n) || n < min) throw new Error(`--${name} must be an integer ≥ ${min}, got ${text}`);
  return n;
}

function seconds(name: string, text: string | undefined, fallback: number): number {
  if (text === undefined) return fallback;
  const n = Number(text);
  if (!Number.isFinite(n) || n <= 0) throw new Error(`--${name} must be a positive number, got ${text}`);
  return n;
}

function parseOptions(argv: string[]): Options | undefined {
  const { values } = parseArgs({
    args: argv,
    options: {
      sizes: { type: 'string' },
      repeats: { type: 'string' },
      large: { type: 'string' },
      connections: { type: 'string' },
      parallel: { type: 'string' },
      warmup: { type: 'string' },
      duration: { type: 'string' },
      rounds: { type: 'string' },
      profile: { type: 'boolean', default: false },
      quick: { type: 'boolean', default: false },
      'no-save': { type: 'boolean', default: false },
      help: { type: 'boolean', short: 'h', default: false },
    },
    strict: true,
    allowPositionals: false,
  });
  if (values.help) return undefined;
  const quick = values.quick;
  const sizes = (values.sizes ?? (quick ? '10,1000' : '10,1000,10000'))
    .split(',')
    .map((s) => count('sizes', s.trim(), 0));
  const connections = count('connections', values.connections, 32);
  const parallel = count('parallel', values.parallel, quick ? 2 : 4);
  if (connections % parallel !== 0) {
    throw new Error(`--connections (${connections}) must be a multiple of --parallel (${parallel})`);
  }
  const large = count('large', values.large, quick ? 1000 : 10_000, SMALL_WORLD + 1);
  return {
    sizes: [...new Set(sizes)].sort((a, b) => a - b),
    warmupRebuilds: quick ? 2 : 5,
    repeats: count('repeats', values.repeats, quick ? 8 : 25),
    tokenWorlds: [SMALL_WORLD, large],
    connections,
    parallel,
    warmupSeconds: seconds('warmup', values.warmup, quick ? 1 : 2),
    measureSeconds: seconds('duration', values.duration, quick ? 2 : 4),
    rounds: count('rounds', values.rounds, quick ? 1 : 4),
    profile: values.profile,
    // A quick run's numbers are too rough to commit.
    save: !values['no-save'] && !quick,
  };
}

async function measureWorld(n: number, options: Options, profilePath?: string): Promise<ScaleChildResult> {
  const config: ScaleChildConfig = {
    n,
    warmup: options.warmupRebuilds,
    repeats: options.repeats,
    ...(profilePath !== undefined ? { profilePath, profileRepeats: PROFILE_REBUILDS } : {}),
  };
  // A rebuild of 10,000 clients takes about a second on a busy 2-core machine, three calls per measured one.
  const rebuilds =
    options.warmupRebuilds + options.repeats + (profilePath !== undefined ? PROFILE_REBUILDS : 0);
  const child = startChild(`scale world ${n}`, {
    maxSeconds: Math.ceil(120 + (rebuilds * 3 + 10) * (n / 1000) * 0.5),
    args: ['--expose-gc', 'bench/scale/scale-child.ts'],
    config,
  });
  return JSON.parse(await runToEnd(child)) as ScaleChildResult;
}

/** One world as a folder of manifests, served by `latchkey dev`. */
interface DevWorld {
  clients: number;
  root: string;
  child: Child;
  issuer: string;
  tokenEndpoint: string;
  jwksUri: string;
  readySeconds: number;
  idleRssBytes: number | undefined;
}

/** VmRSS from /proc; undefined where there is none. */
function rssBytes(child: Child): number | undefined {
  try {
    const kib = /^VmRSS:\s+(\d+) kB$/m.exec(readFileSync(`/proc/${child.process.pid}/status`, 'utf8'))?.[1];
    return kib === undefined ? undefined : Number(kib) * 1024;
  } catch {
    return undefined;
  }
}

async function startWorld(parent: string, clients: number, maxSeconds: number): Promise<DevWorld> {
  const root = join(parent, `world-${clients}`);
  const manifests = join(root, 'manifests');
  await mkdir(manifests, { recursive: true });
  // JSON documents are YAML: one file, as `kubectl apply -f` of a large folder would read them.
  await writeFile(
    join(manifests, 'world.yaml'),
    `${declaredObjects(clients)
      .map((o) => JSON.stringify(o))
      .join('\n---\n')}\n`,
  );
  const started = performance.now();
  const child = startChild(`Latchkey dev (${clients} clients)`, {
    maxSeconds,
    args: [...IMAGE_NODE_FLAGS, 'src/cli/main.ts', 'dev', ...devArgs(root)],
  });
  // Dev mode writes one Secret file per client before it is ready.
  const ready = await waitForLine(child, 'Latchkey dev is ready', 60_000 + clients * 30);
  const readySeconds = (performance.now() - started) / 1000;
  const issuer = /issuer (\S+)/.exec(ready)?.[1];
  if (issuer === undefined) throw new Error(`no issuer in the ready line: ${ready}`);
  const metadata = (await (await fetch(metadataUrl(issuer))).json()) as {
    token_endpoint: string;
    jwks_uri: string;
  };
  return {
    clients,
    root,
    child,
    issuer,
    tokenEndpoint: metadata.token_endpoint,
    jwksUri: metadata.jwks_uri,
    readySeconds,
    idleRssBytes: rssBytes(child),
  };
}

/** The client id and secret dev mode generated for client i, from its Secret file in the state folder. */
async function credentials(world: DevWorld, i: number): Promise<{ clientId: string; clientSecret: string }> {
  const path = join(world.root, 'state', 'secrets', WORKLOAD_NAMESPACE, `${clientName(i)}-oauth.yaml`);
  const doc = parse(await readFile(path, 'utf8')) as { data?: Record<string, string> } | null;
  const decode = (key: string) => {
    const value = doc?.data?.[key];
    if (value === undefined) throw new Error(`${path} has no ${key}`);
    return Buffer.from(value, 'base64').toString('utf8');
  };
  return { clientId: decode('client_id'), clientSecret: decode('client_secret') };
}

/** Load generators running side by side count as one run: their tokens and latencies add up. */
function concurrentRun(results: readonly LoadResult[], serverCpuSeconds: number | undefined): Run {
  const latencies = Buffer.concat(results.map((r) => Buffer.from(r.latencies, 'base64')));
  const sum = (f: (r: LoadResult) => number) => results.reduce((n, r) => n + f(r), 0);
  const failure = results.find((r) => r.firstFailure !== undefined)?.firstFailure;
  const first = results[0];
  if (first === undefined) throw new Error('a token run without load generators');
  return {
    ok: sum((r) => r.ok),
    issued: sum((r) => r.issued),
    cpuSeconds: sum((r) => r.cpuSeconds),
    elapsedSeconds: Math.max(...results.map((r) => r.elapsedSeconds)),
    failed: sum((r) => r.failed),
    ...(failure !== undefined ? { firstFailure: failure } : {}),
    seconds: first.seconds,
    requestsPerSecond: sum((r) => r.requestsPerSecond),
    latencies: latencies.toString('base64'),
    sample: results.find((r) => !r.sample.valid)?.sample ?? first.sample,
    serverCpuSeconds,
  };
}

/** One token run: `parallel` load generators at once on one world, each for a client picked at random. */
async function tokenRun(world: DevWorld, options: Options, used: Set<number>): Promise<Run> {
  const picks = new Set<number>();
  while (picks.size < Math.min(options.parallel, world.clients))
    picks.add(Math.floor(Math.random() * world.clients));
  const configs: LoadConfig[] = [];
  for (const i of picks) {
    used.add(i);
    configs.push({
      ...(await credentials(world, i)),
      tokenEndpoint: world.tokenEndpoint,
      audience: AUDIENCE,
      connections: options.connections / options.parallel,
      warmupSeconds: options.warmupSeconds,
      measureSeconds: options.measureSeconds,
      jwksUri: world.jwksUri,
      issuer: world.issuer,
      alg: 'RS256',
      scope: TOKEN_SCOPE,
      lifetimeSeconds: LIFETIME_SECONDS,
    });
  }
  const maxSeconds = Math.ceil(options.warmupSeconds + options.measureSeconds + 60);
  const cpuBefore = cpuSeconds(world.child);
  const loads = configs.map((config, k) =>
    startChild(`load ${k + 1} (${world.clients} clients)`, {
      maxSeconds,
      args: ['bench/lib/load.ts'],
      config,
    }),
  );
  const outputs = await Promise.all(loads.map(runToEnd));
  const cpuAfter = cpuSeconds(world.child);
  return concurrentRun(
    outputs.map((out) => JSON.parse(out) as LoadResult),
    cpuBefore === undefined || cpuAfter === undefined ? undefined : cpuAfter - cpuBefore,
  );
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

async function compareTokens(parent: string, options: Options): Promise<TokenComparison> {
  const [smallN, largeN] = options.tokenWorlds;
  const runSeconds = options.warmupSeconds + options.measureSeconds;
  const maxSeconds = Math.ceil(600 + options.rounds * 2 * (runSeconds + 20) + largeN * 0.05);
  process.stdout.write(
    `Starting latchkey dev with ${smallN} and with ${largeN.toLocaleString('en-US')} clients…\n`,
  );
  const small = await startWorld(parent, smallN, maxSeconds);
  const large = await startWorld(parent, largeN, maxSeconds);
  for (const w of [small, large]) {
    process.stdout.write(`  ${w.clients} clients: ready after ${w.readySeconds.toFixed(1)} s\n`);
  }
  const runs = new Map<DevWorld, Run[]>([
    [small, []],
    [large, []],
  ]);
  const used = new Map<DevWorld, Set<number>>([
    [small, new Set()],
    [large, new Set()],
  ]);
  for (let round = 0; round < options.rounds; round++) {
    // ABBA, so drift on a shared machine weighs on both worlds alike.
    const order = round % 2 === 0 ? [small, large] : [large, small];
    for (const world of order) {
      const run = await tokenRun(world, options, used.get(world) as Set<number>);
      runs.get(world)?.push(run);
      const one = summarize([run]);
      process.stdout.write(
        `${String(world.clients).padStart(6)} clients round ${round + 1}/${options.rounds}: ${Math.round(one.requestsPerSecond)} tokens/s, ` +
          `p50 ${one.p50.toFixed(1)} ms, p99 ${one.p99.toFixed(1)} ms` +
          `${one.problems.length > 0 ? `  INVALID: ${one.problems.join('; ')}` : ''}\n`,
      );
      await sleep(PAUSE_BETWEEN_RUNS_MS);
    }
  }
  const side = (w: DevWorld): TokenWorld => ({
    clients: w.clients,
    readySeconds: w.readySeconds,
    idleRssBytes: w.idleRssBytes,
    summary: summarize(runs.get(w) ?? []),
    distinctClients: used.get(w)?.size ?? 0,
  });
  const s = side(small);
  const l = side(large);
  return {
    small: s,
    large: l,
    roundRatios: l.summary.runs.map((rps, i) => rps / (s.summary.runs[i] ?? Number.NaN)),
  };
}

let tempRoot: string | undefined;

async function main(): Promise<number> {
  const options = parseOptions(process.argv.slice(2));
  if (options === undefined) {
    process.stdout.write(USAGE);
    return 0;
  }
  const loadStart = loadavg()[0] ?? Number.NaN;
  const m = machine();
  process.stdout.write(`${describeMachine(m)}\n${describeScaleSettings(options)}\n\n`);
  const root = await mkdtemp(join(tmpdir(), 'latchkey-scale-bench-'));
  tempRoot = root;
  try {
    const worlds: ScaleChildResult[] = [];
    for (const n of options.sizes) {
      process.stdout.write(`Rebuilds and heap with ${n.toLocaleString('en-US')} clients…\n`);
      worlds.push(await measureWorld(n, options));
    }
    process.stdout.write(`\n${rebuildTable(worlds)}\n\n${heapTable(worlds)}\n\n`);
    let profile: ScaleReport['profile'];
    const largest = options.sizes.at(-1);
    if (options.profile && largest !== undefined) {
      // A process of its own: the profiler's own allocations would otherwise count in the heap readings.
      process.stdout.write(`Profiling rebuilds with ${largest.toLocaleString('en-US')} clients…\n`);
      const profilePath = join(root, 'rebuilds.cpuprofile');
      await measureWorld(largest, { ...options, repeats: 1 }, profilePath);
      profile = { n: largest, rebuilds: PROFILE_REBUILDS, summary: await summarizeProfile(profilePath, 12) };
      process.stdout.write(`\n${profileSection(profile)}\n\n`);
    }

    const tokens = await compareTokens(root, options);
    process.stdout.write(`\n${tokenTable(tokens)}\n\n${SCALE_NOTES}\n`);
    const problems = [tokens.small, tokens.large].flatMap((w) =>
      w.summary.problems.map((p) => `${w.clients} clients: ${p}`),
    );
    if (problems.length > 0) {
      process.stderr.write(`\nThe run is not valid:\n${problems.map((p) => `  ${p}`).join('\n')}\n`);
      return 1;
    }
    if (options.save) {
      const date = new Date().toISOString().slice(0, 10);
      const { profile: _profile, save: _save, ...settings } = options;
      const report: ScaleReport = {
        date,
        commit: commit(),
        machine: m,
        loadAverage: { start: loadStart, end: loadavg()[0] ?? Number.NaN },
        settings,
        worlds,
        tokens,
        ...(profile !== undefined ? { profile } : {}),
      };
      const dir = join(REPO_ROOT, 'bench', 'results');
      await mkdir(dir, { recursive: true });
      const file = join(dir, `${date}-scale.md`);
      await writeFile(file, scaleMarkdown(report));
      process.stdout.write(`\nwrote ${file.slice(REPO_ROOT.length)}\n`);
    }
    return 0;
  } finally {
    await stopAll();
    await rm(root, { recursive: true, force: true });
  }
}

for (const signal of ['SIGINT', 'SIGTERM'] as const) {
  process.once(signal, () => {
    process.stderr.write(`\n${signal}: stopping the servers\n`);
    void stopAll().finally(() => {
      if (tempRoot !== undefined) rmSync(tempRoot, { recursive: true, force: true });
      process.exit(130);
    });
  });
}

main().then(
  (code) => process.exit(code),
  async (err: unknown) => {
    process.stderr.write(`bench:scale: ${(err as Error).message}\n`);
    await stopAll();
    if (tempRoot !== undefined) rmSync(tempRoot, { recursive: true, force: true });
    process.exit(1);
  },
);
