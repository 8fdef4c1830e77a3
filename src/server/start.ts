import type { UserCodeLimits } from '../people/device/user-code-throttle.ts';
import type { Server } from 'node:http';
import { createServer as createHttpsServer, type Server as HttpsServer } from 'node:https';
import type { AddressInfo } from 'node:net';
import type { FastifyBaseLogger, FastifyInstance } from 'fastify';
import type { Registry } from 'prom-client';
import type { Clock } from '../clock.ts';
import type { EventBus } from '../events.ts';
import type { AddressPolicy } from '../outbound/address-policy.ts';
import type { PendingLimits } from '../people/pending.ts';
import type { SignInLimits } from '../people/throttle.ts';
import type { ReplayLimits } from '../runtime/replay-admission.ts';
import { MemoryReplayCache, type ReplayCache } from '../runtime/replay-cache.ts';
import type { RevocationStore } from '../runtime/revocation-store.ts';
import type { CleanerOptions } from '../state/cleaner.ts';
import type { RuntimeState } from '../state/runtime-state.ts';
import type { SnapshotSource } from '../store/snapshot.ts';
import { createTokenServer, defaultRevocationStore, type ManagementOptions } from './app.ts';
import {
  applyLimits,
  DEFAULT_HTTP_LIMITS,
  OPS_MAX_CONNECTIONS,
  serverOptions,
  type HttpLimits,
} from './http-limits.ts';
import { issuerUrls } from './issuer.ts';
import { listenError, type Listener } from './listen-error.ts';
import { createMetrics, type Metrics } from './metrics.ts';
import { createOpsServer, type ReadinessCheck } from './ops.ts';
import { serveState, type ServedState } from './served-state.ts';
import {
  checkIssuerScheme,
  loadTlsPair,
  secureContextOptions,
  startTlsReloader,
  type TlsOptions,
  type TlsReloader,
} from './tls.ts';

// Not `import … from 'node:http'`: an ES module import of node:http reads every export to build its namespace,
// and its lazy `WebSocket`, `CloseEvent` and `MessageEvent` getters load Node's bundled undici, which nothing
// here uses (~3 MiB of dev mode's idle RSS, ~14 MiB in a bare process).
const { createServer } = process.getBuiltinModule('node:http');

export interface StartOptions {
  source: SnapshotSource;
  /** Default `http(s)://<host>:<bound port>`, for development; the scheme follows `tls`. */
  issuer?: string;
  /**
   * Serve HTTPS on the token port with this certificate and key, and follow their renewals without a
   * restart. Without it the token port speaks plain HTTP. The ops port is plain HTTP either way: probes and
   * Prometheus scrape it from inside the pod's network.
   */
  tls?: TlsOptions;
  /** Address both servers bind; default 127.0.0.1. */
  host?: string;
  /** Token server port; 0 picks a free one. */
  port: number;
  /** Health and metrics port; 0 picks a free one. */
  opsPort: number;
  now: Clock;
  events: EventBus;
  ready: ReadinessCheck;
  logger?: FastifyBaseLogger;
  /**
   * Runtime state shared by replicas (issue 11): when given, the replay check and revocations live there,
   * `/readyz` fails while it does not answer, its metrics are registered and its cleaner runs. The caller
   * opened it and closes it after {@link RunningServers.close}.
   */
  state?: RuntimeState;
  /** The cleaner's schedule and batches with {@link state}; default `DEFAULT_CLEANER_OPTIONS`. */
  cleaner?: Partial<CleanerOptions>;
  /** How often {@link state} is pinged for readiness; default `STATE_PING_INTERVAL_MS`. */
  statePingIntervalMs?: number;
  /**
   * Revoked tokens without {@link state}; default in memory, seen by this replica only (see
   * {@link defaultRevocationStore}).
   */
  revocations?: RevocationStore;
  /**
   * Spent client assertion identifiers; default in memory with {@link replayLimits}, fair shares per
   * namespace and client, seen by this replica only (`MemoryReplayCache` in src/runtime/replay-cache.ts).
   */
  replay?: ReplayCache;
  /**
   * Capacity and per-client ceiling of the default replay cache; default `DEFAULT_REPLAY_LIMITS`. With
   * {@link state} only the per-client ceiling applies (see state-replay-cache.ts).
   */
  replayLimits?: ReplayLimits;
  /** Public endpoints answer 503 `temporarily_unavailable` until this first returns true; default always serve. */
  serveOnlyWhen?: () => boolean;
  /** Timeouts and connection caps of every listener; default {@link DEFAULT_HTTP_LIMITS}. */
  httpLimits?: HttpLimits;
  /**
   * Which hosts and addresses a client's `jwksUri` may have: the operator's `--allow-issuer-hosts` and
   * `--deny-issuer-networks`, as for Connection issuers. Default `STRICT_POLICY`: https only, and no
   * loopback, link-local or metadata address.
   */
  addressPolicy?: AddressPolicy;
  /** With {@link state}: sign-ins pending per source address and per client; default `DEFAULT_PENDING_LIMITS`. */
  pendingLimits?: PendingLimits;
  /** With {@link state}: failed sign-ins allowed per person and per address; default `DEFAULT_SIGN_IN_LIMITS`. */
  signInLimits?: SignInLimits;
  /** With {@link state}: wrong device codes allowed per browser and per address; default `DEFAULT_USER_CODE_LIMITS`. */
  userCodeLimits?: UserCodeLimits;
  /** Serve the management API at `<issuer>/api/v1` (issue 14); see {@link TokenServerDeps.management}. */
  management?: ManagementOptions;
}

export interface RunningServers {
  issuer: string;
  /** `<issuer>/api/v1`: the management API's URL and identifier. */
  managementApi: string;
  tokenEndpoint: string;
  jwksUri: string;
  introspectionEndpoint: string;
  revocationEndpoint: string;
  /** The revocations introspection consults. */
  revocations: RevocationStore;
  /** The runtime state's health, replay check and revocations, when started with `state`. */
  state?: ServedState;
  /** The bound ports. */
  port: number;
  opsPort: number;
  tokenServer: FastifyInstance;
  opsServer: FastifyInstance;
  metrics: Metrics;
  /** Stops accepting connections, lets requests in flight finish, and closes both servers. */
  close(): Promise<void>;
}

/**
 * Starts the token server and the operations server, wired to one set of metrics.
 *
 * @throws {ConfigError} when the issuer is unusable, or the TLS files are unreadable or not a pair
 * @example
 * const s = await startServers({ source: store, port: 0, opsPort: 0, now: systemClock, events, ready: () => true });
 * console.log(s.tokenEndpoint);
 */
export async function startServers(options: StartOptions): Promise<RunningServers> {
  const host = options.host ?? '127.0.0.1';
  const limits = options.httpLimits ?? DEFAULT_HTTP_LIMITS;
  // Before anything binds: a certificate that cannot be served fails start-up, naming the file.
  const tls = options.tls === undefined ? undefined : await startHttps(options.tls, limits);
  const scheme = tls === undefined ? 'http' : 'https';
  const { token, ops } = listeners(host, options, tls !== undefined);
  if (options.issuer !== undefined) checkIssuerScheme(options.issuer, tls !== undefined);
  const { metrics, served, revocations } = metricsAndState(options);
  // Servers made here rather than by fastify: fastify leaves the limits of a server it is given unset.
  const server: Server | HttpsServer = tls?.server ?? limitedServer(limits);
  const { issuer, preBound } = await issuerFor(options.issuer, server, token, scheme);
  const urls = issuerUrls(issuer);

  const tokenServer = createTokenServer({
    source: options.source,
    issuer,
    now: options.now,
    events: options.events,
    metrics,
    revocations,
    ...(options.state === undefined ? {} : { state: options.state }),
    replay: served?.replay ?? options.replay ?? new MemoryReplayCache(options.replayLimits),
    serveOnlyWhen: options.serveOnlyWhen,
    addressPolicy: options.addressPolicy,
    pendingLimits: options.pendingLimits,
    signInLimits: options.signInLimits,
    userCodeLimits: options.userCodeLimits,
    ...(options.management === undefined ? {} : { management: options.management }),
    logger: options.logger,
    server,
  });
  const opsServer = createOpsServer({
    registry: metrics.registry,
    ready: options.ready,
    ...(served === undefined ? {} : { partial: { state: () => served.readiness() } }),
    logger: options.logger,
    server: limitedServer(limits, OPS_MAX_CONNECTIONS),
  });
  let listening = token;
  try {
    if (preBound === undefined) await tokenServer.listen({ port: options.port, host });
    else await tokenServer.ready();
    listening = ops;
    await opsServer.listen({ port: options.opsPort, host });
  } catch (err) {
    await Promise.allSettled([tokenServer.close(), opsServer.close(), closeServer(preBound), served?.stop()]);
    metrics.close();
    throw listenError(err, listening);
  }
  const reloader = tls?.follow(options.events);

  return {
    issuer,
    managementApi: urls.managementApi,
    tokenEndpoint: urls.tokenEndpoint,
    jwksUri: urls.jwksUri,
    introspectionEndpoint: urls.introspectionEndpoint,
    revocationEndpoint: urls.revocationEndpoint,
    revocations,
    ...(served === undefined ? {} : { state: served }),
    port: (tokenServer.server.address() as AddressInfo).port,
    opsPort: (opsServer.server.address() as AddressInfo).port,
    tokenServer,
    opsServer,
    metrics,
    async close() {
      await reloader?.close();
      await Promise.all([tokenServer.close(), opsServer.close()]);
      await closeServer(preBound);
      await served?.stop();
      metrics.close();
    },
  };
}

/**
 * The metrics registry and where revocations and the rest of runtime state live: the runtime state when given
 * (started here, its metrics in the registry), else revocations in memory.
 */
function metricsAndState(options: StartOptions) {
  const memoryRevocations =
    options.state === undefined
      ? (options.revocations ?? defaultRevocationStore(options.now, options.events))
      : undefined;
  const metrics = createMetrics(options.events, {
    revocations: memoryRevocations,
    clientInEffect: (clientId) => options.source.current().clients.has(clientId),
  });
  const served = options.state && startState(options, metrics.registry);
  const revocations = served?.revocations ?? (memoryRevocations as RevocationStore);
  return { metrics, served, revocations };
}

/** Which option sets each port, for an error that says what to change. */
function listeners(host: string, options: StartOptions, https: boolean): { token: Listener; ops: Listener } {
  return {
    token: {
      flag: '--port',
      what: https ? 'the token port (HTTPS)' : 'the token port',
      host,
      port: options.port,
    },
    ops: { flag: '--ops-port', what: 'the health and metrics port', host, port: options.opsPort },
  };
}

/**
 * The issuer given, or this server's own origin. With port 0 and no issuer the origin names a port the
 * system picks, so the server is bound first to learn it (`preBound`); nobody knows the port before
 * startServers returns.
 */
async function issuerFor(
  given: string | undefined,
  server: Server | HttpsServer,
  token: Listener,
  scheme: 'http' | 'https',
): Promise<{ issuer: string; preBound: Server | undefined }> {
  if (given !== undefined) return { issuer: given, preBound: undefined };
  if (token.port !== 0) return { issuer: originOf(scheme, token.host, token.port), preBound: undefined };
  await new Promise<void>((resolve, reject) => {
    server
      .once('error', (err) => reject(listenError(err, token)))
      .listen(token.port, token.host, () => resolve());
  });
  return { issuer: originOf(scheme, token.host, (server.address() as AddressInfo).port), preBound: server };
}

function startState(options: StartOptions, registry: Registry): ServedState {
  return serveState(options.state as RuntimeState, {
    events: options.events,
    now: options.now,
    registry,
    replayPerClient: options.replayLimits?.perClientCeiling,
    cleaner: options.cleaner,
    pingIntervalMs: options.statePingIntervalMs,
  });
}

/** An HTTPS server for the pair in the files, and how to keep it in step with them once it listens. */
async function startHttps(
  options: TlsOptions,
  limits: HttpLimits,
): Promise<{
  server: HttpsServer;
  follow(events: EventBus): TlsReloader;
}> {
  const pair = await loadTlsPair(options);
  const server = createHttpsServer({ ...secureContextOptions(pair), ...serverOptions(limits) });
  applyLimits(server, limits);
  return {
    server,
    follow: (events) =>
      startTlsReloader({
        options,
        current: pair,
        // Connections already open keep the session they negotiated; new handshakes get the new pair.
        apply: (next) => server.setSecureContext(secureContextOptions(next)),
        events,
      }),
  };
}

function limitedServer(limits: HttpLimits, maxConnections?: number): Server {
  const server = createServer(serverOptions(limits));
  applyLimits(server, limits, maxConnections);
  return server;
}

function originOf(scheme: 'http' | 'https', host: string, port: number): string {
  return `${scheme}://${host.includes(':') ? `[${host}]` : host}:${port}`;
}

function closeServer(server: Server | undefined): Promise<void> {
  if (server === undefined || !server.listening) return Promise.resolve();
  return new Promise((resolve) => {
    server.close(() => resolve());
    server.closeIdleConnections();
  });
}
