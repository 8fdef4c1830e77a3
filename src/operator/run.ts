import { KIND_NAMES } from '../api/kinds.ts';
import { systemClock, type Clock } from '../clock.ts';
import type { EventBus } from '../events.ts';
import { keySetOf } from '../keys/generate.ts';
import type { SigningKeys } from '../keys/signing-keys.ts';
import { longestTokenLifetime, tokenIssuingApis } from '../keys/lifecycle.ts';
import { registerKeyMetrics } from '../keys/key-metrics.ts';
import { createKubeApi } from '../kube/api.ts';
import { loadKubeConfig, type KubeConnection } from '../kube/config.ts';
import { createInformer } from '../kube/informer.ts';
import {
  CORE_NAMESPACES,
  CORE_SECRETS,
  type Informer,
  type KubeClient,
  type KubeObject,
} from '../kube/types.ts';
import { startServers, type RunningServers } from '../server/start.ts';
import type { RuntimeState } from '../state/runtime-state.ts';
import { openRuntimeState } from '../state/state-options.ts';
import { objectKey } from '../store/objects.ts';
import { releaseMemory } from '../runtime/release-memory.ts';
import { Store } from '../store/store.ts';
import { registerStoreMetrics } from '../store/store-metrics.ts';
import type { OperatorConfig } from './config.ts';
import { createControllerMetrics, type ControllerMetrics } from './controller-metrics.ts';
import type { KindInformers } from './declared-cache.ts';
import type { WorldInformers } from './gather-world.ts';
import { Controller } from './controller.ts';
import { combineInformers } from './informers.ts';
import { checkConnection, fetchFailureEvents } from '../connections/issuer-check.ts';
import { STRICT_POLICY, type AddressPolicy } from '../outbound/address-policy.ts';
import { EarlyIssuerChecks } from '../connections/check-schedule.ts';
import { createLeaderElector, type LeaderElector } from './leader.ts';
import { createWorkQueue, type WorkQueue } from '../runtime/work-queue.ts';
import { createRecorder, type EventRecorder } from './recorder.ts';
import { recordStateOutages } from './state-outage-events.ts';
import { controllerName, resourceOf } from './resources.ts';
import { OperatorKeys, SIGNING_KEYS_SECRET } from './signing-key-secret.ts';
import { createKeysQueue } from './signing-keys-queue.ts';

export interface RunningOperator {
  issuer: string;
  tokenEndpoint: string;
  port: number;
  opsPort: number;
  store: Store;
  isLeader(): boolean;
  /** Resolves once the caches synced and the signing keys are loaded. */
  whenReady(): Promise<void>;
  /** SIGTERM: stop reconciling, let running reconciles finish, release the Lease, stop watching, close the servers. */
  close(): Promise<void>;
}

export interface OperatorDeps {
  events: EventBus;
  now?: Clock;
  /** The API server connection; default: from `config.kubeconfig`, else in-cluster. */
  connection?: KubeConnection;
}

/** Runs `latchkey operator`: every replica watches and serves tokens; the elected leader writes. */
export async function startOperator(config: OperatorConfig, deps: OperatorDeps): Promise<RunningOperator> {
  const core = openCore(config, deps);
  const serving = await startServing(core);
  const informers = createInformers(core);
  const elector = createElection(core, serving.metrics);
  const isLeader = () => elector.isLeader();
  const controller = createController(core, serving, informers, isLeader);
  const queues = createQueues(core, serving.metrics, informers, controller, isLeader);
  const started = startWatching(core, serving, informers, controller, elector, queues);
  return {
    issuer: serving.servers.issuer,
    tokenEndpoint: serving.servers.tokenEndpoint,
    port: serving.servers.port,
    opsPort: serving.servers.opsPort,
    store: core.store,
    isLeader,
    whenReady: () => started.ready,
    close: () => closeOperator({ core, serving, controller, queues, elector, started }),
  };
}

/** What every start-up step reads; created first, before anything listens or watches. */
interface OperatorCore {
  config: OperatorConfig;
  events: EventBus;
  now: Clock;
  api: KubeClient;
  /** Aborted on shutdown: stops the informers and the elector. */
  stop: AbortController;
  store: Store;
  keys: OperatorKeys;
  recorder: EventRecorder;
  /** One policy for Connection issuers and clients' jwksUri: whoever runs Latchkey sets it, never a tenant. */
  policy: AddressPolicy;
  late: LateParts;
}

/**
 * What earlier parts call back into but later steps create (the controller needs the servers' URLs, the servers
 * need the readiness of the informers). Set before any informer or the elector starts, which is what calls back.
 */
interface LateParts {
  keysInForce: SigningKeys;
  informers: Informer<KubeObject>[];
  controller?: Controller;
  keysQueue?: WorkQueue;
  /** Which Secrets the Secret informer keeps whole: the controller's answer. */
  secretFilter: (s: KubeObject) => KubeObject;
}

function openCore(config: OperatorConfig, deps: OperatorDeps): OperatorCore {
  const now = deps.now ?? systemClock;
  const events = deps.events;
  const connection =
    deps.connection ??
    loadKubeConfig(config.kubeconfig !== undefined ? { kubeconfig: config.kubeconfig } : {});
  const api = createKubeApi(connection);
  const late: LateParts = { keysInForce: keySetOf([]), informers: [], secretFilter: (s) => s };
  const store = new Store(late.keysInForce, events);
  const recorder = createRecorder(api, {
    instance: config.identity,
    now,
    onError: (err) =>
      events.emit('reconcile.failed', { controller: 'events', key: '', message: err.message }),
  });
  const keys = new OperatorKeys({
    api,
    namespace: config.namespace,
    events,
    now,
    schedule: config.keyRotation,
    tokenLifetimeSeconds: () => longestTokenLifetime(tokenIssuingApis(store.current())),
    onKeys: (inForce) => {
      late.keysInForce = inForce;
      late.controller?.rebuild();
    },
    recorder,
  });
  const policy = config.issuerPolicy ?? STRICT_POLICY;
  return { config, events, now, api, stop: new AbortController(), store, keys, recorder, policy, late };
}

interface Serving {
  state: RuntimeState | undefined;
  servers: RunningServers;
  metrics: ControllerMetrics;
  readiness: () => { ready: true } | { ready: false; reason: string };
}

/** Opens the runtime state, then the token and ops servers. */
async function startServing(core: OperatorCore): Promise<Serving> {
  const { config, now, keys, late } = core;
  const readiness = () => {
    if (!late.informers.every((i) => i.hasSynced()))
      return { ready: false as const, reason: 'caches are not synced yet' };
    if (keys.keys === undefined) {
      return { ready: false as const, reason: keys.error ?? 'signing keys are not loaded yet' };
    }
    return { ready: true as const };
  };
  // Before anything listens: a database that cannot be migrated, or is newer than this build, fails start-up.
  const state = await openRuntimeState(config.state ?? { backend: 'embedded', path: ':memory:' }, now);
  const servers: RunningServers = await startServers({
    state,
    source: core.store,
    issuer: config.issuer,
    tls: config.tls,
    host: config.host,
    port: config.port,
    opsPort: config.opsPort,
    now,
    events: core.events,
    ready: readiness,
    httpLimits: config.httpLimits,
    replayLimits: config.replayLimits,
    signInLimits: config.signInLimits,
    userCodeLimits: config.userCodeLimits,
    addressPolicy: core.policy,
    management: {
      source: core.store,
      ...(config.managementRateLimit === undefined ? {} : { ratePerMinute: config.managementRateLimit }),
    },
  }).catch(async (error: unknown) => {
    await state?.close();
    throw error;
  });
  registerStoreMetrics(servers.metrics.registry, () => core.store.resolutions());
  registerKeyMetrics(servers.metrics.registry, { ring: () => keys.ring, now, schedule: config.keyRotation });
  return { state, servers, metrics: createControllerMetrics(servers.metrics.registry), readiness };
}

interface OperatorInformers {
  /** What the controller builds the world from. */
  world: WorldInformers;
  keySecret: Informer<KubeObject>;
  all: Informer<KubeObject>[];
}

/** One informer per kind, Secrets and Namespaces, across the watched namespaces, and the signing keys Secret's. */
function createInformers({ config, api, events, late }: OperatorCore): OperatorInformers {
  const watched = config.namespaces ?? [undefined];
  const perNamespace = <T extends KubeObject>(make: (namespace: string | undefined) => Informer<T>) =>
    combineInformers(watched.map(make));
  const kindInformers = Object.fromEntries(
    KIND_NAMES.map((kind) => [
      kind,
      perNamespace((namespace) =>
        createInformer(api, resourceOf(kind), { ...(namespace ? { namespace } : {}), events }),
      ),
    ]),
  ) as KindInformers;
  // The Secret informer asks the controller which Secrets to keep whole; the controller needs the informers.
  const secrets = perNamespace((namespace) =>
    createInformer(api, CORE_SECRETS, {
      ...(namespace ? { namespace } : {}),
      events,
      transform: (s: KubeObject) => late.secretFilter(s),
    }),
  );
  const namespaces = createInformer(api, CORE_NAMESPACES, { events });
  const keySecret = createInformer(api, CORE_SECRETS, {
    namespace: config.namespace,
    fieldSelector: `metadata.name=${SIGNING_KEYS_SECRET}`,
    events,
    name: 'signing-keys',
  });
  late.informers = [...Object.values(kindInformers), secrets, namespaces, keySecret];
  return { world: { ...kindInformers, secrets, namespaces }, keySecret, all: late.informers };
}

function createElection({ config, api, now, late }: OperatorCore, metrics: ControllerMetrics): LeaderElector {
  return createLeaderElector({
    api,
    namespace: config.namespace,
    name: config.leaseName,
    identity: config.identity,
    leaseDurationSeconds: config.leaseDurationSeconds,
    renewDeadlineSeconds: config.renewDeadlineSeconds,
    retryPeriodSeconds: config.retryPeriodSeconds,
    now,
    metrics: metrics.leaderElection(config.leaseName),
    onStartedLeading: () => {
      late.keysQueue?.add(SIGNING_KEYS_SECRET);
      late.controller?.enqueueStale();
    },
  });
}

interface OperatorController {
  ctl: Controller;
  stopStateEvents: () => void;
}

function createController(
  core: OperatorCore,
  { servers }: Serving,
  { world }: OperatorInformers,
  isLeader: () => boolean,
): OperatorController {
  const { config, api, events, policy, late } = core;
  const stopStateEvents = recordStateOutages(events, core.recorder, {
    apiVersion: 'v1',
    kind: 'Pod',
    namespace: config.namespace,
    // The chart's identity is the pod's name.
    name: config.identity,
    ...(config.podUid !== undefined ? { uid: config.podUid } : {}),
  });
  const ctl = new Controller({
    api,
    store: core.store,
    events,
    now: core.now,
    recorder: core.recorder,
    informers: world,
    urls: { issuer: servers.issuer, tokenEndpoint: servers.tokenEndpoint },
    isLeader,
    keys: () => late.keysInForce,
    checkConnection: (spec, connection) =>
      checkConnection(spec, {
        kube: api,
        policy,
        onFetchFailure: fetchFailureEvents(events, connection),
      }),
    addressPolicy: policy,
    managementApi: { namespace: config.namespace, identifier: servers.managementApi },
  });
  late.controller = ctl;
  late.secretFilter = ctl.secretFilter;
  return { ctl, stopStateEvents };
}

interface OperatorQueues {
  keysQueue: WorkQueue;
  kindQueues: WorkQueue[];
  stopEarlyChecks: () => void;
}

function createQueues(
  core: OperatorCore,
  metrics: ControllerMetrics,
  { keySecret }: OperatorInformers,
  { ctl }: OperatorController,
  isLeader: () => boolean,
): OperatorQueues {
  const keysQueue = createKeysQueue(core, metrics, keySecret, isLeader);
  core.late.keysQueue = keysQueue;
  const kindQueues: WorkQueue[] = KIND_NAMES.map((kind) => {
    const name = controllerName(kind);
    const queue = createWorkQueue({
      name,
      handler: (key) => ctl.reconcile(key),
      concurrency: core.config.concurrency,
      metrics: metrics.queue(name),
      onError: (key, err) =>
        core.events.emit('reconcile.failed', { controller: name, key, message: (err as Error).message }),
    });
    ctl.setQueue(kind, queue);
    return queue;
  });
  // Every replica: each one verifies federated tokens with the keys of its own checks.
  const connectionQueue = kindQueues[KIND_NAMES.indexOf('Connection')];
  const earlyChecks = new EarlyIssuerChecks({
    now: core.now,
    connectionsByIssuer: () => core.store.current().connectionsByIssuer,
    check: ({ namespace, name }) => connectionQueue?.add(objectKey('Connection', namespace, name)),
  });
  const stopEarlyChecks = core.events.on('issuer.unknownKey', ({ issuer }) => earlyChecks.request(issuer));
  return { keysQueue, kindQueues, stopEarlyChecks };
}

interface Started {
  electing: Promise<void>;
  ready: Promise<void>;
}

/** Starts the informers and the election; ready once the caches synced and the signing keys are loaded. */
function startWatching(
  { stop }: OperatorCore,
  { readiness }: Serving,
  { all }: OperatorInformers,
  { ctl }: OperatorController,
  elector: LeaderElector,
  { keysQueue }: OperatorQueues,
): Started {
  ctl.watch();
  for (const informer of all) informer.start(stop.signal);
  const electing = elector.run(stop.signal);

  const synced = Promise.all(all.map((i) => i.synced())).then(() => {
    ctl.synced();
    keysQueue.add(SIGNING_KEYS_SECRET);
  });
  const ready = (async () => {
    await synced;
    while (!readiness().ready && !stop.signal.aborted) await new Promise((r) => setTimeout(r, 50));
  })();
  // Listing and compiling every object at start-up leaves garbage an idle operator would keep resident.
  void ready.then(releaseMemory).catch(() => undefined);
  return { electing, ready };
}

interface RunningParts {
  core: OperatorCore;
  serving: Serving;
  controller: OperatorController;
  queues: OperatorQueues;
  elector: LeaderElector;
  started: Started;
}

/**
 * SIGTERM, in this order: stop reconciling, let running reconciles finish, release the Lease, stop watching,
 * close the servers, then the runtime state they use.
 */
async function closeOperator({
  core,
  serving,
  controller,
  queues,
  elector,
  started,
}: RunningParts): Promise<void> {
  queues.stopEarlyChecks();
  controller.stopStateEvents();
  controller.ctl.stop();
  core.keys.stop();
  await Promise.all([...queues.kindQueues, queues.keysQueue].map((q) => q.shutdown()));
  await elector.release();
  core.stop.abort();
  await started.electing;
  await serving.servers.close();
  await serving.state?.close();
}
