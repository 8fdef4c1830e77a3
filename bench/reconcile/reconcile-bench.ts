/**
 * `npm run bench:reconcile`: how the operator keeps up with N OAuthClients on a real kube-apiserver and etcd.
 * For each N, on a fresh control plane: `latchkey operator` as a child process, then N Roles and N
 * OAuthClients created through the API; reports the time until all are Ready and a token can be issued for
 * every client, the operator's heap and RSS, and how long one more client waits for Ready. Prints the tables
 * and writes bench/results/<date>-reconcile.md. See bench/README.md.
 */

import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { createKubeApi } from '../../src/kube/api.ts';
import { loadKubeConfig } from '../../src/kube/config.ts';
import type { KubeClient } from '../../src/kube/types.ts';
import {
  freePort,
  installCrds,
  repoRoot,
  startControlPlane,
  type ControlPlane,
} from '../../test/integration/envtest.ts';
import {
  cpuSecondsOf,
  logSize,
  machineTicks,
  memoryAfterGc,
  metric,
  metricsText,
  processesWith,
  startOperatorProcess,
  startProfile,
  stopAllOperators,
  stopOperator,
  stopProfile,
  summarizeLog,
  waitUntilLeading,
  type OperatorProcess,
} from './reconcile-operator.ts';
import { summarizeProfile } from '../lib/operator-profile.ts';
import {
  describeWork,
  noise,
  perClientTable,
  profileSection,
  resultsMarkdown,
  sizeTable,
  verdict,
  type ReconcileReport,
  type SizeResult,
} from './reconcile-report.ts';
import { clientName } from '../lib/declared-objects.ts';
import {
  countReady,
  createObjects,
  createSetup,
  eventReasons,
  newClientLatency,
  tokensForAll,
  type CreateResult,
  type ReadyCount,
} from './reconcile-world.ts';
import { describeMachine } from '../lib/report.ts';
import { commit, machine, saveResults } from '../lib/run-info.ts';
import { parseBenchArgs, runBench } from '../lib/cli.ts';

const USAGE = `Usage: npm run bench:reconcile -- [options]

  --n 1000,5000     numbers of OAuthClients, one fresh control plane each (default 1000,5000)
  --concurrency N   create requests in flight (default 16)
  --profile         CPU-profile the operator while clients converge and while new ones wait; print the top functions
  --quick           N = 200 only, not saved: checks the bench works
  --no-save         do not write bench/results/<date>-reconcile.md
`;

const OPERATOR_NAMESPACE = 'latchkey-system';
const POLL_MS = 500;
const POLL_SPACING = 4;
const PROGRESS_MS = 5_000;
const NEW_CLIENT_REPEATS = 5;
const NEW_CLIENT_POLL_MS = 20;
const NEW_CLIENT_PAUSE_MS = 1_000;
const NEW_CLIENT_TIMEOUT_MS = 120_000;
const TOKEN_CONCURRENCY = 16;
const POLL_COST_SAMPLES = 3;
const SETTLE_MS = 2_000;
/** How long N clients may take to converge: generous, so only a stuck operator fails the run. */
const convergeTimeoutMs = (n: number) => 180_000 + 100 * n;

interface Options {
  sizes: number[];
  concurrency: number;
  profile: boolean;
  save: boolean;
}

function parseOptions(argv: string[]): Options | undefined {
  const args = parseBenchArgs(argv, {
    n: { type: 'string' },
    concurrency: { type: 'string' },
    profile: { type: 'boolean', default: false },
  });
  if (args === undefined) return undefined;
  const { values } = args;
  const sizes = args.quick ? [200] : (values.n ?? '1000,5000').split(',').map((s) => Number(s.trim()));
  for (const n of sizes) {
    if (!Number.isInteger(n) || n < 1 || n > 50_000)
      throw new Error(`--n takes integers from 1 to 50000, got ${n}`);
  }
  const concurrency = Number(values.concurrency ?? 16);
  if (!Number.isInteger(concurrency) || concurrency < 1 || concurrency > 256) {
    throw new Error(`--concurrency must be an integer from 1 to 256, got ${values.concurrency}`);
  }
  return { sizes, concurrency, profile: values.profile, save: args.save };
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));
const say = (line: string) => process.stdout.write(`${line}\n`);

// What is running, so Ctrl-C and errors stop it.
let plane: ControlPlane | undefined;
let tempRoot: string | undefined;

/** CPU seconds used so far by each process of the run, and the machine's busy and total jiffies. */
interface CpuPoint {
  seconds: Record<string, number>;
  machine: { busy: number; total: number };
}

function cpuPoint(pids: ReadonlyMap<string, number>): CpuPoint {
  const seconds: Record<string, number> = {};
  for (const [name, pid] of pids) seconds[name] = cpuSecondsOf(pid);
  const own = process.cpuUsage();
  seconds['bench'] = (own.user + own.system) / 1e6;
  return { seconds, machine: machineTicks() };
}

/** CPU seconds per process between two points, and `other`: what the rest of the machine used meanwhile. */
function cpuBetween(a: CpuPoint, b: CpuPoint): Record<string, number> {
  const used = Object.fromEntries(Object.entries(b.seconds).map(([k, v]) => [k, v - (a.seconds[k] ?? 0)]));
  const ours = Object.values(used).reduce((x, y) => x + y, 0);
  return { ...used, other: Math.max(0, b.machine.busy - a.machine.busy - ours) };
}

async function runSize(n: number, options: Options): Promise<SizeResult> {
  const dir = await mkdtemp(join(tmpdir(), `latchkey-reconcile-bench-${n}-`));
  tempRoot = dir;
  say(`\nN = ${n}: starting kube-apiserver and etcd…`);
  plane = await startControlPlane();
  let api: KubeClient | undefined;
  let operator: OperatorProcess | undefined;
  try {
    await installCrds(plane.kubeconfigPath, join(repoRoot, 'crds'));
    api = createKubeApi(loadKubeConfig({ kubeconfig: plane.kubeconfigPath }));
    await createSetup(api, OPERATOR_NAMESPACE);
    const timeoutMs = convergeTimeoutMs(n);
    operator = startOperatorProcess({
      kubeconfig: plane.kubeconfigPath,
      namespace: OPERATOR_NAMESPACE,
      port: await freePort(),
      opsPort: await freePort(),
      dir,
      maxSeconds: Math.ceil((timeoutMs + NEW_CLIENT_REPEATS * NEW_CLIENT_TIMEOUT_MS) / 1000) + 300,
    });
    await waitUntilLeading(operator, api, OPERATOR_NAMESPACE, 60_000);
    // kube-apiserver's --cert-dir and etcd's --data-dir are inside the control plane's temporary folder.
    const planePids = processesWith(dirname(plane.kubeconfigPath));
    const pids = new Map([['operator', operator.pid]]);
    for (const name of ['kube-apiserver', 'etcd']) {
      const pid = planePids.get(name);
      if (pid === undefined) throw new Error(`no ${name} process found for ${dirname(plane.kubeconfigPath)}`);
      pids.set(name, pid);
    }
    await sleep(SETTLE_MS);
    const baseline = await memoryAfterGc(operator);
    say(`N = ${n}: operator leading (pid ${operator.pid}); creating ${n} Roles and ${n} OAuthClients…`);

    if (options.profile) startProfile(operator);
    const cpu0 = cpuPoint(pids);
    const t0 = performance.now();
    const t0Wall = Date.now();
    let created = 0;
    let last: ReadyCount = { total: 0, ready: 0 };
    const progress = setInterval(
      () =>
        say(
          `  ${((performance.now() - t0) / 1000).toFixed(0).padStart(4)} s: created ${created}/${2 * n}, ` +
            `Ready ${last.ready}/${n}`,
        ),
      PROGRESS_MS,
    );
    const polls: number[] = [];
    let createResult: CreateResult;
    let readyAt: number;
    try {
      const creating = createObjects(api, n, options.concurrency, (c) => (created = c));
      // A failed create fails the run at once, not when the poll gives up.
      let createError: unknown;
      creating.catch((err: unknown) => (createError = err));
      readyAt = await (async () => {
        const deadline = t0 + timeoutMs;
        for (;;) {
          const started = performance.now();
          if (createError !== undefined) throw createError;
          last = await countReady(api, 'OAuthClient', 'client-');
          polls.push(performance.now() - started);
          if (last.ready === n) {
            const roles = await countReady(api, 'Role', 'role-');
            if (roles.ready === n) return performance.now();
            last = { ...last, example: `Role ${roles.example ?? `${roles.total} of ${n} created`}` };
          }
          if (performance.now() > deadline) {
            throw new Error(
              `${last.ready} of ${n} OAuthClients Ready after ${timeoutMs / 1000}s; e.g. ${last.example ?? '?'}\n` +
                `operator log:\n${operator?.tail(10)}`,
            );
          }
          // A poll lists all N, so polling at a fixed rate would cost the API server O(N²) over the run: wait at
          // least POLL_SPACING times as long as the poll took. The status' lastTransitionTime keeps the precision.
          const took = performance.now() - started;
          await sleep(Math.max(POLL_MS, POLL_SPACING * took) - took);
        }
      })();
      createResult = await creating;
    } finally {
      clearInterval(progress);
    }
    const cpuReady = cpuPoint(pids);
    const createdAt = createResult.finishedAt;
    const createSeconds = (createdAt - t0) / 1000;
    say(
      `N = ${n}: created in ${createSeconds.toFixed(1)} s, all Ready after ${((readyAt - t0) / 1000).toFixed(1)} s; ` +
        `getting a token for every client…`,
    );
    const names = Array.from({ length: n }, (_, i) => clientName(i));
    const tokens = await tokensForAll(api, operator.tokenEndpoint, operator.issuer, names, TOKEN_CONCURRENCY);
    const tokensAt = performance.now();
    const cpuTokens = cpuPoint(pids);
    if (tokens.failed > 0) {
      throw new Error(`${tokens.failed} of ${n} clients got no token; first: ${tokens.firstFailure ?? '?'}`);
    }
    const convergeProfile = join(dir, 'converge.cpuprofile');
    if (options.profile) await stopProfile(operator, convergeProfile);
    say(
      `N = ${n}: ${tokens.ok} tokens in ${tokens.seconds.toFixed(1)} s; timing ${NEW_CLIENT_REPEATS} new clients…`,
    );
    const newClientLogFrom = await logSize(operator.logPath);
    const newClientProfile = join(dir, 'new-client.cpuprofile');
    if (options.profile) startProfile(operator);
    const cpuFresh0 = cpuPoint(pids);
    const fresh = await newClientLatency(
      api,
      operator.tokenEndpoint,
      NEW_CLIENT_REPEATS,
      NEW_CLIENT_POLL_MS,
      NEW_CLIENT_PAUSE_MS,
      NEW_CLIENT_TIMEOUT_MS,
    );
    const cpuFresh1 = cpuPoint(pids);
    if (options.profile) await stopProfile(operator, newClientProfile);
    const newClientLog = await summarizeLog(operator.logPath, newClientLogFrom);
    // What one Ready poll costs, measured now that the operator is idle: times the polls made, it is the part
    // of the CPU to Ready that the measurement itself caused (a poll lists all N, so this part grows as N²).
    const pollCpu0 = cpuPoint(pids);
    for (let k = 0; k < POLL_COST_SAMPLES; k++) await countReady(api, 'OAuthClient', 'client-');
    const pollCpu = cpuBetween(pollCpu0, cpuPoint(pids));
    const events = await eventReasons(api);
    await sleep(SETTLE_MS);
    const after = await memoryAfterGc(operator);
    const text = await metricsText(operator);
    const reconciles = Object.fromEntries(
      ['resourceserver', 'role', 'oauthclient'].map((c) => [
        c,
        metric(text, 'controller_runtime_reconcile_total', `controller="${c}"`),
      ]),
    );
    const code = await stopOperator(operator);
    if (code !== 0) say(`N = ${n}: the operator exited with ${code} when stopped`);
    const log = await summarizeLog(operator.logPath);
    const profile = options.profile
      ? {
          converge: await summarizeProfile(convergeProfile),
          newClients: await summarizeProfile(newClientProfile),
        }
      : undefined;
    return {
      n,
      createSeconds,
      createRetries: createResult.retries,
      readySeconds: (readyAt - t0) / 1000,
      lastReadyTransitionSeconds:
        last.lastTransitionMs === undefined ? undefined : (last.lastTransitionMs - t0Wall) / 1000,
      readyAfterCreateSeconds: (readyAt - createdAt) / 1000,
      tokensSeconds: (tokensAt - t0) / 1000,
      tokenPhaseSeconds: tokens.seconds,
      tokenFailures: tokens.failed,
      cpuToReady: cpuBetween(cpu0, cpuReady),
      operatorCpuToTokens: (cpuTokens.seconds['operator'] ?? 0) - (cpu0.seconds['operator'] ?? 0),
      machineBusy:
        (cpuReady.machine.busy - cpu0.machine.busy) /
        Math.max(1, cpuReady.machine.total - cpu0.machine.total),
      polls: {
        count: polls.length,
        meanMs: polls.reduce((a, b) => a + b, 0) / Math.max(1, polls.length),
        apiserverCpuSeconds: (pollCpu['kube-apiserver'] ?? 0) / POLL_COST_SAMPLES,
        benchCpuSeconds: (pollCpu['bench'] ?? 0) / POLL_COST_SAMPLES,
      },
      events,
      baseline,
      after,
      newClientReadyMs: fresh.readyMs,
      newClientTokenMs: fresh.tokenMs,
      newClientCpu: cpuBetween(cpuFresh0, cpuFresh1),
      newClientLog,
      reconciles,
      log,
      ...(profile !== undefined ? { profile } : {}),
    };
  } finally {
    if (operator !== undefined) await stopOperator(operator);
    await api?.close();
    await plane.stop();
    plane = undefined;
    await rm(dir, { recursive: true, force: true });
    tempRoot = undefined;
  }
}

async function main(options: Options): Promise<number> {
  const m = machine();
  // The code measured is the code at the start: other work may change the tree while the bench runs.
  // The operator's behaviour also follows from its CRDs.
  const measured = commit(['src', 'crds']);
  say(`${describeMachine(m)}; commit ${measured}`);
  const sizes: SizeResult[] = [];
  for (const n of options.sizes) {
    const result = await runSize(n, options);
    sizes.push(result);
    say(`\n${sizeTable([result])}\n\n${describeWork(result)}`);
    if (result.profile !== undefined) say(`\n${profileSection(result)}`);
  }
  say(`\n${sizeTable(sizes)}\n\n${perClientTable(sizes)}\n\n${verdict(sizes, m.cores)}`);
  const warning = noise(sizes, m.cores);
  if (warning !== undefined) say(`\nWarning: ${warning}`);
  if (options.save) {
    const date = new Date().toISOString().slice(0, 10);
    const report: ReconcileReport = {
      date,
      commit: measured,
      machine: m,
      settings: {
        concurrency: options.concurrency,
        pollMs: POLL_MS,
        pollSpacing: POLL_SPACING,
        newClientRepeats: NEW_CLIENT_REPEATS,
        profiled: options.profile,
      },
      sizes,
    };
    await saveResults(date, 'reconcile', resultsMarkdown(report));
  }
  return 0;
}

async function cleanup(): Promise<void> {
  await stopAllOperators();
  await plane?.stop();
  if (tempRoot !== undefined) await rm(tempRoot, { recursive: true, force: true });
}

runBench({
  name: 'bench:reconcile',
  usage: USAGE,
  parse: parseOptions,
  main,
  stopping: 'the operator and the control plane',
  stop: cleanup,
  stack: true,
});
