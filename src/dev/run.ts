import { watch, type FSWatcher } from 'node:fs';
import { systemClock, type Clock } from '../clock.ts';
import type { EventBus } from '../events.ts';
import { keySetAt, type KeyRing } from '../keys/lifecycle.ts';
import type { SigningKeys } from '../keys/signing-keys.ts';
import { DEFAULT_ROTATION } from '../keys/signing-key-rotation.ts';
import { registerKeyMetrics } from '../keys/key-metrics.ts';
import type { DeclaredConnection, DeclaredOAuthClient, SecretData, WorldInputs } from '../store/objects.ts';
import { Store } from '../store/store.ts';
import { registerStoreMetrics } from '../store/store-metrics.ts';
import { SHARED_SECRET_METHODS } from '../api/protocol-capabilities.ts';
import type { Resolution } from '../store/compile.ts';
import { defaultClientId } from '../store/names.ts';
import { DEFAULT_LATCHKEY_NAMESPACE } from '../management/scopes.ts';
import { issuerUrls } from '../server/issuer.ts';
import { startServers, type RunningServers } from '../server/start.ts';
import {
  embeddedStatePath,
  openEmbeddedState,
  type EmbeddedState,
} from '../state/embedded/embedded-state.ts';
import type { AddressPolicy } from '../outbound/address-policy.ts';
import { DEV_ADDRESS_POLICY, type DevConfig } from './config.ts';
import type { DevConnectionChecks } from './connection-checks.ts';
import { ManifestFolder, type ManifestFolderOptions } from './manifest-folder.ts';
import { checkManifestsDir } from './manifests-dir.ts';
import { readyText, type ReadyParts } from './ready.ts';
import { tryItCommand } from './try-it.ts';
import { rotateKeys, type KeyRotation } from './key-schedule.ts';
import { newPkcePair, signInHint, type PkcePair } from './try-sign-in.ts';
import { uncheckedIssuerMessages } from './unchecked-issuer.ts';
import { releaseMemory } from '../runtime/release-memory.ts';
import { DevState } from './state.ts';
import { FirstSeenRecord } from './first-seen.ts';
import { DeclaredInRecord } from './declared-in.ts';
import { clientIdHolders } from '../store/claims.ts';

export interface DevServer {
  issuer: string;
  tokenEndpoint: string;
  port: number;
  opsPort: number;
  store: Store;
  /** The ready line for people (the issuer and a curl command that works), and a sign-in to try under it. */
  readyMessage(): string;
  /** What that line says, for a JSON record of it (`--log-format json`). */
  readyParts(): ReadyParts;
  /** Reads the folder again now (the watcher calls this on every change). */
  reload(): Promise<ReadonlyMap<string, Resolution>>;
  close(): Promise<void>;
}

export interface DevOptions {
  /** Limits of the manifests folder and how a load hands the event loop back; see {@link ManifestFolderOptions}. */
  manifests?: ManifestFolderOptions;
}

const RELOAD_DEBOUNCE_MS = 100;

/** Runs Latchkey on a folder of manifests with a state folder: the embedded default, no cluster. */
export async function startDev(
  config: DevConfig,
  events: EventBus,
  now: Clock = systemClock,
  options: DevOptions = {},
): Promise<DevServer> {
  await checkManifestsDir(config.manifestsDir);
  const dev = await openDevState(config, events, now, options);
  const servers = await startDevServers(dev);
  registerStoreMetrics(servers.metrics.registry, () => dev.store.resolutions());
  registerKeyMetrics(servers.metrics.registry, {
    ring: () => dev.keyRing,
    now: dev.now,
    schedule: DEFAULT_ROTATION,
  });
  const load = await createLoad(dev, servers);
  const rotation: KeyRotation = { timer: undefined };
  const watching: FolderWatch = { watcher: undefined, timer: undefined };
  await firstLoad(dev, servers, load, rotation, watching);
  const { issuer, tokenEndpoint } = servers;
  // One pair for the whole run, so the text line and its JSON record name the same verifier.
  const pkce = newPkcePair();
  return {
    issuer,
    tokenEndpoint,
    port: servers.port,
    opsPort: servers.opsPort,
    store: dev.store,
    reload: () => reload(dev, load),
    readyMessage: () => readyText(readyParts(dev, servers, load.clients, pkce)),
    readyParts: () => readyParts(dev, servers, load.clients, pkce),
    async close() {
      clearTimeout(watching.timer);
      clearTimeout(rotation.timer);
      watching.watcher?.close();
      await load.checks?.close();
      await load.chain;
      await servers.close();
      await dev.runtimeState.close();
    },
  };
}

/** What every step of dev mode reads; the keys and `ready` advance while it runs. */
interface DevContext {
  config: DevConfig;
  events: EventBus;
  now: Clock;
  state: DevState;
  firstSeen: FirstSeenRecord;
  runtimeState: EmbeddedState;
  store: Store;
  folder: ManifestFolder;
  /** One policy for Connection issuers and clients' jwksUri, as in the operator. */
  addressPolicy: AddressPolicy;
  keyRing: KeyRing;
  keysInForce: SigningKeys;
  /** Whether the first load has compiled and written its Secrets. */
  ready: boolean;
}

async function openDevState(
  config: DevConfig,
  events: EventBus,
  now: Clock,
  options: DevOptions,
): Promise<DevContext> {
  const state = new DevState(config.stateDir, events);
  const firstSeen = new FirstSeenRecord(state.firstSeenPath);
  const keyRing = await state.loadKeyRing(now());
  // Runtime state (assertion ids, revoked tokens) in the state folder: a restart keeps every revocation.
  const runtimeState = await openEmbeddedState({ path: embeddedStatePath(config.stateDir), clock: now });
  const keysInForce = keySetAt(keyRing.keys, now(), DEFAULT_ROTATION);
  const store = new Store(keysInForce, events);
  const folder = new ManifestFolder(config.manifestsDir, {
    ...options.manifests,
    declaredIn: new DeclaredInRecord(state.declaredInPath),
  });
  const addressPolicy = config.issuerPolicy ?? DEV_ADDRESS_POLICY;
  return {
    config,
    events,
    now,
    state,
    firstSeen,
    runtimeState,
    store,
    folder,
    addressPolicy,
    keyRing,
    keysInForce,
    ready: false,
  };
}

async function startDevServers(dev: DevContext): Promise<RunningServers> {
  const { config } = dev;
  return startServers({
    state: dev.runtimeState,
    source: dev.store,
    issuer: config.issuer,
    tls: config.tls,
    host: config.host,
    port: config.port,
    opsPort: config.opsPort,
    httpLimits: config.httpLimits,
    replayLimits: config.replayLimits,
    signInLimits: config.signInLimits,
    userCodeLimits: config.userCodeLimits,
    addressPolicy: dev.addressPolicy,
    management: {
      source: dev.store,
      ...(config.managementRateLimit === undefined ? {} : { ratePerMinute: config.managementRateLimit }),
    },
    now: dev.now,
    events: dev.events,
    ready: () => dev.ready,
    // Nothing is served before the first load has compiled and written its Secrets: a script that waits for
    // the metadata and then reads a Secret would otherwise race (issue 9).
    serveOnlyWhen: () => dev.ready,
  }).catch(async (err: unknown) => {
    await dev.runtimeState.close();
    throw err;
  });
}

/** Loading the folder: reloads and the compiles of finished issuer checks run one after another on `chain`. */
interface Load {
  urls: { issuer: string; tokenEndpoint: string; managementApi: string };
  chain: Promise<unknown>;
  /** The folder as last loaded, with the generated Secrets: what a finished issuer check compiles again. */
  loaded: WorldInputs | undefined;
  checksChanged: boolean;
  checks: DevConnectionChecks | undefined;
  /** The OAuthClients of the last load, for the try-it command. */
  clients: DeclaredOAuthClient[];
}

async function createLoad(dev: DevContext, servers: RunningServers): Promise<Load> {
  const load: Load = {
    urls: {
      issuer: servers.issuer,
      tokenEndpoint: servers.tokenEndpoint,
      managementApi: servers.managementApi,
    },
    chain: Promise.resolve(),
    loaded: undefined,
    checksChanged: false,
    checks: undefined,
    clients: [],
  };
  if (dev.config.checkConnections) load.checks = await openConnectionChecks(dev, load);
  return load;
}

async function openConnectionChecks(dev: DevContext, load: Load): Promise<DevConnectionChecks> {
  const { events, store } = dev;
  // Imported only when asked for: without the flag dev mode loads no HTTP client and contacts no one.
  const { DevConnectionChecks } = await import('./connection-checks.ts');
  return new DevConnectionChecks({
    events,
    now: dev.now,
    connectionsByIssuer: () => store.current().connectionsByIssuer,
    policy: dev.addressPolicy,
    changed: () => {
      load.checksChanged = true;
      // Queued behind any reload, which compiles with the latest results itself.
      load.chain = load.chain
        .then(() => {
          if (load.checksChanged && load.loaded !== undefined) compile(dev, load, load.loaded);
        })
        .catch((err: unknown) =>
          events.emit('reconcile.failed', {
            controller: 'connection',
            key: dev.config.manifestsDir,
            message: (err as Error).message,
          }),
        );
    },
  });
}

function compile(dev: DevContext, load: Load, world: WorldInputs) {
  load.checksChanged = false;
  const checks = load.checks;
  return dev.store.rebuild(
    {
      ...world,
      addressPolicy: dev.addressPolicy,
      managementApi: { namespace: DEFAULT_LATCHKEY_NAMESPACE, identifier: load.urls.managementApi },
      uncheckedIssuer: uncheckedIssuerMessages(dev.config.checkConnections === true),
      // `test` Connections are for trying sign-in here; the operator refuses them.
      allowTestConnections: true,
      ...(checks === undefined ? {} : { connectionChecks: checks.results }),
    },
    dev.keysInForce,
  );
}

async function reloadNow(dev: DevContext, load: Load): Promise<ReadonlyMap<string, Resolution>> {
  const { world: read, problems } = await dev.folder.load();
  for (const p of problems) dev.events.emit('manifest.invalid', p);
  const world = { ...read, objects: await dev.firstSeen.stamp(read.objects, dev.now()) };
  const secrets = new Map<string, SecretData>(world.secrets);
  load.clients = world.objects.filter((o): o is DeclaredOAuthClient => o.kind === 'OAuthClient');
  // A client that lost its client id gets no Secret: it would name the id of the client holding it.
  const holders = clientIdHolders(
    load.clients,
    (c) => c.spec.clientId ?? defaultClientId(c.metadata.namespace, c.metadata.name),
  );
  for (const o of load.clients) {
    if (o.spec.secret.source !== 'Generate' || !holders.has(o)) continue;
    if (!SHARED_SECRET_METHODS.has(o.spec.tokenEndpointAuthMethod)) continue;
    const s = await dev.state.ensureClientSecret(o, load.urls);
    secrets.set(`${s.namespace}/${s.name}`, s);
  }
  await load.checks?.sync(world.objects.filter((o): o is DeclaredConnection => o.kind === 'Connection'));
  load.loaded = { ...world, secrets };
  const compiled = compile(dev, load, load.loaded);
  dev.ready = true;
  return compiled.resolutions;
}

function reload(dev: DevContext, load: Load): Promise<ReadonlyMap<string, Resolution>> {
  const next = load.chain.then(() => reloadNow(dev, load));
  load.chain = next.catch(() => undefined);
  // A load leaves its parsing and compiling behind as garbage that an idle process would keep resident.
  void next.then(releaseMemory).catch(() => undefined);
  return next;
}

interface FolderWatch {
  watcher: FSWatcher | undefined;
  timer: NodeJS.Timeout | undefined;
}

/** Loads the folder, applies the keys' schedule and starts watching; undoes start-up when one of them fails. */
async function firstLoad(
  dev: DevContext,
  servers: RunningServers,
  load: Load,
  rotation: KeyRotation,
  watching: FolderWatch,
): Promise<void> {
  try {
    await reload(dev, load);
    await rotateKeys(dev, () => reload(dev, load), rotation);
    if (dev.config.watch) watching.watcher = watchFolder(dev, load, watching);
  } catch (err) {
    await load.checks?.close();
    await servers.close();
    await dev.runtimeState.close();
    throw err;
  }
}

function watchFolder(dev: DevContext, load: Load, watching: FolderWatch): FSWatcher {
  const { config, events } = dev;
  return watch(config.manifestsDir, { recursive: true }, () => {
    clearTimeout(watching.timer);
    watching.timer = setTimeout(() => {
      reload(dev, load).catch((err: unknown) =>
        events.emit('manifest.invalid', {
          file: config.manifestsDir,
          line: 0,
          object: 'folder',
          field: '',
          message: (err as Error).message,
        }),
      );
    }, RELOAD_DEBOUNCE_MS);
  });
}

function readyParts(
  dev: DevContext,
  servers: RunningServers,
  clients: readonly DeclaredOAuthClient[],
  pkce: PkcePair,
): ReadyParts {
  const { config } = dev;
  const { issuer, tokenEndpoint } = servers;
  const tryIt = tryItCommand(dev.store.current(), dev.state, clients, tokenEndpoint);
  // Without runtime state there is no authorization endpoint; dev mode always has it.
  const signIn = signInHint(dev.store.current(), issuerUrls(issuer).authorizationEndpoint, pkce);
  // With --issuer (a proxy, a tunnel, another server's name) and --port 0, nothing else says where it listens.
  const host = config.host.includes(':') ? `[${config.host}]` : config.host;
  const listening = `${config.tls === undefined ? 'http' : 'https'}://${host}:${servers.port}`;
  return {
    issuer,
    ...(listening === issuer ? {} : { listening }),
    ...(tryIt === undefined ? {} : { tryIt }),
    ...(signIn === undefined ? {} : { signIn }),
  };
}
