/**
 * `npm run bench`: client_credentials tokens per second over keep-alive, Latchkey dev mode against a floor
 * server doing the same work with nothing else (floor-server.ts), for RS256 and ES256, in one run: with a
 * shared secret (HTTP Basic), a `private_key_jwt` assertion, a federated workload token, and introspection
 * answers per second. Prints the table and writes bench/results/<date>-token.md. With `--profile`, the
 * servers run under `node --cpu-prof` and the run ends with where their time went (token-profile.ts). See
 * bench/README.md.
 */

import { createHash, generateKeyPairSync } from 'node:crypto';
import { rmSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { JWK } from 'jose';
import { assertionLifetime, assertionPoolSize } from '../lib/assertion-pool.ts';
import { cpuSeconds, loadRun, startChild, stopAll, waitForLine, type Child } from '../lib/children.ts';
import { parseBenchArgs, reportValidity, RUN_FLAGS, runBench, runSettings } from '../lib/cli.ts';
import {
  ALGORITHMS,
  audienceOf,
  CLIENT,
  generatedCredentials,
  LIFETIME_SECONDS,
  NAMESPACE,
  oauthClientManifest,
  resourceServerManifests,
  SCOPE,
  secretData,
  startLatchkeyDev,
  type DevServer,
} from '../lib/latchkey-dev.ts';
import { startWorkloadIssuer, type WorkloadIssuer } from './workload-issuer.ts';
import { monotonicMicros } from '../lib/profile.ts';
import {
  FLOOR_READY,
  type BenchAlgorithm,
  type BenchKind,
  type FloorApi,
  type FloorConfig,
  type KindLoadConfig,
  type KindRequest,
  type LoadConfig,
} from '../lib/protocol.ts';
import {
  cpuTable,
  describeMachine,
  describeRun,
  describeSettings,
  KIND_NOTES,
  resultsMarkdown,
  rowLabel,
  shapeDifferences,
  summarize,
  table,
  type AlgorithmResult,
  type Run,
  type ServerName,
  type Settings,
} from '../lib/report.ts';
import { commit, machine, saveResults } from '../lib/run-info.ts';
import {
  collectProfiles,
  cpuProfileArgs,
  mainThreadCpuSeconds,
  profileMarkdown,
  profileRows,
  type ProfiledProcess,
  type ProfiledRun,
} from './token-profile.ts';

const USAGE = `Usage: npm run bench -- [options]

  --connections N   keep-alive connections, one request in flight on each (default 32, env BENCH_CONNECTIONS)
  --warmup S        seconds of warm-up before each measured run (default 2, env BENCH_WARMUP)
  --duration S      measured seconds per run (default 4, env BENCH_DURATION)
  --rounds N        runs per server and algorithm (default 4, env BENCH_ROUNDS)
  --quick           1s warm-up, 2s measured, 1 round, not saved: checks the bench works
  --no-save         do not write bench/results/<date>-token.md
  --profile         run the servers under node --cpu-prof; print where their main threads spend each token's
                    time and the top functions (appended to the results file), and keep the .cpuprofile files
                    in $TMPDIR/latchkey-token-profile-* for a flame graph

Each round runs, per algorithm, client_secret_basic, private_key_jwt, federation and introspection on both
servers.
`;

// client_secret_basic first: the pool of assertions of a private_key_jwt run is sized from its rate.
const KINDS: readonly BenchKind[] = ['client_secret_basic', 'private_key_jwt', 'federation', 'introspection'];
const JWT_CLIENT = 'bench-jwt';
const JWT_CLIENT_KID = 'bench-jwt-1';
const FEDERATED_CLIENT = 'bench-workload';
const CONNECTION = 'bench-cluster';
const WORKLOAD_SUBJECT = `system:serviceaccount:${NAMESPACE}:worker`;
const READY_TIMEOUT_MS = 60_000;
const PAUSE_BETWEEN_RUNS_MS = 500;
interface Options extends Settings {
  save: boolean;
  profile: boolean;
}

function parseOptions(argv: string[]): Options | undefined {
  const args = parseBenchArgs(argv, { ...RUN_FLAGS, profile: { type: 'boolean', default: false } });
  if (args === undefined) return undefined;
  const env = process.env;
  return {
    ...runSettings(args.values, args.quick, 4, {
      connections: env.BENCH_CONNECTIONS,
      warmup: env.BENCH_WARMUP,
      duration: env.BENCH_DURATION,
      rounds: env.BENCH_ROUNDS,
    }),
    save: args.save,
    profile: args.values.profile,
  };
}

/** What the manifests declare beyond the APIs and the shared-secret client. */
interface ManifestInputs {
  jwtClientKey: JWK;
  workloadIssuer: string;
}

function manifests(inputs: ManifestInputs): string {
  const connection = `apiVersion: latchkey.dev/v1alpha1
kind: Connection
metadata: { name: ${CONNECTION}, namespace: ${NAMESPACE} }
spec:
  type: oidc
  displayName: Stands in for a cluster's ServiceAccount issuer
  issuer: ${inputs.workloadIssuer}
`;
  return [
    ...resourceServerManifests(),
    oauthClientManifest(CLIENT, { algs: ALGORITHMS, auth: 'client_secret_basic' }),
    oauthClientManifest(JWT_CLIENT, {
      algs: ALGORITHMS,
      auth: 'private_key_jwt',
      namedId: true,
      lines: [`  jwks: { keys: [${JSON.stringify(inputs.jwtClientKey)}] }`],
    }),
    connection,
    oauthClientManifest(FEDERATED_CLIENT, {
      algs: ALGORITHMS,
      auth: 'private_key_jwt',
      namedId: true,
      lines: [
        `  federatedIdentities: [{ connection: { name: ${CONNECTION} }, subject: '${WORKLOAD_SUBJECT}' }]`,
      ],
    }),
  ].join('---\n');
}

/** How the bench starts the servers: for how long, and with which options for `node` (`--cpu-prof`). */
interface ServerStart {
  maxSeconds: number;
  nodeArgs: readonly string[];
}

/**
 * The one `private_key_jwt` client sends thousands of assertions a second, each held until `exp` plus the
 * clock skew (the run plus 30 s, plus 60 s): some 400,000 entries at 4,000 a second, past the default
 * per-client ceiling of 250,000. A load test of one client raises that ceiling, as this does (dev mode keeps
 * the ids in its state folder, so no capacity applies); the default stays what a shared server needs.
 */
const BENCH_REPLAY_OPTIONS: readonly string[] = ['--replay-per-client', '4000000'];

async function startLatchkey(root: string, inputs: ManifestInputs, start: ServerStart): Promise<DevServer> {
  return startLatchkeyDev(root, {
    name: 'Latchkey dev',
    manifests: manifests(inputs),
    file: 'bench.yaml',
    maxSeconds: start.maxSeconds,
    readyTimeoutMs: READY_TIMEOUT_MS,
    nodeArgs: start.nodeArgs,
    options: BENCH_REPLAY_OPTIONS,
  });
}

/**
 * `latchkey dev` contacts a Connection's issuer only with `--check-connections`, which the other rounds do not
 * measure; the federation rounds get a second dev server on the same folder with it. `--issuer` makes it issue
 * the first one's `iss`, so the workload tokens (whose audience that is) and the bench's checks fit both.
 */
async function startLatchkeyWithConnections(
  root: string,
  inputs: ManifestInputs,
  latchkey: DevServer,
  start: ServerStart,
): Promise<DevServer> {
  const federating = await startLatchkeyDev(root, {
    name: 'Latchkey with Connections',
    manifests: manifests(inputs),
    file: 'bench.yaml',
    maxSeconds: start.maxSeconds,
    readyTimeoutMs: READY_TIMEOUT_MS,
    nodeArgs: start.nodeArgs,
    options: ['--check-connections', '--issuer', latchkey.issuer],
  });
  // Dev mode serves on with a Connection it could not verify; every federation run would then be invalid.
  const unverified = new RegExp(`^not ready: Connection ${NAMESPACE}/${CONNECTION} .*$`, 'm').exec(
    federating.child.tail(),
  );
  if (unverified !== null)
    throw new Error(`the workload issuer did not pass dev mode's check: ${unverified[0]}`);
  return federating;
}

interface StoredKey {
  alg: string;
  kid: string;
  privateJwk: FloorApi['privateJwk'];
}

interface FloorClients {
  clientId: string;
  secret: string;
  jwtClientKey: JWK;
  workloadIssuer: WorkloadIssuer;
}

interface Endpoints {
  child: Child;
  tokenEndpoint: string;
  introspectionEndpoint: string;
}

async function startFloor(
  root: string,
  latchkey: DevServer,
  clients: FloorClients,
  start: ServerStart,
): Promise<Endpoints> {
  const { clientId, secret } = clients;
  const keysJson = (await secretData(join(root, 'state', 'signing-keys.yaml')))['keys.json'];
  const keys = (JSON.parse(keysJson ?? '{}') as { keys?: StoredKey[] }).keys ?? [];
  const config: FloorConfig = {
    issuer: latchkey.issuer,
    tokenPath: new URL(latchkey.tokenEndpoint).pathname,
    introspectionPath: new URL(latchkey.introspectionEndpoint).pathname,
    assertionAudiences: [latchkey.issuer, latchkey.tokenEndpoint],
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
    assertionClient: { clientId: JWT_CLIENT, alg: 'ES256', publicJwk: clients.jwtClientKey },
    federatedClient: {
      clientId: FEDERATED_CLIENT,
      issuer: clients.workloadIssuer.issuer,
      subject: WORKLOAD_SUBJECT,
      alg: 'RS256',
      publicJwk: clients.workloadIssuer.publicJwk,
    },
  };
  const child = startChild('floor server', {
    maxSeconds: start.maxSeconds,
    args: [...start.nodeArgs, 'bench/token/floor-server.ts'],
    config,
  });
  const origin = await waitForLine(child, FLOOR_READY, READY_TIMEOUT_MS);
  return {
    child,
    tokenEndpoint: `${origin}${config.tokenPath}`,
    introspectionEndpoint: `${origin}${config.introspectionPath}`,
  };
}

/** An ES256 key pair for the private_key_jwt client: the public JWK for its manifest, the private for signing. */
function jwtClientKeys(): { publicJwk: JWK; privateJwk: JWK } {
  const { publicKey, privateKey } = generateKeyPairSync('ec', { namedCurve: 'P-256' });
  const meta = { kid: JWT_CLIENT_KID, alg: 'ES256', use: 'sig' };
  return {
    publicJwk: { ...(publicKey.export({ format: 'jwk' }) as JWK), ...meta },
    privateJwk: { ...(privateKey.export({ format: 'jwk' }) as JWK), ...meta },
  };
}

/** A fresh access token for the shared-secret client, from Latchkey, for the introspection rounds. */
async function accessToken(latchkey: DevServer, clientId: string, secret: string, alg: BenchAlgorithm) {
  const res = await fetch(latchkey.tokenEndpoint, {
    method: 'POST',
    headers: {
      'content-type': 'application/x-www-form-urlencoded',
      authorization: `Basic ${Buffer.from(`${encodeURIComponent(clientId)}:${encodeURIComponent(secret)}`).toString('base64')}`,
    },
    body: new URLSearchParams({ grant_type: 'client_credentials', audience: audienceOf(alg) }),
  });
  const body = (await res.json()) as { access_token?: string };
  if (!res.ok || body.access_token === undefined) {
    throw new Error(`no access token to introspect: HTTP ${res.status} ${JSON.stringify(body)}`);
  }
  return body.access_token;
}

// The temporary folder holds a client secret and private keys: removed however the bench ends.
let tempRoot: string | undefined;

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** The processes one kind of round measures, and where its requests go. */
interface Target {
  child: Child;
  endpoint: string;
}

interface Context {
  options: Options;
  latchkey: DevServer;
  clientId: string;
  clientSecret: string;
  jwtClientKey: JWK;
  workloadIssuer: WorkloadIssuer;
  runs: Map<string, Run[]>;
}

const runKey = (server: ServerName, kind: BenchKind, alg: BenchAlgorithm) => `${server} ${kind} ${alg}`;

/** Requests per second over warm-up and measurement of the fastest shared-secret run of `alg` so far. */
function fastestSharedSecretRate(runs: ReadonlyMap<string, Run[]>, alg: BenchAlgorithm): number {
  const basic = [
    ...(runs.get(runKey('latchkey', 'client_secret_basic', alg)) ?? []),
    ...(runs.get(runKey('floor', 'client_secret_basic', alg)) ?? []),
  ];
  return Math.max(0, ...basic.map((r) => r.issued / r.elapsedSeconds));
}

/** How one run's requests authenticate and what they ask for, and who the answers are for. */
async function requestOf(
  ctx: Context,
  kind: Exclude<BenchKind, 'client_secret_basic'>,
  alg: BenchAlgorithm,
): Promise<{ clientId: string; request: KindRequest }> {
  const { options, latchkey } = ctx;
  const runSeconds = options.warmupSeconds + options.measureSeconds;
  switch (kind) {
    case 'private_key_jwt':
      return {
        clientId: JWT_CLIENT,
        request: {
          kind,
          signer: { privateJwk: ctx.jwtClientKey, kid: JWT_CLIENT_KID, alg: 'ES256' },
          assertionAudience: latchkey.issuer,
          poolSize: assertionPoolSize(fastestSharedSecretRate(ctx.runs, alg), runSeconds),
          assertionLifetimeSeconds: assertionLifetime(runSeconds),
        },
      };
    case 'federation':
      return {
        clientId: FEDERATED_CLIENT,
        request: { kind, workloadToken: await ctx.workloadIssuer.mint(WORKLOAD_SUBJECT, latchkey.issuer) },
      };
    case 'introspection':
      return {
        clientId: ctx.clientId,
        request: {
          kind,
          clientSecret: ctx.clientSecret,
          token: await accessToken(latchkey, ctx.clientId, ctx.clientSecret, alg),
        },
      };
  }
}

/** The load generator of one run. */
async function loadChild(
  ctx: Context,
  target: Target,
  server: ServerName,
  kind: BenchKind,
  alg: BenchAlgorithm,
): Promise<Child> {
  const { options, latchkey } = ctx;
  const runSeconds = options.warmupSeconds + options.measureSeconds;
  const common = {
    audience: audienceOf(alg),
    connections: options.connections,
    warmupSeconds: options.warmupSeconds,
    measureSeconds: options.measureSeconds,
    jwksUri: latchkey.jwksUri,
    issuer: latchkey.issuer,
    alg,
    scope: SCOPE,
    lifetimeSeconds: LIFETIME_SECONDS,
  };
  const config: LoadConfig | KindLoadConfig =
    kind === 'client_secret_basic'
      ? { ...common, tokenEndpoint: target.endpoint, clientId: ctx.clientId, clientSecret: ctx.clientSecret }
      : { ...common, endpoint: target.endpoint, ...(await requestOf(ctx, kind, alg)) };
  // Signing a pool of assertions comes before the clock starts: allow for it.
  const slack = kind === 'private_key_jwt' ? 180 : 60;
  return startChild(`load (${server} ${rowLabel({ alg, kind })})`, {
    maxSeconds: Math.ceil(runSeconds + slack),
    args: ['bench/lib/load.ts'],
    config,
  });
}

async function main(options: Options): Promise<number> {
  const runSeconds = options.warmupSeconds + options.measureSeconds;
  // Fails now, not after the first rounds, when a run is too long for an assertion's lifetime.
  assertionLifetime(runSeconds);
  const serverMaxSeconds = Math.ceil(
    options.rounds * ALGORITHMS.length * KINDS.length * 2 * (runSeconds + 20) + 120,
  );
  const workloadIssuer = await startWorkloadIssuer();
  const root = await mkdtemp(join(tmpdir(), 'latchkey-bench-'));
  tempRoot = root;
  // Kept after the run, unlike `root`: profiles hold function names and timings, no secret.
  const profileDir = options.profile ? await mkdtemp(join(tmpdir(), 'latchkey-token-profile-')) : undefined;
  const start: ServerStart = {
    maxSeconds: serverMaxSeconds,
    nodeArgs: profileDir === undefined ? [] : cpuProfileArgs(profileDir),
  };
  try {
    process.stdout.write(`Starting Latchkey dev and the floor server…\n`);
    if (profileDir !== undefined) process.stdout.write(`CPU profiles go to ${profileDir}\n`);
    const jwtKeys = jwtClientKeys();
    const inputs: ManifestInputs = { jwtClientKey: jwtKeys.publicJwk, workloadIssuer: workloadIssuer.issuer };
    const latchkey = await startLatchkey(root, inputs, start);
    const { clientId, clientSecret } = await generatedCredentials(root, CLIENT);
    const federating = await startLatchkeyWithConnections(root, inputs, latchkey, start);
    const floor = await startFloor(
      root,
      latchkey,
      { clientId, secret: clientSecret, jwtClientKey: jwtKeys.publicJwk, workloadIssuer },
      start,
    );
    const profiled: ProfiledProcess[] = [
      { name: 'latchkey', child: latchkey.child },
      { name: 'latchkey-with-connections', child: federating.child },
      { name: 'floor', child: floor.child },
    ];
    const profileName = (child: Child) => profiled.find((p) => p.child === child)?.name ?? child.name;
    const profiledRuns: ProfiledRun[] = [];
    const targets = (server: ServerName, kind: BenchKind): Target => {
      if (server === 'floor') {
        return {
          child: floor.child,
          endpoint: kind === 'introspection' ? floor.introspectionEndpoint : floor.tokenEndpoint,
        };
      }
      if (kind === 'federation') return { child: federating.child, endpoint: federating.tokenEndpoint };
      return {
        child: latchkey.child,
        endpoint: kind === 'introspection' ? latchkey.introspectionEndpoint : latchkey.tokenEndpoint,
      };
    };

    const m = machine();
    process.stdout.write(`${describeMachine(m)}\n${describeSettings(options)}\n\n`);

    const ctx: Context = {
      options,
      latchkey,
      clientId,
      clientSecret,
      jwtClientKey: jwtKeys.privateJwk,
      workloadIssuer,
      runs: new Map<string, Run[]>(),
    };
    for (let round = 0; round < options.rounds; round++) {
      for (const [i, alg] of ALGORITHMS.entries()) {
        for (const [k, kind] of KINDS.entries()) {
          // ABBA order, so drift (thermal, JIT, neighbours) weighs on both servers alike.
          const order: ServerName[] =
            (round + i + k) % 2 === 0 ? ['latchkey', 'floor'] : ['floor', 'latchkey'];
          for (const server of order) {
            const target = targets(server, kind);
            const load = await loadChild(ctx, target, server, kind, alg);
            const pid = target.child.process.pid;
            const mainBefore = profileDir === undefined ? undefined : mainThreadCpuSeconds(pid);
            const startUs = monotonicMicros();
            const result = await loadRun(load, () => cpuSeconds(target.child));
            const mainAfter = profileDir === undefined ? undefined : mainThreadCpuSeconds(pid);
            profiledRuns.push({
              server,
              kind,
              alg,
              process: profileName(target.child),
              window: { startUs, endUs: monotonicMicros() },
              issued: result.issued,
              serverCpuSeconds: result.serverCpuSeconds,
              mainThreadCpuSeconds:
                mainBefore === undefined || mainAfter === undefined ? undefined : mainAfter - mainBefore,
            });
            const key = runKey(server, kind, alg);
            ctx.runs.set(key, [...(ctx.runs.get(key) ?? []), result]);
            process.stdout.write(
              `${rowLabel({ alg, kind })} ${server.padEnd(8)} round ${round + 1}/${options.rounds}: ` +
                `${describeRun(summarize([result]))}\n`,
            );
            await sleep(PAUSE_BETWEEN_RUNS_MS);
          }
        }
      }
    }

    const results: AlgorithmResult[] = KINDS.flatMap((kind) =>
      ALGORITHMS.map((alg) => {
        const latchkeyRuns = ctx.runs.get(runKey('latchkey', kind, alg)) ?? [];
        const floorRuns = ctx.runs.get(runKey('floor', kind, alg)) ?? [];
        const l = summarize(latchkeyRuns);
        const f = summarize(floorRuns);
        if (latchkeyRuns[0] && floorRuns[0])
          l.problems.push(...shapeDifferences(latchkeyRuns[0], floorRuns[0]));
        return {
          alg,
          kind,
          latchkey: l,
          floor: f,
          ratio: l.requestsPerSecond / f.requestsPerSecond,
          roundRatios: l.runs.map((rps, round) => rps / (f.runs[round] ?? Number.NaN)),
        };
      }),
    );
    process.stdout.write(
      `\n${table(results)}\n\nratio = Latchkey req/s / floor req/s (lowest–highest of one round)\n\n${cpuTable(results)}\n\n${KIND_NOTES}\n`,
    );

    let profileSection: string | undefined;
    if (profileDir !== undefined) {
      const profiles = await collectProfiles(profileDir, profiled);
      const rows = await profileRows(profileDir, profiles, profiledRuns);
      profileSection = profileMarkdown(
        profileDir,
        rows,
        profiled.map((p) => p.name),
      );
      process.stdout.write(`\n${profileSection}\n`);
    }

    const problems = results.flatMap((r) => [
      ...r.latchkey.problems.map((p) => `${rowLabel(r)} Latchkey: ${p}`),
      ...r.floor.problems.map((p) => `${rowLabel(r)} floor: ${p}`),
    ]);
    if (!reportValidity(problems)) return 1;
    if (options.save) {
      const date = new Date().toISOString().slice(0, 10);
      const report = { date, commit: commit(), machine: m, settings: settingsOf(options), results };
      const markdown = resultsMarkdown(report);
      await saveResults(
        date,
        'token',
        profileSection === undefined ? markdown : `${markdown}\n${profileSection}\n`,
      );
    }
    return 0;
  } finally {
    await stopAll();
    await workloadIssuer.close();
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

runBench({
  name: 'bench',
  usage: USAGE,
  parse: parseOptions,
  main,
  stopping: 'the servers',
  stop: async () => {
    await stopAll();
    if (tempRoot !== undefined) rmSync(tempRoot, { recursive: true, force: true });
  },
});
