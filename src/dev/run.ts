import { watch, type FSWatcher } from 'node:fs';
import { relative } from 'node:path';
import { systemClock, type Clock } from '../clock.ts';
import type { EventBus } from '../events.ts';
import { keySetAt, longestTokenLifetime, nextKeyChange, sameKeySet } from '../keys/lifecycle.ts';
import { DEFAULT_ROTATION } from '../keys/signing-key-rotation.ts';
import type { DeclaredConnection, DeclaredOAuthClient, SecretData, WorldInputs } from '../store/objects.ts';
import { Store } from '../store/store.ts';
import { SHARED_SECRET_METHODS } from '../api/protocol-capabilities.ts';
import type { Resolution } from '../store/compile.ts';
import { defaultClientId } from '../store/names.ts';
import type { Snapshot } from '../store/snapshot.ts';
import { startServers, type RunningServers } from '../server/start.ts';
import { embeddedStatePath, openEmbeddedState } from '../state/embedded/embedded-state.ts';
import { DEV_ADDRESS_POLICY, type DevConfig } from './config.ts';
import type { DevConnectionChecks } from './connection-checks.ts';
import { ManifestFolder, type ManifestFolderOptions } from './manifest-folder.ts';
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
  /** One line for people: the issuer and a curl command that works. */
  readyMessage(): string;
  /** Reads the folder again now (the watcher calls this on every change). */
  reload(): Promise<ReadonlyMap<string, Resolution>>;
  close(): Promise<void>;
}

export interface DevOptions {
  /** Limits of the manifests folder and how a load hands the event loop back; see {@link ManifestFolderOptions}. */
  manifests?: ManifestFolderOptions;
}

const RELOAD_DEBOUNCE_MS = 100;
/** Look at the keys at least daily, and stay far below setTimeout's limit of 24.8 days. */
const KEY_CHECK_MAX_MS = 86_400_000;

/** Runs Latchkey on a folder of manifests with a state folder: the embedded default, no cluster. */
export async function startDev(
  config: DevConfig,
  events: EventBus,
  now: Clock = systemClock,
  options: DevOptions = {},
): Promise<DevServer> {
  const state = new DevState(config.stateDir, events);
  const firstSeen = new FirstSeenRecord(state.firstSeenPath);
  let keyRing = await state.loadKeyRing(now());
  // Runtime state (assertion ids, revoked tokens) in the state folder: a restart keeps every revocation.
  const runtimeState = await openEmbeddedState({ path: embeddedStatePath(config.stateDir), clock: now });
  let keysInForce = keySetAt(keyRing.keys, now(), DEFAULT_ROTATION);
  const store = new Store(keysInForce, events);
  const folder = new ManifestFolder(config.manifestsDir, {
    ...options.manifests,
    declaredIn: new DeclaredInRecord(state.declaredInPath),
  });
  let ready = false;
  let clients: DeclaredOAuthClient[] = [];

  // One policy for Connection issuers and clients' jwksUri, as in the operator.
  const addressPolicy = config.issuerPolicy ?? DEV_ADDRESS_POLICY;
  const servers: RunningServers = await startServers({
    state: runtimeState,
    source: store,
    issuer: config.issuer,
    tls: config.tls,
    host: config.host,
    port: config.port,
    opsPort: config.opsPort,
    httpLimits: config.httpLimits,
    replayLimits: config.replayLimits,
    addressPolicy,
    now,
    events,
    ready: () => ready,
    // Nothing is served before the first load has compiled and written its Secrets: a script that waits for
    // the metadata and then reads a Secret would otherwise race (issue 9).
    serveOnlyWhen: () => ready,
  }).catch(async (err: unknown) => {
    await runtimeState.close();
    throw err;
  });
  const issuer = servers.issuer;
  const tokenEndpoint = servers.tokenEndpoint;

  let chain: Promise<unknown> = Promise.resolve();
  /** The folder as last loaded, with the generated Secrets: what a finished issuer check compiles again. */
  let loaded: WorldInputs | undefined;
  let checksChanged = false;
  let checks: DevConnectionChecks | undefined;
  if (config.checkConnections) {
    // Imported only when asked for: without the flag dev mode loads no HTTP client and contacts no one.
    const { DevConnectionChecks } = await import('./connection-checks.ts');
    checks = new DevConnectionChecks({
      events,
      now,
      connectionsByIssuer: () => store.current().connectionsByIssuer,
      policy: addressPolicy,
      changed: () => {
        checksChanged = true;
        // Queued behind any reload, which compiles with the latest results itself.
        chain = chain
          .then(() => {
            if (checksChanged && loaded !== undefined) compile(loaded);
          })
          .catch((err: unknown) =>
            events.emit('reconcile.failed', {
              controller: 'connection',
              key: config.manifestsDir,
              message: (err as Error).message,
            }),
          );
      },
    });
  }
  const compile = (world: WorldInputs) => {
    checksChanged = false;
    return store.rebuild(
      { ...world, addressPolicy, ...(checks === undefined ? {} : { connectionChecks: checks.results }) },
      keysInForce,
    );
  };

  const reloadNow = async (): Promise<ReadonlyMap<string, Resolution>> => {
    const { world: read, problems } = await folder.load();
    for (const p of problems) events.emit('manifest.invalid', p);
    const world = { ...read, objects: await firstSeen.stamp(read.objects, now()) };
    const secrets = new Map<string, SecretData>(world.secrets);
    clients = world.objects.filter((o): o is DeclaredOAuthClient => o.kind === 'OAuthClient');
    // A client that lost its client id gets no Secret: it would name the id of the client holding it.
    const holders = clientIdHolders(
      clients,
      (c) => c.spec.clientId ?? defaultClientId(c.metadata.namespace, c.metadata.name),
    );
    for (const o of clients) {
      if (o.spec.secret.source !== 'Generate' || !holders.has(o)) continue;
      if (!SHARED_SECRET_METHODS.has(o.spec.tokenEndpointAuthMethod)) continue;
      const s = await state.ensureClientSecret(o, { issuer, tokenEndpoint });
      secrets.set(`${s.namespace}/${s.name}`, s);
    }
    await checks?.sync(world.objects.filter((o): o is DeclaredConnection => o.kind === 'Connection'));
    loaded = { ...world, secrets };
    const compiled = compile(loaded);
    ready = true;
    return compiled.resolutions;
  };
  const reload = () => {
    const next = chain.then(reloadNow);
    chain = next.catch(() => undefined);
    // A load leaves its parsing and compiling behind as garbage that an idle process would keep resident.
    void next.then(releaseMemory).catch(() => undefined);
    return next;
  };

  // The operator's default rotation schedule, applied to the state folder's keys and switched at each key's time.
  let keyTimer: NodeJS.Timeout | undefined;
  const rotateKeys = async (): Promise<void> => {
    const t = now();
    const rotated = await state.rotateKeys(
      keyRing,
      t,
      DEFAULT_ROTATION,
      longestTokenLifetime(store.current().apis.values()),
    );
    keyRing = rotated.ring;
    const inForce = keySetAt(keyRing.keys, t, DEFAULT_ROTATION);
    if (!sameKeySet(keysInForce, inForce)) {
      keysInForce = inForce;
      await reload();
    }
    const due = [nextKeyChange(keyRing.keys, t, DEFAULT_ROTATION.clockSkewMs), rotated.wakeAt].filter(
      (at): at is number => at !== undefined,
    );
    if (due.length > 0) {
      keyTimer = setTimeout(
        () =>
          void rotateKeys().catch((err: unknown) =>
            events.emit('reconcile.failed', {
              controller: 'signing-keys',
              key: state.keysPath,
              message: (err as Error).message,
            }),
          ),
        Math.min(Math.min(...due) - t, KEY_CHECK_MAX_MS),
      );
      keyTimer.unref();
    }
  };

  let watcher: FSWatcher | undefined;
  let timer: NodeJS.Timeout | undefined;
  try {
    await reload();
    await rotateKeys();
    if (config.watch) {
      watcher = watch(config.manifestsDir, { recursive: true }, () => {
        clearTimeout(timer);
        timer = setTimeout(() => {
          reload().catch((err: unknown) =>
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
  } catch (err) {
    await checks?.close();
    await servers.close();
    await runtimeState.close();
    throw err;
  }

  return {
    issuer,
    tokenEndpoint,
    port: servers.port,
    opsPort: servers.opsPort,
    store,
    reload,
    readyMessage() {
      const curl = tryItCommand(store.current(), state, clients, tokenEndpoint);
      // With --issuer (a proxy, a tunnel, another server's name) and --port 0, nothing else says where it listens.
      const host = config.host.includes(':') ? `[${config.host}]` : config.host;
      const listening = `${config.tls === undefined ? 'http' : 'https'}://${host}:${servers.port}`;
      const where = listening === issuer ? '' : ` (listening on ${listening})`;
      return `Latchkey dev is ready: issuer ${issuer}${where} | try: ${curl ?? '(no client is ready yet)'}`;
    },
    async close() {
      clearTimeout(timer);
      clearTimeout(keyTimer);
      watcher?.close();
      await checks?.close();
      await chain;
      await servers.close();
      await runtimeState.close();
    },
  };
}

/** A curl command that gets a token for one ready client, reading its secret from the state folder (never printing it). */
export function tryItCommand(
  snapshot: Snapshot,
  state: { secretPath(ns: string, name: string): string },
  clients: readonly DeclaredOAuthClient[],
  tokenEndpoint: string,
): string | undefined {
  const candidates = clients
    .map((c) => ({
      decl: c,
      compiled: snapshot.clients.get(
        c.spec.clientId ?? defaultClientId(c.metadata.namespace, c.metadata.name),
      ),
    }))
    .filter(
      (c) =>
        c.compiled !== undefined &&
        c.compiled.permissions.size > 0 &&
        c.decl.spec.secret.source === 'Generate' &&
        // curl can send a secret but not sign an assertion: only client_secret_basic/post clients qualify.
        c.compiled.secretDigests.length > 0 &&
        // A client that must name an organization would need more than the printed command.
        c.decl.spec.organizationUsage !== 'require',
    )
    .sort((a, b) => (a.compiled?.permissions.size ?? 0) - (b.compiled?.permissions.size ?? 0));
  const pick = candidates[0];
  if (!pick?.compiled) return undefined;
  const { decl, compiled } = pick;
  const path = relative(
    process.cwd(),
    state.secretPath(decl.metadata.namespace, decl.spec.secret.name ?? `${decl.metadata.name}-oauth`),
  );
  const key = decl.spec.secret.keys.clientSecret;
  const audience = compiled.permissions.size > 1 ? ` -d audience=${[...compiled.permissions.keys()][0]}` : '';
  return `curl -s -d client_id=${compiled.clientId} -d client_secret="$(sed -n 's/^  ${key}: //p' ${path} | base64 -d)" -d grant_type=client_credentials${audience} ${tokenEndpoint}`;
}
