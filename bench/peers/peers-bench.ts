/**
 * `npm run bench:peers`: Latchkey dev mode, node-oidc-provider and Keycloak on this machine, measured by the
 * same load generator in one run: client_credentials tokens/s and latency over keep-alive and over a new
 * connection per request, RS256 and ES256, server CPU per token, idle RSS with 1,000 clients registered and
 * RSS under load. Prints the table of ratios and writes bench/results/<date>-peers.md. See bench/README.md.
 */

import { existsSync, rmSync } from 'node:fs';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { homedir, tmpdir } from 'node:os';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { loadRun, REPO_ROOT, startChild, stopAll, waitForLine, type Child } from '../lib/children.ts';
import { compiledPath, compiledUrl, compileForBench } from '../lib/compiled.ts';
import { parseBenchArgs, positive, reportValidity, RUN_FLAGS, runBench, runSettings } from '../lib/cli.ts';
import {
  ALGORITHMS,
  audienceOf,
  CLIENT,
  generatedCredentials,
  LIFETIME_SECONDS,
  oauthClientManifest,
  resourceServerManifests,
  SCOPE,
  startLatchkeyDev,
} from '../lib/latchkey-dev.ts';
import {
  CONNECTIONS,
  PEER_LABEL,
  PEERS,
  describePeerSettings,
  peersMarkdown,
  peersProblems,
  peersTable,
  type Connection,
  type PeerName,
  type PeerResult,
  type PeerSettings,
  type PeerStatus,
} from './peers-report.ts';
import {
  KEYCLOAK_READY,
  OIDC_PROVIDER_READY,
  type KeycloakConfig,
  type OidcProviderConfig,
} from './peers-protocol.ts';
import {
  KEYCLOAK_VERSION,
  KeycloakAdmin,
  findJavaHome,
  freePort,
  installKeycloak,
  randomSecret,
  setUpRealm,
} from './keycloak.ts';
import { findInTree, sampleRss, treeUsage } from '../lib/proc-tree.ts';
import type { BenchAlgorithm, LoadConfig } from '../lib/protocol.ts';
import { describeMachine, describeRun, summarize, type Run } from '../lib/report.ts';
import { commit, machine, saveResults } from '../lib/run-info.ts';

const USAGE = `Usage: npm run bench:peers -- [options]

  --connections N    connections, one request in flight on each (default 32)
  --warmup S         seconds of warm-up before each measured run (default 2)
  --duration S       measured seconds per run (default 4)
  --rounds N         runs per server, connection kind and algorithm (default 3)
  --idle-clients N   clients registered besides the bench's own (default 1000)
  --only LIST        servers to run besides Latchkey: oidc-provider,keycloak (default both)
  --shared-machine   say in the results that other work shared the machine
  --quick            1s warm-up, 2s measured, 1 round, 100 idle clients, not saved: checks the bench works
  --no-save          do not write bench/results/<date>-peers.md

Keycloak ${KEYCLOAK_VERSION} is downloaded once from Maven Central (MAVEN_REPOSITORY overrides it) into
~/.cache/latchkey/peers (LATCHKEY_PEERS_CACHE overrides it) and runs on the first JDK >= 21 found in
KEYCLOAK_JAVA_HOME, JAVA_HOME or /usr/lib/jvm.
`;

const READY_TIMEOUT_MS = 120_000;
const KEYCLOAK_READY_TIMEOUT_MS = 300_000;
const PAUSE_BETWEEN_RUNS_MS = 500;
const RSS_SAMPLE_MS = 250;
interface Options extends PeerSettings {
  peers: PeerName[];
  primeSeconds: number;
  settleSeconds: number;
  sharedMachine: boolean;
  save: boolean;
}

function parseOptions(argv: string[]): Options | undefined {
  const args = parseBenchArgs(argv, {
    ...RUN_FLAGS,
    'idle-clients': { type: 'string' },
    only: { type: 'string' },
    'shared-machine': { type: 'boolean', default: false },
  });
  if (args === undefined) return undefined;
  const { values, quick } = args;
  const only = values.only?.split(',').map((s) => s.trim()) ?? ['oidc-provider', 'keycloak'];
  for (const name of only) {
    if (name !== 'oidc-provider' && name !== 'keycloak') {
      throw new Error(`--only takes oidc-provider and keycloak, got ${name}`);
    }
  }
  return {
    peers: PEERS.filter((p) => p === 'latchkey' || only.includes(p)),
    ...runSettings(values, quick, 3),
    idleClients: Math.round(positive('idle-clients', values['idle-clients'], quick ? 100 : 1000, true)),
    // A JVM compiles its hot paths over the first seconds of load: untimed runs first, for every server alike.
    primeSeconds: quick ? 2 : 15,
    // Start-up work (Keycloak's import, JIT, the first garbage collections) settles before idle RSS is read.
    settleSeconds: quick ? 2 : 10,
    sharedMachine: values['shared-machine'],
    save: args.save,
  };
}

/** A server under test, started and ready for the load generator. */
interface Server {
  peer: PeerName;
  version: string;
  readySeconds: number;
  /** The process whose tree's memory and CPU time are the server's. */
  pid(): number | undefined;
  issuer: string;
  tokenEndpoint: string;
  jwksUri: string;
  clientId: string;
  clientSecret: string;
  /** How the peer's tokens differ from RFC 9068 where it cannot be configured otherwise. */
  verify: Pick<LoadConfig, 'typ' | 'subjectIsClient'>;
  /** Prepares the server to issue `alg` tokens for `audience` (Keycloak signs with one algorithm per client). */
  prepare?(alg: BenchAlgorithm, audience: string): Promise<void>;
}

async function packageVersion(name: string): Promise<string> {
  const json = JSON.parse(await readFile(join(REPO_ROOT, 'node_modules', name, 'package.json'), 'utf8')) as {
    version: string;
  };
  return json.version;
}

function latchkeyManifests(idleClients: number): string {
  const idle = Array.from({ length: idleClients }, (_, i) =>
    oauthClientManifest(`idle-${i}`, { algs: ['RS256'], auth: 'client_secret_basic' }),
  );
  return [
    ...resourceServerManifests(),
    oauthClientManifest(CLIENT, { algs: ALGORITHMS, auth: 'client_secret_basic' }),
    ...idle,
  ].join('---\n');
}

async function startLatchkey(root: string, options: Options, maxSeconds: number): Promise<Server> {
  const dev = await startLatchkeyDev(root, {
    name: 'Latchkey dev',
    manifests: latchkeyManifests(options.idleClients),
    file: 'bench.yaml',
    maxSeconds,
    readyTimeoutMs: READY_TIMEOUT_MS,
    compiled: true,
  });
  const credentials = await generatedCredentials(root, CLIENT);
  const version = (JSON.parse(await readFile(join(REPO_ROOT, 'package.json'), 'utf8')) as { version: string })
    .version;
  return {
    peer: 'latchkey',
    version: `Latchkey ${version} dev, compiled`,
    readySeconds: dev.readySeconds,
    pid: () => dev.child.process.pid,
    issuer: dev.issuer,
    tokenEndpoint: dev.tokenEndpoint,
    jwksUri: dev.jwksUri,
    ...credentials,
    verify: {},
  };
}

async function startOidcProvider(options: Options, maxSeconds: number): Promise<Server> {
  const version = await packageVersion('oidc-provider').catch(() => {
    throw new Error('oidc-provider is not installed: run npm ci (it is a devDependency)');
  });
  const client = { clientId: CLIENT, clientSecret: randomSecret() };
  const config: OidcProviderConfig = {
    clients: [
      client,
      ...Array.from({ length: options.idleClients }, (_, i) => ({
        clientId: `idle-${i}`,
        clientSecret: randomSecret(),
      })),
    ],
    resources: ALGORITHMS.map((alg) => ({ identifier: audienceOf(alg), alg })),
    scope: SCOPE,
    lifetimeSeconds: LIFETIME_SECONDS,
  };
  const started = performance.now();
  const child = startChild('node-oidc-provider', {
    maxSeconds,
    guard: compiledUrl('bench/lib/child-guard.ts'),
    args: [compiledPath('bench/peers/oidc-provider-server.ts')],
    config,
  });
  const issuer = await waitForLine(child, OIDC_PROVIDER_READY, READY_TIMEOUT_MS);
  const readySeconds = (performance.now() - started) / 1000;
  const metadata = (await (await fetch(`${issuer}/.well-known/openid-configuration`)).json()) as {
    token_endpoint: string;
    jwks_uri: string;
  };
  return {
    peer: 'oidc-provider',
    version: `oidc-provider ${version}`,
    readySeconds,
    pid: () => child.process.pid,
    issuer,
    tokenEndpoint: metadata.token_endpoint,
    jwksUri: metadata.jwks_uri,
    ...client,
    verify: {},
  };
}

function peersCache(): string {
  return process.env.LATCHKEY_PEERS_CACHE ?? join(homedir(), '.cache', 'latchkey', 'peers');
}

let keycloakHome: string | undefined;

async function startKeycloak(options: Options, maxSeconds: number): Promise<Server> {
  const say = (line: string) => process.stdout.write(`  keycloak: ${line}\n`);
  const javaHome = await findJavaHome();
  const home = await installKeycloak(peersCache(), say);
  // A fresh embedded database every run: the realm, the clients and the bootstrap admin are this run's.
  await rm(join(home, 'data'), { recursive: true, force: true });
  keycloakHome = home;
  const config: KeycloakConfig = {
    home,
    javaHome,
    port: await freePort(),
    adminClientId: 'latchkey-bench-admin',
    adminClientSecret: randomSecret(),
    maxSeconds,
  };
  say(`starting ${home} (start-dev) with ${javaHome}`);
  const started = performance.now();
  const child: Child = startChild('Keycloak', {
    maxSeconds,
    args: ['bench/peers/keycloak-process.ts'],
    config,
  });
  const base = await waitForLine(child, KEYCLOAK_READY, KEYCLOAK_READY_TIMEOUT_MS);
  const readySeconds = (performance.now() - started) / 1000;
  const admin = new KeycloakAdmin(base, config.adminClientId, config.adminClientSecret);
  const client = { clientId: CLIENT, clientSecret: randomSecret() };
  const importStarted = performance.now();
  const realm = await setUpRealm(admin, base, {
    client,
    scope: SCOPE,
    lifetimeSeconds: LIFETIME_SECONDS,
    alg: 'RS256',
    audience: audienceOf('RS256'),
    idle: Array.from({ length: options.idleClients }, (_, i) => ({
      clientId: `idle-${i}`,
      clientSecret: randomSecret(),
    })),
  });
  say(
    `realm, client and ${options.idleClients} idle clients set up in ` +
      `${((performance.now() - importStarted) / 1000).toFixed(1)} s`,
  );
  let java: number | undefined;
  return {
    peer: 'keycloak',
    version: `Keycloak ${KEYCLOAK_VERSION}`,
    readySeconds,
    // The JVM, not the Node process that watches it: kc.sh execs java under `timeout`.
    pid: () => (java ??= child.process.pid === undefined ? undefined : findInTree(child.process.pid, 'java')),
    issuer: realm.issuer,
    tokenEndpoint: realm.tokenEndpoint,
    jwksUri: realm.jwksUri,
    ...client,
    // Keycloak's access tokens are `typ: JWT` and name the client's service account user in `sub`.
    verify: { typ: 'JWT', subjectIsClient: false },
    prepare: (alg, audience) => realm.setAlgorithm(alg, audience),
  };
}

const START: Record<PeerName, (root: string, options: Options, maxSeconds: number) => Promise<Server>> = {
  latchkey: startLatchkey,
  'oidc-provider': (_root, options, maxSeconds) => startOidcProvider(options, maxSeconds),
  keycloak: (_root, options, maxSeconds) => startKeycloak(options, maxSeconds),
};

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

interface Measured {
  result: Run;
  peakRss: number | undefined;
}

async function measure(
  server: Server,
  alg: BenchAlgorithm,
  connection: Connection,
  seconds: { warmup: number; measure: number },
  options: Options,
): Promise<Measured> {
  const audience = audienceOf(alg);
  await server.prepare?.(alg, audience);
  const config: LoadConfig = {
    tokenEndpoint: server.tokenEndpoint,
    audience,
    clientId: server.clientId,
    clientSecret: server.clientSecret,
    connections: options.connections,
    warmupSeconds: seconds.warmup,
    measureSeconds: seconds.measure,
    jwksUri: server.jwksUri,
    issuer: server.issuer,
    alg,
    scope: SCOPE,
    lifetimeSeconds: LIFETIME_SECONDS,
    // One body for every server: RFC 8707 `resource` names the API, `scope` the permission asked for.
    form: { grant_type: 'client_credentials', resource: audience, scope: SCOPE },
    newConnectionPerRequest: connection === 'new connection',
    ...server.verify,
  };
  const pid = server.pid();
  const sampler = pid === undefined ? undefined : sampleRss(pid, RSS_SAMPLE_MS);
  const load = startChild(`load (${server.peer} ${connection} ${alg})`, {
    maxSeconds: Math.ceil(seconds.warmup + seconds.measure + 60),
    args: ['bench/lib/load.ts'],
    config,
  });
  const result = await loadRun(load, () => (pid === undefined ? undefined : treeUsage(pid)?.cpuSeconds));
  return { result, peakRss: sampler?.stop() };
}

// The temporary folder holds client secrets and private keys; Keycloak's database holds the bench realm.
let tempRoot: string | undefined;

function cleanUp(): void {
  if (tempRoot !== undefined) rmSync(tempRoot, { recursive: true, force: true });
  if (keycloakHome !== undefined && existsSync(join(keycloakHome, 'data'))) {
    rmSync(join(keycloakHome, 'data'), { recursive: true, force: true });
  }
}

async function main(options: Options): Promise<number> {
  const runSeconds = options.warmupSeconds + options.measureSeconds;
  const runs = options.rounds * CONNECTIONS.length * ALGORITHMS.length;
  const serverMaxSeconds = Math.ceil(
    options.peers.length * (runs * (runSeconds + 10) + ALGORITHMS.length * (options.primeSeconds + 10)) + 900,
  );
  const root = await mkdtemp(join(tmpdir(), 'latchkey-peers-bench-'));
  tempRoot = root;
  try {
    const m = machine();
    process.stdout.write(`${describeMachine(m)}\n${describePeerSettings(options)}\n\n`);
    // Both Node.js servers run as JavaScript, as they are deployed: type stripping would add to their memory.
    process.stdout.write('Compiling Latchkey and the node-oidc-provider server with tsc…\n');
    await compileForBench();

    const servers: Server[] = [];
    const statuses = new Map<PeerName, PeerStatus>();
    for (const peer of options.peers) {
      process.stdout.write(`Starting ${PEER_LABEL[peer]}…\n`);
      try {
        const server = await START[peer](root, options, serverMaxSeconds);
        servers.push(server);
        statuses.set(peer, { started: true, version: server.version, readySeconds: server.readySeconds });
        process.stdout.write(`  ${server.version} ready in ${server.readySeconds.toFixed(1)} s\n`);
      } catch (err) {
        if (peer === 'latchkey') throw err;
        // Reported in the table with its reason, never dropped.
        const reason = (err as Error).message.split('\n')[0] ?? 'unknown';
        statuses.set(peer, { started: false, reason });
        process.stdout.write(`  ${PEER_LABEL[peer]} not started: ${reason}\n`);
      }
    }

    await sleep(options.settleSeconds * 1000);
    const idleRss = new Map<PeerName, number | undefined>();
    for (const server of servers) {
      const pid = server.pid();
      idleRss.set(server.peer, pid === undefined ? undefined : treeUsage(pid)?.rssBytes);
    }

    const peakRss = new Map<PeerName, number>();
    const notePeak = (peer: PeerName, bytes: number | undefined) => {
      if (bytes !== undefined) peakRss.set(peer, Math.max(peakRss.get(peer) ?? 0, bytes));
    };

    process.stdout.write(`\nPriming every server (${options.primeSeconds} s per algorithm, not counted)…\n`);
    for (const server of servers) {
      for (const alg of ALGORITHMS) {
        const { result, peakRss: peak } = await measure(
          server,
          alg,
          'keep-alive',
          { warmup: options.primeSeconds - 1, measure: 1 },
          options,
        );
        notePeak(server.peer, peak);
        if (result.failed > 0) {
          process.stdout.write(
            `  ${PEER_LABEL[server.peer]} ${alg}: ${result.failed} failed, first: ${result.firstFailure}\n`,
          );
        }
      }
    }

    const byCase = new Map<string, Run[]>();
    const key = (peer: PeerName, connection: Connection, alg: BenchAlgorithm) =>
      `${peer} ${connection} ${alg}`;
    let turn = 0;
    for (let round = 0; round < options.rounds; round++) {
      for (const connection of CONNECTIONS) {
        for (const alg of ALGORITHMS) {
          // Each server goes first in turn, so drift (neighbours, heat, JIT) weighs on all alike.
          const order = servers.map((_, i) => servers[(i + turn) % servers.length]!);
          turn++;
          for (const server of order) {
            const { result, peakRss: peak } = await measure(
              server,
              alg,
              connection,
              { warmup: options.warmupSeconds, measure: options.measureSeconds },
              options,
            );
            notePeak(server.peer, peak);
            const k = key(server.peer, connection, alg);
            byCase.set(k, [...(byCase.get(k) ?? []), result]);
            process.stdout.write(
              `${connection} ${alg} ${PEER_LABEL[server.peer].padEnd(18)} round ${round + 1}/${options.rounds}: ` +
                `${describeRun(summarize([result]))}\n`,
            );
            await sleep(PAUSE_BETWEEN_RUNS_MS);
          }
        }
      }
    }

    const results: PeerResult[] = options.peers.map((peer) => {
      const status = statuses.get(peer) ?? { started: false, reason: 'not tried' };
      const cases = CONNECTIONS.flatMap((connection) =>
        ALGORITHMS.flatMap((alg) => {
          const caseRuns = byCase.get(key(peer, connection, alg));
          return caseRuns === undefined ? [] : [{ connection, alg, summary: summarize(caseRuns) }];
        }),
      );
      return {
        peer,
        status,
        ...(idleRss.get(peer) === undefined ? {} : { idleRssBytes: idleRss.get(peer) }),
        ...(peakRss.get(peer) === undefined ? {} : { loadRssBytes: peakRss.get(peer) }),
        cases,
      };
    });
    process.stdout.write(`\n${peersTable(results, ALGORITHMS)}\n\nratio = Latchkey / peer\n`);

    if (!reportValidity(peersProblems(results))) return 1;
    if (options.save) {
      const date = new Date().toISOString().slice(0, 10);
      const settings: PeerSettings = {
        connections: options.connections,
        warmupSeconds: options.warmupSeconds,
        measureSeconds: options.measureSeconds,
        rounds: options.rounds,
        idleClients: options.idleClients,
      };
      const report = {
        date,
        commit: commit(),
        machine: m,
        sharedMachine: options.sharedMachine,
        settings,
        peers: results,
      };
      await saveResults(date, 'peers', peersMarkdown(report, ALGORITHMS));
    }
    return 0;
  } finally {
    await stopAll();
    await rm(root, { recursive: true, force: true });
    cleanUp();
  }
}

runBench({
  name: 'bench:peers',
  usage: USAGE,
  parse: parseOptions,
  main,
  stopping: 'the servers',
  stop: async () => {
    await stopAll();
    cleanUp();
  },
});
