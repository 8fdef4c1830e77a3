import { DevicePollMemory } from '../people/device/poll-memory.ts';
import type { UserCodeLimits } from '../people/device/user-code-throttle.ts';
import type { Server } from 'node:http';
import type { Server as HttpsServer } from 'node:https';
import Fastify, {
  LogController,
  type FastifyBaseLogger,
  type FastifyHttpOptions,
  type FastifyInstance,
} from 'fastify';
import type { Clock } from '../clock.ts';
import type { EventBus } from '../events.ts';
import type { PendingLimits } from '../people/pending.ts';
import type { SignInLimits } from '../people/throttle.ts';
import { MemoryRevocationStore } from '../runtime/memory-revocation-store.ts';
import type { ReplayCache } from '../runtime/replay-cache.ts';
import type { RevocationStore } from '../runtime/revocation-store.ts';
import type { RuntimeState } from '../state/runtime-state.ts';
import type { SnapshotSource } from '../store/snapshot.ts';
import type { AddressPolicy } from '../outbound/address-policy.ts';
import { registerPeopleRoutes } from '../people/routes.ts';
import type { DeclaredSource } from '../management/catalog.ts';
import { registerManagementApi, sendManagementError, toManagementError } from '../management/routes.ts';
import { AssertionVerifier } from './assertion/verifier.ts';
import { RemoteKeySets } from './assertion/remote-keys.ts';
import type { ClientAuthDeps } from './client-auth.ts';
import { InvalidRequest, quote } from './errors.ts';
import { registerDiscovery } from './endpoints/discovery.ts';
import { registerIntrospectionEndpoint } from './endpoints/introspection.ts';
import { registerJwks } from './endpoints/jwks.ts';
import { registerRevocationEndpoint } from './endpoints/revocation.ts';
import { registerTokenEndpoint } from './endpoints/token.ts';
import { servedGrants } from './grants/index.ts';
import { BODY_LIMIT, registerFormParser } from './form.ts';
import { issuerUrls, type IssuerUrls } from './issuer.ts';
import type { HttpMetrics } from './metrics.ts';
import { gateUntilServing } from './not-ready.ts';
import { clientErrorResponse, fromFastifyError, sendError } from './reply.ts';

export interface TokenServerDeps {
  /** Where each request reads the snapshot in force; a request reads it once and does no I/O. */
  source: SnapshotSource;
  /** The issuer URL, exactly as tokens and metadata carry it; may have a path (`https://host/auth`). */
  issuer: string;
  /** The clock, in milliseconds since the epoch. */
  now: Clock;
  events: EventBus;
  /** Off by default: requests are reported through events and metrics, not logged one by one. */
  logger?: FastifyBaseLogger;
  metrics?: HttpMetrics;
  /**
   * Revoked tokens, which introspection reports inactive. Default: a new {@link defaultRevocationStore}, which
   * only this server sees (revocations are not shared across replicas yet).
   */
  revocations?: RevocationStore;
  /** Spent client assertion identifiers, a share per client; default a new in-memory cache of this server. */
  replay?: ReplayCache;
  /**
   * Runtime state shared by replicas. People sign-in (issue 12: the authorization endpoint, hosted pages,
   * `authorization_code` and `refresh_token`, userinfo, logout) is served only when it is given, since codes,
   * sessions and refresh tokens live there; without it the server is machine-to-machine only.
   */
  state?: RuntimeState;
  /** When given, every request answers 503 `temporarily_unavailable` until it first returns true (dev mode). */
  serveOnlyWhen?: () => boolean;
  /** Which hosts and addresses a client's `jwksUri` may have (`--allow-issuer-hosts`); default https only. */
  addressPolicy?: AddressPolicy;
  /** With {@link state}: sign-ins pending per source address and per client; default `DEFAULT_PENDING_LIMITS`. */
  pendingLimits?: PendingLimits;
  /** With {@link state}: failed sign-ins allowed per person and per address; default `DEFAULT_SIGN_IN_LIMITS`. */
  signInLimits?: SignInLimits;
  /** With {@link state}: wrong device codes allowed per browser and per address; default `DEFAULT_USER_CODE_LIMITS`. */
  userCodeLimits?: UserCodeLimits;
  /** Serve the management API at `<issuer>/api/v1` (issue 14); absent, it is not served. */
  management?: ManagementOptions;
  /**
   * The server to serve on instead of a new plain HTTP one: an HTTPS server, or one already listening (to
   * learn a random port before the issuer is fixed).
   */
  server?: Server | HttpsServer;
}

const MAX_PARAM_LENGTH = 512;

export interface ManagementOptions {
  /** The store: the snapshot, the declared objects and their resolutions. */
  source: DeclaredSource;
  /** Requests one client may make per minute on this replica (`--management-rate-limit`). */
  ratePerMinute?: number;
}

/**
 * Creates the public server: discovery, JWKS, and the token, introspection and revocation endpoints, below
 * the issuer's path.
 * Every error, including those fastify and Node raise for malformed requests, leaves as an RFC 6749 §5.2
 * body; bad input never yields a 5xx.
 *
 * @throws {ConfigError} when the issuer is not a usable URL
 * @example
 * const app = createTokenServer({ source, issuer: 'https://auth.example.com', now: Date.now, events });
 * await app.listen({ port: 8080 });
 */
export function createTokenServer(deps: TokenServerDeps): FastifyInstance {
  const urls = issuerUrls(deps.issuer);
  const { server, logger } = deps;
  const options: FastifyHttpOptions<Server, FastifyBaseLogger> = {
    logController: new LogController({ disableRequestLogging: true }),
    bodyLimit: BODY_LIMIT,
    // A path parameter as long as the longest id the management API reads by (a client id: 254 characters;
    // a ResourceServer's namespace and name, URL-encoded: 321); fastify's default of 100 routes longer ones nowhere.
    routerOptions: { maxParamLength: MAX_PARAM_LENGTH },
    requestIdHeader: false,
    // Requests that arrive while closing are still served (a drain); fastify's own 503 body is not RFC 6749.
    return503OnClosing: false,
    forceCloseConnections: 'idle',
    clientErrorHandler: (err, socket) => {
      if (socket.writable && isHttpError(err)) socket.end(clientErrorResponse(err as { code?: string }));
      else socket.destroy(err);
    },
    // Under the management API, in its own error shape: the URL could not be routed there to say so.
    frameworkErrors: (err, request, reply) =>
      deps.management !== undefined && isBelow(request.url, urls.paths.management)
        ? sendManagementError(reply, toManagementError(err, request))
        : sendError(reply, fromFastifyError(err)),
  };
  if (logger === undefined) options.logger = false;
  else options.loggerInstance = logger;
  if (server !== undefined) options.serverFactory = (handler) => server.on('request', handler);
  const app: FastifyInstance = Fastify(options);

  registerFormParser(app);
  app.setErrorHandler((err, request, reply) => {
    const e = fromFastifyError(err);
    if (e.status >= 500) request.log.error({ err }, 'unexpected error');
    return sendError(reply, e);
  });
  app.setNotFoundHandler((request, reply) => {
    const path = request.url.split('?', 1)[0] ?? '';
    return sendError(reply, new InvalidRequest(`there is no endpoint at ${quote(path)}`, { status: 404 }));
  });
  if (deps.metrics !== undefined) observeRequests(app, deps.metrics);
  if (deps.serveOnlyWhen !== undefined) gateUntilServing(app, deps.serveOnlyWhen);

  registerRoutes(app, deps, urls);
  return app;
}

function registerRoutes(app: FastifyInstance, deps: TokenServerDeps, urls: IssuerUrls): void {
  registerDiscovery(app, urls, deps.state !== undefined);
  registerJwks(app, deps.source, urls.paths.jwks);
  // One verifier for every endpoint that authenticates clients: a jti is spent once across all of them.
  const clientAuth: ClientAuthDeps = {
    assertions: new AssertionVerifier({
      audiences: [urls.issuer, urls.tokenEndpoint],
      now: deps.now,
      replay: deps.replay,
      remoteKeys: new RemoteKeySets({ now: deps.now, policy: deps.addressPolicy }),
      // The operator listens and checks the issuer's Connections early; in dev mode nobody does.
      onUnknownIssuerKey: (issuer, kid) => deps.events.emit('issuer.unknownKey', { issuer, kid }),
    }),
    now: deps.now,
  };
  const revocations = deps.revocations ?? defaultRevocationStore(deps.now, deps.events);
  registerTokenEndpoint(app, {
    source: deps.source,
    issuer: urls.issuer,
    path: urls.paths.token,
    now: deps.now,
    events: deps.events,
    clientAuth,
    grants: servedGrants(deps.state !== undefined),
    ...(deps.state === undefined
      ? {}
      : { people: { state: deps.state, revocations, devicePolls: new DevicePollMemory() } }),
  });
  const shared = {
    source: deps.source,
    issuer: urls.issuer,
    now: deps.now,
    events: deps.events,
    revocations,
    clientAuth,
    ...(deps.state === undefined ? {} : { state: deps.state }),
  };
  registerIntrospectionEndpoint(app, { ...shared, path: urls.paths.introspection });
  registerRevocationEndpoint(app, { ...shared, path: urls.paths.revocation });
  if (deps.management !== undefined) {
    registerManagementApi(app, {
      source: deps.management.source,
      issuer: urls.issuer,
      identifier: urls.managementApi,
      path: urls.paths.management,
      tokenEndpoint: urls.tokenEndpoint,
      now: deps.now,
      revocations,
      ...(deps.management.ratePerMinute === undefined
        ? {}
        : { ratePerMinute: deps.management.ratePerMinute }),
    });
  }
  if (deps.state !== undefined) {
    registerPeopleRoutes(app, {
      source: deps.source,
      urls,
      now: deps.now,
      state: deps.state,
      events: deps.events,
      clientAuth,
      revocations,
      // `__Host-` cookies need Secure, which browsers honour only over https.
      secureCookies: urls.issuer.startsWith('https:'),
      ...(deps.addressPolicy === undefined ? {} : { addressPolicy: deps.addressPolicy }),
      ...(deps.pendingLimits === undefined ? {} : { pendingLimits: deps.pendingLimits }),
      ...(deps.signInLimits === undefined ? {} : { signInLimits: deps.signInLimits }),
      ...(deps.userCodeLimits === undefined ? {} : { userCodeLimits: deps.userCodeLimits }),
    });
  }
}

function isBelow(url: string, path: string): boolean {
  return url === path || url.startsWith(`${path}/`) || url.startsWith(`${path}?`);
}

/**
 * Whether a client error happened in HTTP, where an answer can be written. A TLS error (a handshake that timed
 * out, say) has no secure channel to answer on: a plaintext answer would wait for a handshake forever.
 */
function isHttpError(err: { code?: string }): boolean {
  return err.code === 'ERR_HTTP_REQUEST_TIMEOUT' || (err.code?.startsWith('HPE_') ?? false);
}

/**
 * The revocation list of one replica, in memory, reporting evictions as `revocation.evicted`. Another
 * replica does not see its entries, and a restart forgets them (design roadmap item 4: shared runtime state).
 */
export function defaultRevocationStore(now: Clock, events: EventBus): RevocationStore {
  return new MemoryRevocationStore({
    now,
    onEvict: ({ expiresAtMs, nowMs }) =>
      events.emit('revocation.evicted', { remainingSeconds: Math.ceil((expiresAtMs - nowMs) / 1000) }),
  });
}

/** Feeds the HTTP metrics from every response, labelled by route template. */
export function observeRequests(app: FastifyInstance, metrics: HttpMetrics): void {
  app.addHook('onResponse', (request, reply, done) => {
    metrics.observeRequest(
      request.routeOptions.url ?? 'unmatched',
      request.method,
      reply.statusCode,
      reply.elapsedTime / 1000,
    );
    done();
  });
}
