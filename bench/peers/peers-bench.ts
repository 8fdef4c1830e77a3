/**
 * `npm run bench:peers`: Latchkey dev mode, node-oidc-provider and Keycloak on this machine, measured by the
 * same load generator in one run: client_credentials tokens/s and latency over keep-alive and over a new
 * connection per request, RS256 and ES256, server CPU per token, idle RSS with 1,000 clients registered and
 * RSS under load. Prints the table of ratios and writes bench/results/<date>-peers.md. See bench/README.md.
 */

import { rmSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { loadRun, startChild, stopAll } from '../lib/children.ts';
import { compileForBench } from '../lib/compiled.ts';
import { parseBenchArgs, positive, reportValidity, RUN_FLAGS, runBench, runSettings } from '../lib/cli.ts';
import { ALGORITHMS, audienceOf, LIFETIME_SECONDS, SCOPE } from '../lib/latchkey-dev.ts';
import { sampleRss, treeUsage } from '../lib/proc-tree.ts';
import type { BenchAlgorithm, LoadConfig } from '../lib/protocol.ts';
import { describeMachine, describeRun, summarize, type Run } from '../lib/report.ts';
import { commit, machine, saveResults } from '../lib/run-info.ts';
import { KEYCLOAK_VERSION } from './keycloak.ts';
import {
  removeKeycloakData,
  START,
  stopLatchkeyPostgres,
  type LatchkeyState,
  type Server,
} from './peer-servers.ts';
import { PEOPLE_GRANTS, type PeopleGrant } from './people-cases.ts';
import { measurePeople } from './people-runs.ts';
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

const USAGE = `Usage: npm run bench:peers -- [options]

  --connections N    connections, one request in flight on each (default 32)
  --warmup S         seconds of warm-up before each measured run (default 2)
  --duration S       measured seconds per run (default 4)
  --rounds N         runs per server, connection kind and algorithm (default 3)
  --idle-clients N   clients registered besides the bench's own (default 1000)
  --only LIST        servers to run besides Latchkey: oidc-provider,keycloak (default both)
  --grants LIST      client_credentials,authorization_code,refresh_token (default all three)
  --latchkey-state B Latchkey's runtime state: embedded (latchkey dev, SQLite) or postgres (default embedded)
  --shared-machine   say in the results that other work shared the machine
  --quick            1s warm-up, 2s measured, 1 round, 100 idle clients, not saved: checks the bench works
  --no-save          do not write bench/results/<date>-peers[-people][-postgres].md

Keycloak ${KEYCLOAK_VERSION} is downloaded once from Maven Central (MAVEN_REPOSITORY overrides it) into
~/.cache/latchkey/peers (LATCHKEY_PEERS_CACHE overrides it) and runs on the first JDK >= 21 found in
KEYCLOAK_JAVA_HOME, JAVA_HOME or /usr/lib/jvm.
`;

const PAUSE_BETWEEN_RUNS_MS = 500;
const RSS_SAMPLE_MS = 250;
type Grant = 'client_credentials' | PeopleGrant;
const GRANTS: readonly Grant[] = ['client_credentials', ...PEOPLE_GRANTS];

interface Options extends PeerSettings {
  peers: PeerName[];
  grants: Grant[];
  latchkeyState: LatchkeyState;
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
    grants: { type: 'string' },
    'latchkey-state': { type: 'string' },
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
  const grants = values.grants?.split(',').map((s) => s.trim()) ?? GRANTS;
  for (const grant of grants) {
    if (!GRANTS.includes(grant as Grant))
      throw new Error(`--grants takes ${GRANTS.join(', ')}, got ${grant}`);
  }
  const latchkeyState = values['latchkey-state'] ?? 'embedded';
  if (latchkeyState !== 'embedded' && latchkeyState !== 'postgres') {
    throw new Error(`--latchkey-state takes embedded or postgres, got ${latchkeyState}`);
  }
  return {
    peers: PEERS.filter((p) => p === 'latchkey' || only.includes(p)),
    grants: GRANTS.filter((g) => grants.includes(g)),
    latchkeyState,
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
  removeKeycloakData();
}

/** The runs of each case, by server: `<peer> <connection> <alg>` for client_credentials, `<peer> <grant>`. */
type ByCase = Map<string, Run[]>;
const caseKey = (peer: PeerName, what: string) => `${peer} ${what}`;

function keep(byCase: ByCase, key: string, result: Run): void {
  byCase.set(key, [...(byCase.get(key) ?? []), result]);
}

/** Untimed runs so every server's hot paths (a JVM's above all) are compiled before anything counts. */
async function prime(servers: readonly Server[], options: Options, notePeak: NotePeak): Promise<void> {
  process.stdout.write(`\nPriming every server (${options.primeSeconds} s per case, not counted)…\n`);
  const say = (server: Server, what: string, result: Run) => {
    if (result.failed > 0) {
      process.stdout.write(
        `  ${PEER_LABEL[server.peer]} ${what}: ${result.failed} failed, first: ${result.firstFailure}\n`,
      );
    }
  };
  const long = { warmup: options.primeSeconds - 1, measure: 1 };
  for (const server of servers) {
    if (options.grants.includes('client_credentials')) {
      for (const alg of ALGORITHMS) {
        const { result, peakRss } = await measure(server, alg, 'keep-alive', long, options);
        notePeak(server.peer, peakRss);
        say(server, alg, result);
      }
    }
    for (const grant of options.grants) {
      if (grant === 'client_credentials') continue;
      // A short code run: its rate sizes the first measured run's pool of codes.
      const seconds = grant === 'refresh_token' ? long : { warmup: 1, measure: 3 };
      const { result, peakRss } = await measurePeople(server, grant, seconds, options.connections);
      notePeak(server.peer, peakRss);
      say(server, grant, result);
    }
  }
}

type NotePeak = (peer: PeerName, bytes: number | undefined) => void;

/** One measured run of every server per case and round, each server going first in turn. */
async function measureRounds(
  servers: readonly Server[],
  options: Options,
  byCase: ByCase,
  notePeak: NotePeak,
): Promise<void> {
  const seconds = { warmup: options.warmupSeconds, measure: options.measureSeconds };
  const cases: { label: string; run: (server: Server) => Promise<{ result: Run; peakRss?: number }> }[] = [];
  if (options.grants.includes('client_credentials')) {
    for (const connection of CONNECTIONS) {
      for (const alg of ALGORITHMS) {
        cases.push({
          label: `${connection} ${alg}`,
          run: (server) => measure(server, alg, connection, seconds, options),
        });
      }
    }
  }
  for (const grant of options.grants) {
    if (grant === 'client_credentials') continue;
    cases.push({ label: grant, run: (server) => measurePeople(server, grant, seconds, options.connections) });
  }
  let turn = 0;
  for (let round = 0; round < options.rounds; round++) {
    for (const c of cases) {
      // Each server goes first in turn, so drift (neighbours, heat, JIT) weighs on all alike.
      const order = servers.map((_, i) => servers[(i + turn) % servers.length]!);
      turn++;
      for (const server of order) {
        const { result, peakRss } = await c.run(server);
        notePeak(server.peer, peakRss);
        keep(byCase, caseKey(server.peer, c.label), result);
        process.stdout.write(
          `${c.label} ${PEER_LABEL[server.peer].padEnd(18)} round ${round + 1}/${options.rounds}: ` +
            `${describeRun(summarize([result]))}\n`,
        );
        await sleep(PAUSE_BETWEEN_RUNS_MS);
      }
    }
  }
}

async function startServers(root: string, options: Options, maxSeconds: number) {
  const servers: Server[] = [];
  const statuses = new Map<PeerName, PeerStatus>();
  for (const peer of options.peers) {
    process.stdout.write(`Starting ${PEER_LABEL[peer]}…\n`);
    try {
      const server = await START[peer](root, options, maxSeconds);
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
  return { servers, statuses };
}

function resultsOf(
  options: Options,
  byCase: ByCase,
  statuses: ReadonlyMap<PeerName, PeerStatus>,
  rss: { idle: ReadonlyMap<PeerName, number | undefined>; peak: ReadonlyMap<PeerName, number> },
): PeerResult[] {
  return options.peers.map((peer) => {
    const status = statuses.get(peer) ?? { started: false, reason: 'not tried' };
    const cases = CONNECTIONS.flatMap((connection) =>
      ALGORITHMS.flatMap((alg) => {
        const caseRuns = byCase.get(caseKey(peer, `${connection} ${alg}`));
        return caseRuns === undefined ? [] : [{ connection, alg, summary: summarize(caseRuns) }];
      }),
    );
    const people = PEOPLE_GRANTS.flatMap((grant) => {
      const runs = byCase.get(caseKey(peer, grant));
      return runs === undefined ? [] : [{ grant, summary: summarize(runs) }];
    });
    return {
      peer,
      status,
      ...(rss.idle.get(peer) === undefined ? {} : { idleRssBytes: rss.idle.get(peer) }),
      ...(rss.peak.get(peer) === undefined ? {} : { loadRssBytes: rss.peak.get(peer) }),
      cases,
      ...(people.length === 0 ? {} : { people }),
    };
  });
}

async function main(options: Options): Promise<number> {
  const runSeconds = options.warmupSeconds + options.measureSeconds;
  const runs = options.rounds * (CONNECTIONS.length * ALGORITHMS.length + PEOPLE_GRANTS.length);
  const serverMaxSeconds = Math.ceil(
    options.peers.length * (runs * (runSeconds + 60) + 4 * (options.primeSeconds + 60)) + 900,
  );
  const root = await mkdtemp(join(tmpdir(), 'latchkey-peers-bench-'));
  tempRoot = root;
  try {
    const m = machine();
    process.stdout.write(`${describeMachine(m)}\n${describePeerSettings(options)}\n\n`);
    // Both Node.js servers run as JavaScript, as they are deployed: type stripping would add to their memory.
    process.stdout.write('Compiling Latchkey and the node-oidc-provider server with tsc…\n');
    await compileForBench();
    const { servers, statuses } = await startServers(root, options, serverMaxSeconds);

    await sleep(options.settleSeconds * 1000);
    const idle = new Map<PeerName, number | undefined>();
    for (const server of servers) {
      const pid = server.pid();
      idle.set(server.peer, pid === undefined ? undefined : treeUsage(pid)?.rssBytes);
    }
    const peak = new Map<PeerName, number>();
    const notePeak: NotePeak = (peer, bytes) => {
      if (bytes !== undefined) peak.set(peer, Math.max(peak.get(peer) ?? 0, bytes));
    };
    await prime(servers, options, notePeak);
    const byCase: ByCase = new Map();
    await measureRounds(servers, options, byCase, notePeak);

    const results = resultsOf(options, byCase, statuses, { idle, peak });
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
        latchkeyState: options.latchkeyState,
      };
      const report = {
        date,
        commit: commit(),
        machine: m,
        sharedMachine: options.sharedMachine,
        settings,
        peers: results,
      };
      const name =
        'peers' +
        (options.grants.includes('client_credentials') ? '' : '-people') +
        (options.latchkeyState === 'postgres' ? '-postgres' : '');
      await saveResults(date, name, peersMarkdown(report, ALGORITHMS));
    }
    return 0;
  } finally {
    await stopAll();
    await stopLatchkeyPostgres();
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
    await stopLatchkeyPostgres();
    cleanUp();
  },
});
