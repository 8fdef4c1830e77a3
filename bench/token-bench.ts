/**
 * `npm run bench`: client_credentials tokens per second over keep-alive, Latchkey dev mode against a floor
 * server doing the same work with nothing else (floor-server.ts), for RS256 and ES256, in one run. Prints the
 * table and writes bench/results/<date>-token.md. See bench/README.md.
 */

import { execFileSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { readFileSync, rmSync } from 'node:fs';
import { mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { availableParallelism, platform, release, tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { parse } from 'yaml';
import { cpuSeconds, REPO_ROOT, runToEnd, startChild, stopAll, waitForLine, type Child } from './children.ts';
import {
  FLOOR_READY,
  type BenchAlgorithm,
  type FloorApi,
  type FloorConfig,
  type LoadConfig,
  type LoadResult,
} from './protocol.ts';
import {
  cpuTable,
  describeMachine,
  describeSettings,
  resultsMarkdown,
  shapeDifferences,
  summarize,
  table,
  type AlgorithmResult,
  type Machine,
  type Report,
  type Run,
  type ServerName,
  type Settings,
} from './report.ts';

const USAGE = `Usage: npm run bench -- [options]

  --connections N   keep-alive connections, one request in flight on each (default 32, env BENCH_CONNECTIONS)
  --warmup S        seconds of warm-up before each measured run (default 2, env BENCH_WARMUP)
  --duration S      measured seconds per run (default 4, env BENCH_DURATION)
  --rounds N        runs per server and algorithm (default 4, env BENCH_ROUNDS)
  --quick           1s warm-up, 2s measured, 1 round, not saved: checks the bench works
  --no-save         do not write bench/results/<date>-token.md
`;

const ALGORITHMS: readonly BenchAlgorithm[] = ['RS256', 'ES256'];
const NAMESPACE = 'bench';
const CLIENT = 'bench-client';
const SCOPE = 'bench:read';
const LIFETIME_SECONDS = 300;
const READY_TIMEOUT_MS = 60_000;
const PAUSE_BETWEEN_RUNS_MS = 500;
const audienceOf = (alg: BenchAlgorithm) => `https://bench-${alg.toLowerCase()}.local`;

interface Options extends Settings {
  save: boolean;
}

function positive(name: string, value: string | undefined, env: string, fallback: number): number {
  const text = value ?? process.env[env];
  if (text === undefined) return fallback;
  const n = Number(text);
  if (!Number.isFinite(n) || n <= 0) throw new Error(`--${name} must be a positive number, got ${text}`);
  return n;
}

function parseOptions(argv: string[]): Options | undefined {
  const { values } = parseArgs({
    args: argv,
    options: {
      connections: { type: 'string' },
      warmup: { type: 'string' },
      duration: { type: 'string' },
      rounds: { type: 'string' },
      quick: { type: 'boolean', default: false },
      'no-save': { type: 'boolean', default: false },
      help: { type: 'boolean', short: 'h', default: false },
    },
    strict: true,
    allowPositionals: false,
  });
  if (values.help) return undefined;
  const quick = values.quick;
  return {
    connections: Math.round(positive('connections', values.connections, 'BENCH_CONNECTIONS', 32)),
    warmupSeconds: positive('warmup', values.warmup, 'BENCH_WARMUP', quick ? 1 : 2),
    measureSeconds: positive('duration', values.duration, 'BENCH_DURATION', quick ? 2 : 4),
    rounds: Math.round(positive('rounds', values.rounds, 'BENCH_ROUNDS', quick ? 1 : 4)),
    // A quick run's numbers are too rough to commit.
    save: !values['no-save'] && !quick,
  };
}

function manifests(): string {
  const apis = ALGORITHMS.map(
    (alg) => `apiVersion: latchkey.dev/v1alpha1
kind: ResourceServer
metadata: { name: bench-${alg.toLowerCase()}, namespace: ${NAMESPACE} }
spec:
  identifier: ${audienceOf(alg)}
  scopes: [{ name: '${SCOPE}' }]
  accessToken: { lifetime: ${LIFETIME_SECONDS / 60}m, signingAlgorithm: ${alg} }
`,
  );
  const client = `apiVersion: latchkey.dev/v1alpha1
kind: OAuthClient
metadata: { name: ${CLIENT}, namespace: ${NAMESPACE} }
spec:
  appType: non_interactive
  grantTypes: [client_credentials]
  tokenEndpointAuthMethod: client_secret_basic
  grants:
${ALGORITHMS.map((alg) => `    - { resourceServer: { name: bench-${alg.toLowerCase()} }, scopes: ['${SCOPE}'] }`).join('\n')}
  secret: { source: Generate }
`;
  return [...apis, client].join('---\n');
}

/** Reads `data` of a Secret manifest that dev mode wrote, base64-decoded. */
async function secretData(path: string): Promise<Record<string, string>> {
  const doc = parse(await readFile(path, 'utf8')) as { data?: Record<string, string> } | null;
  if (doc?.data === undefined) throw new Error(`${path} is not a Secret manifest with data`);
  return Object.fromEntries(
    Object.entries(doc.data).map(([k, v]) => [k, Buffer.from(v, 'base64').toString('utf8')]),
  );
}

interface Latchkey {
  child: Child;
  issuer: string;
  tokenEndpoint: string;
  jwksUri: string;
}

async function startLatchkey(root: string, maxSeconds: number): Promise<Latchkey> {
  const manifestsDir = join(root, 'manifests');
  await mkdir(manifestsDir);
  await writeFile(join(manifestsDir, 'bench.yaml'), manifests());
  const child = startChild('Latchkey dev', {
    maxSeconds,
    args: [
      'src/cli/main.ts',
      'dev',
      '--manifests',
      manifestsDir,
      '--state-dir',
      join(root, 'state'),
      '--port',
      '0',
      '--ops-port',
      '0',
      '--no-watch',
    ],
  });
  const ready = await waitForLine(child, 'Latchkey dev is ready', READY_TIMEOUT_MS);
  const issuer = /issuer (\S+)/.exec(ready)?.[1];
  if (issuer === undefined) throw new Error(`no issuer in the ready line: ${ready}`);
  const metadata = (await (await fetch(`${issuer}/.well-known/openid-configuration`)).json()) as {
    token_endpoint: string;
    jwks_uri: string;
  };
  return { child, issuer, tokenEndpoint: metadata.token_endpoint, jwksUri: metadata.jwks_uri };
}

interface StoredKey {
  alg: string;
  kid: string;
  privateJwk: FloorApi['privateJwk'];
}

async function startFloor(
  root: string,
  latchkey: Latchkey,
  clientId: string,
  secret: string,
  maxSeconds: number,
): Promise<{ child: Child; tokenEndpoint: string }> {
  const keysJson = (await secretData(join(root, 'state', 'signing-keys.yaml')))['keys.json'];
  const keys = (JSON.parse(keysJson ?? '{}') as { keys?: StoredKey[] }).keys ?? [];
  const config: FloorConfig = {
    issuer: latchkey.issuer,
    tokenPath: new URL(latchkey.tokenEndpoint).pathname,
    clientId,
    secretDigest: createHash('sha256').update(secret).digest('base64'),
    apis: ALGORITHMS.map((alg) => {
      // Dev mode has one key per algorithm; with several, the last would be the one in force.
      const key = keys.findLast((k) => k.alg === alg);
      if (key === undefined) throw new Error(`signing-keys.yaml has no ${alg} key`);
      return {
        audience: audienceOf(alg),
        alg,
        kid: key.kid,
        privateJwk: key.privateJwk,
        lifetimeSeconds: LIFETIME_SECONDS,
        scope: SCOPE,
      };
    }),
  };
  const child = startChild('floor server', { maxSeconds, args: ['bench/floor-server.ts'], config });
  const origin = await waitForLine(child, FLOOR_READY, READY_TIMEOUT_MS);
  return { child, tokenEndpoint: `${origin}${config.tokenPath}` };
}

function machine(): Machine {
  let cpu = 'unknown CPU';
  try {
    cpu = /^model name\s*:\s*(.+)$/m.exec(readFileSync('/proc/cpuinfo', 'utf8'))?.[1] ?? cpu;
  } catch {
    // Not Linux: the CPU stays unknown.
  }
  return {
    cpu,
    cores: availableParallelism(),
    node: process.version,
    os: `${platform()} ${release()}`,
    threadPool: process.env.UV_THREADPOOL_SIZE ?? '4 (default)',
  };
}

function commit(): string {
  try {
    const git = (args: string[]) =>
      execFileSync('git', args, {
        cwd: REPO_ROOT,
        encoding: 'utf8',
        env: { ...process.env, GIT_OPTIONAL_LOCKS: '0' },
      }).trim();
    const head = git(['rev-parse', '--short', 'HEAD']);
    // What is measured: the server's code and its dependencies. Changes elsewhere (tests, this bench) are not.
    const dirty = git(['status', '--porcelain', '--', 'src', 'package.json', 'package-lock.json']) !== '';
    return dirty ? `${head} with uncommitted changes in src/ or package.json` : head;
  } catch {
    return 'unknown';
  }
}

// The temporary folder holds a client secret and private keys: removed however the bench ends.
let tempRoot: string | undefined;

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

async function main(): Promise<number> {
  const options = parseOptions(process.argv.slice(2));
  if (options === undefined) {
    process.stdout.write(USAGE);
    return 0;
  }
  const runSeconds = options.warmupSeconds + options.measureSeconds;
  const serverMaxSeconds = Math.ceil(options.rounds * ALGORITHMS.length * 2 * (runSeconds + 15) + 120);
  const root = await mkdtemp(join(tmpdir(), 'latchkey-bench-'));
  tempRoot = root;
  try {
    process.stdout.write(`Starting Latchkey dev and the floor server…\n`);
    const latchkey = await startLatchkey(root, serverMaxSeconds);
    const secret = await secretData(join(root, 'state', 'secrets', NAMESPACE, `${CLIENT}-oauth.yaml`));
    const clientId = secret.client_id;
    const clientSecret = secret.client_secret;
    if (clientId === undefined || clientSecret === undefined) {
      throw new Error('the generated Secret has no client_id or client_secret');
    }
    const floor = await startFloor(root, latchkey, clientId, clientSecret, serverMaxSeconds);
    const servers: Record<ServerName, { child: Child; tokenEndpoint: string }> = { latchkey, floor };

    const m = machine();
    process.stdout.write(`${describeMachine(m)}\n${describeSettings(options)}\n\n`);

    const runs = new Map<string, Run[]>();
    for (let round = 0; round < options.rounds; round++) {
      for (const [i, alg] of ALGORITHMS.entries()) {
        // ABBA order, so drift (thermal, JIT, neighbours) weighs on both servers alike.
        const order: ServerName[] = (round + i) % 2 === 0 ? ['latchkey', 'floor'] : ['floor', 'latchkey'];
        for (const server of order) {
          const config: LoadConfig = {
            tokenEndpoint: servers[server].tokenEndpoint,
            audience: audienceOf(alg),
            clientId,
            clientSecret,
            connections: options.connections,
            warmupSeconds: options.warmupSeconds,
            measureSeconds: options.measureSeconds,
            jwksUri: latchkey.jwksUri,
            issuer: latchkey.issuer,
            alg,
            scope: SCOPE,
            lifetimeSeconds: LIFETIME_SECONDS,
          };
          const load = startChild(`load (${server} ${alg})`, {
            maxSeconds: Math.ceil(runSeconds + 60),
            args: ['bench/load.ts'],
            config,
          });
          const cpuBefore = cpuSeconds(servers[server].child);
          const loaded = JSON.parse(await runToEnd(load)) as LoadResult;
          const cpuAfter = cpuSeconds(servers[server].child);
          const result: Run = {
            ...loaded,
            serverCpuSeconds:
              cpuBefore === undefined || cpuAfter === undefined ? undefined : cpuAfter - cpuBefore,
          };
          const key = `${server} ${alg}`;
          runs.set(key, [...(runs.get(key) ?? []), result]);
          const one = summarize([result]);
          process.stdout.write(
            `${alg} ${server.padEnd(8)} round ${round + 1}/${options.rounds}: ${Math.round(one.requestsPerSecond)} req/s, ` +
              `p50 ${one.p50.toFixed(1)} ms, p99 ${one.p99.toFixed(1)} ms` +
              (one.cpuMicrosPerToken === undefined
                ? ''
                : `, ${one.cpuMicrosPerToken.toFixed(0)} µs CPU/token`) +
              `${one.problems.length > 0 ? `  INVALID: ${one.problems.join('; ')}` : ''}\n`,
          );
          await sleep(PAUSE_BETWEEN_RUNS_MS);
        }
      }
    }

    const results: AlgorithmResult[] = ALGORITHMS.map((alg) => {
      const latchkeyRuns = runs.get(`latchkey ${alg}`) ?? [];
      const floorRuns = runs.get(`floor ${alg}`) ?? [];
      const l = summarize(latchkeyRuns);
      const f = summarize(floorRuns);
      if (latchkeyRuns[0] && floorRuns[0])
        l.problems.push(...shapeDifferences(latchkeyRuns[0], floorRuns[0]));
      return {
        alg,
        latchkey: l,
        floor: f,
        ratio: l.requestsPerSecond / f.requestsPerSecond,
        roundRatios: l.runs.map((rps, round) => rps / (f.runs[round] ?? Number.NaN)),
      };
    });
    process.stdout.write(
      `\n${table(results)}\n\nratio = Latchkey req/s / floor req/s (lowest–highest of one round)\n\n${cpuTable(results)}\n`,
    );

    const problems = results.flatMap((r) => [
      ...r.latchkey.problems.map((p) => `${r.alg} Latchkey: ${p}`),
      ...r.floor.problems.map((p) => `${r.alg} floor: ${p}`),
    ]);
    if (problems.length > 0) {
      process.stderr.write(`\nThe run is not valid:\n${problems.map((p) => `  ${p}`).join('\n')}\n`);
      return 1;
    }
    if (options.save) {
      const date = new Date().toISOString().slice(0, 10);
      const report: Report = { date, commit: commit(), machine: m, settings: settingsOf(options), results };
      const dir = join(REPO_ROOT, 'bench', 'results');
      await mkdir(dir, { recursive: true });
      const file = join(dir, `${date}-token.md`);
      await writeFile(file, resultsMarkdown(report));
      process.stdout.write(`\nwrote ${file.slice(REPO_ROOT.length)}\n`);
    }
    return 0;
  } finally {
    await stopAll();
    await rm(root, { recursive: true, force: true });
  }
}

function settingsOf(o: Options): Settings {
  return {
    connections: o.connections,
    warmupSeconds: o.warmupSeconds,
    measureSeconds: o.measureSeconds,
    rounds: o.rounds,
  };
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
    process.stderr.write(`bench: ${(err as Error).message}\n`);
    await stopAll();
    process.exit(1);
  },
);
