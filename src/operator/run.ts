import { KIND_NAMES, type KindName } from '../api/kinds.ts';
import { systemClock, type Clock } from '../clock.ts';
import type { EventBus } from '../events.ts';
import { keySetOf } from '../keys/generate.ts';
import { longestTokenLifetime } from '../keys/lifecycle.ts';
import { createKubeApi } from '../kube/api.ts';
import { loadKubeConfig, type KubeConnection } from '../kube/config.ts';
import { createInformer } from '../kube/informer.ts';
import { CORE_NAMESPACES, CORE_SECRETS, type Informer, type KubeObject } from '../kube/types.ts';
import { startServers, type RunningServers } from '../server/start.ts';
import { openRuntimeState } from '../state/state-options.ts';
import { objectKey } from '../store/objects.ts';
import { releaseMemory } from '../runtime/release-memory.ts';
import { Store } from '../store/store.ts';
import type { OperatorConfig } from './config.ts';
import { createControllerMetrics } from './controller-metrics.ts';
import { Controller } from './controller.ts';
import { combineInformers } from './informers.ts';
import { checkConnection, fetchFailureEvents } from '../connections/issuer-check.ts';
import { STRICT_POLICY } from '../outbound/address-policy.ts';
import { EarlyIssuerChecks } from '../connections/check-schedule.ts';
import { createLeaderElector } from './leader.ts';
import { createWorkQueue, type WorkQueue } from '../runtime/work-queue.ts';
import { createRecorder, type EventRecorder, type Regarding } from './recorder.ts';
import { controllerName, resourceOf } from './resources.ts';
import { OperatorKeys, SIGNING_KEYS_SECRET } from './signing-key-secret.ts';

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
  const now = deps.now ?? systemClock;
  const events = deps.events;
  const connection =
    deps.connection ??
    loadKubeConfig(config.kubeconfig !== undefined ? { kubeconfig: config.kubeconfig } : {});
  const api = createKubeApi(connection);
  const stop = new AbortController();

  let currentKeys = keySetOf([]);
  const store = new Store(currentKeys, events);
  const keys = new OperatorKeys({
    api,
    namespace: config.namespace,
    events,
    now,
    schedule: config.keyRotation,
    tokenLifetimeSeconds: () => longestTokenLifetime(store.current().apis.values()),
    onKeys: (inForce) => {
      currentKeys = inForce;
      ctl.rebuild();
    },
    recorder: { record: (...args) => recorder.record(...args) },
  });
  let allInformers: Informer<KubeObject>[] = [];
  const readiness = () => {
    if (!allInformers.every((i) => i.hasSynced()))
      return { ready: false as const, reason: 'caches are not synced yet' };
    if (keys.keys === undefined) {
      return { ready: false as const, reason: keys.error ?? 'signing keys are not loaded yet' };
    }
    return { ready: true as const };
  };
  // One policy for Connection issuers and clients' jwksUri: whoever runs Latchkey sets it, never a tenant.
  const policy = config.issuerPolicy ?? STRICT_POLICY;
  // Before anything listens: a database that cannot be migrated, or is newer than this build, fails start-up.
  const state = await openRuntimeState(config.state ?? { backend: 'embedded', path: ':memory:' }, now);
  const servers: RunningServers = await startServers({
    state,
    source: store,
    issuer: config.issuer,
    tls: config.tls,
    host: config.host,
    port: config.port,
    opsPort: config.opsPort,
    now,
    events,
    ready: readiness,
    httpLimits: config.httpLimits,
    replayLimits: config.replayLimits,
    addressPolicy: policy,
  }).catch(async (error: unknown) => {
    await state?.close();
    throw error;
  });
  const metrics = createControllerMetrics(servers.metrics.registry);

  const watched = config.namespaces ?? [undefined];
  const perNamespace = <T extends KubeObject>(make: (namespace: string | undefined) => Informer<T>) =>
    combineInformers(watched.map(make));

  // The Secret informer asks the controller which Secrets to keep whole; the controller needs the informers.
  const secretFilter = { current: (s: KubeObject): KubeObject => s };
  const kindInformers = Object.fromEntries(
    KIND_NAMES.map((kind) => [
      kind,
      perNamespace((namespace) =>
        createInformer(api, resourceOf(kind), { ...(namespace ? { namespace } : {}), events }),
      ),
    ]),
  ) as { [K in KindName]: Informer<KubeObject> };
  const secrets = perNamespace((namespace) =>
    createInformer(api, CORE_SECRETS, {
      ...(namespace ? { namespace } : {}),
      events,
      transform: (s: KubeObject) => secretFilter.current(s),
    }),
  );
  const namespaces = createInformer(api, CORE_NAMESPACES, { events });
  const keySecret = createInformer(api, CORE_SECRETS, {
    namespace: config.namespace,
    fieldSelector: `metadata.name=${SIGNING_KEYS_SECRET}`,
    events,
    name: 'signing-keys',
  });
  allInformers = [...Object.values(kindInformers), secrets, namespaces, keySecret];

  const elector = createLeaderElector({
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
      keysQueue.add(SIGNING_KEYS_SECRET);
      ctl.enqueueStale();
    },
  });
  const isLeader = () => elector.isLeader();

  const recorder = createRecorder(api, {
    instance: config.identity,
    now,
    onError: (err) =>
      events.emit('reconcile.failed', { controller: 'events', key: '', message: err.message }),
  });
  const stopStateEvents = recordStateOutages(events, recorder, {
    apiVersion: 'v1',
    kind: 'Pod',
    namespace: config.namespace,
    // The chart's identity is the pod's name.
    name: config.identity,
  });
  const ctl = new Controller({
    api,
    store,
    events,
    now,
    recorder,
    informers: { ...kindInformers, secrets, namespaces },
    urls: { issuer: servers.issuer, tokenEndpoint: servers.tokenEndpoint },
    isLeader,
    keys: () => currentKeys,
    checkConnection: (spec, connection) =>
      checkConnection(spec, {
        kube: api,
        policy,
        onFetchFailure: fetchFailureEvents(events, connection),
      }),
    addressPolicy: policy,
  });
  secretFilter.current = ctl.secretFilter;

  // The leader's key work (create, restore, rotate) runs on a queue of its own, woken at each key's time.
  const keysQueue = createWorkQueue({
    name: 'signing-keys',
    handler: () => keys.reconcile(isLeader(), keySecret.hasSynced()),
    // One key only: retrying it every 30 s at most costs nothing and picks up a recovered API server soon.
    backoff: { maxMs: 30_000 },
    metrics: metrics.queue('signing-keys'),
    now,
    onError: (key, err) =>
      events.emit('reconcile.failed', { controller: 'signing-keys', key, message: (err as Error).message }),
  });
  keySecret.on((e) => {
    keys.observe(e.type === 'deleted' ? undefined : e.object);
    keysQueue.add(SIGNING_KEYS_SECRET);
  });
  // A longer token lifetime must be recorded with the keys that may sign such tokens (they stay published for it).
  events.on('store.swapped', () => {
    if (isLeader() && keys.lifetimeBehind()) keysQueue.add(SIGNING_KEYS_SECRET);
  });

  const queues: WorkQueue[] = KIND_NAMES.map((kind) => {
    const name = controllerName(kind);
    const queue = createWorkQueue({
      name,
      handler: (key) => ctl.reconcile(key),
      concurrency: config.concurrency,
      metrics: metrics.queue(name),
      onError: (key, err) =>
        events.emit('reconcile.failed', { controller: name, key, message: (err as Error).message }),
    });
    ctl.setQueue(kind, queue);
    return queue;
  });

  // Every replica: each one verifies federated tokens with the keys of its own checks.
  const connectionQueue = queues[KIND_NAMES.indexOf('Connection')];
  const earlyChecks = new EarlyIssuerChecks({
    now,
    connectionsByIssuer: () => store.current().connectionsByIssuer,
    check: ({ namespace, name }) => connectionQueue?.add(objectKey('Connection', namespace, name)),
  });
  const stopEarlyChecks = events.on('issuer.unknownKey', ({ issuer }) => earlyChecks.request(issuer));

  ctl.watch();
  for (const informer of allInformers) informer.start(stop.signal);
  const electing = elector.run(stop.signal);

  const synced = Promise.all(allInformers.map((i) => i.synced())).then(() => {
    ctl.synced();
    keysQueue.add(SIGNING_KEYS_SECRET);
  });
  const ready = (async () => {
    await synced;
    while (!readiness().ready && !stop.signal.aborted) await new Promise((r) => setTimeout(r, 50));
  })();
  // Listing and compiling every object at start-up leaves garbage an idle operator would keep resident.
  void ready.then(releaseMemory).catch(() => undefined);

  return {
    issuer: servers.issuer,
    tokenEndpoint: servers.tokenEndpoint,
    port: servers.port,
    opsPort: servers.opsPort,
    store,
    isLeader,
    whenReady: () => ready,
    async close() {
      stopEarlyChecks();
      stopStateEvents();
      ctl.stop();
      keys.stop();
      await Promise.all([...queues, keysQueue].map((q) => q.shutdown()));
      await elector.release();
      stop.abort();
      await electing;
      await servers.close();
      await state?.close();
    },
  };
}

/**
 * The runtime state's outages as Events on this replica's Pod, once per outage (the health tracker emits on
 * transitions only), so `kubectl describe pod` says why it is not ready. Returns the unsubscribe.
 */
function recordStateOutages(events: EventBus, recorder: EventRecorder, pod: Regarding): () => void {
  const off = [
    events.on('state.unavailable', (e) => {
      const note = `the runtime state (${e.backend}) does not answer: ${e.message}; client assertions, introspection and revocation answer temporarily_unavailable until it does`;
      void recorder.record(pod, 'Warning', 'RuntimeStateUnavailable', 'Serve', note);
    }),
    events.on('state.recovered', (e) => {
      const note = `the runtime state (${e.backend}) answers again after ${e.downSeconds}s`;
      void recorder.record(pod, 'Normal', 'RuntimeStateRecovered', 'Serve', note);
    }),
  ];
  return () => off.forEach((unsubscribe) => unsubscribe());
}
