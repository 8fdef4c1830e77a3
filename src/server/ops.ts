import type { Server } from 'node:http';
import Fastify, {
  LogController,
  type FastifyBaseLogger,
  type FastifyHttpOptions,
  type FastifyInstance,
} from 'fastify';
import type { Registry } from 'prom-client';

/** Whether the process should receive traffic, and if not, why. */
export type Readiness = { ready: true } | { ready: false; reason: string };

/** Asked on every `/readyz`; a bare boolean is read as ready / "not ready". */
export type ReadinessCheck = () => boolean | Readiness;

export interface OpsServerDeps {
  registry: Registry;
  ready: ReadinessCheck;
  /**
   * Dependencies that serve part of the traffic, by name: each answers at `/readyz/<name>` (503 when down)
   * and is listed in `/readyz`'s body, but does not make `/readyz` fail. The runtime state is one: while it
   * is down, client_credentials keeps issuing, which an unready Pod (no Service endpoints) would stop.
   */
  partial?: Readonly<Record<string, ReadinessCheck>>;
  logger?: FastifyBaseLogger;
  /** The server to serve on instead of a new one fastify makes: one with the listener limits set. */
  server?: Server;
}

const NO_CACHE = { 'cache-control': 'no-store', 'content-type': 'application/json; charset=utf-8' };

/**
 * Creates the operations server, meant for a port only the cluster reaches:
 * `GET /healthz` (200 while the process runs), `GET /readyz` (200 when ready, else 503 with the reason; a
 * partial dependency that is down is named under `degraded` without failing it), `GET /readyz/<name>` per
 * partial dependency, and
 * `GET /metrics` (Prometheus text format).
 *
 * @example
 * const ops = createOpsServer({ registry: metrics.registry, ready: () => store.loaded });
 * await ops.listen({ port: 8081 });
 */
export function createOpsServer(deps: OpsServerDeps): FastifyInstance {
  const options: FastifyHttpOptions<Server, FastifyBaseLogger> = {
    logController: new LogController({ disableRequestLogging: true }),
  };
  if (deps.logger === undefined) options.logger = false;
  else options.loggerInstance = deps.logger;
  const { server } = deps;
  if (server !== undefined) options.serverFactory = (handler) => server.on('request', handler);
  const app = Fastify(options) as unknown as FastifyInstance;

  app.get('/healthz', (_request, reply) => reply.headers(NO_CACHE).send('{"status":"ok"}'));
  const partial = Object.entries(deps.partial ?? {});
  app.get('/readyz', (_request, reply) => {
    const readiness = readinessOf(deps.ready);
    const degraded = degradedOf(partial);
    return readiness.ready
      ? reply.headers(NO_CACHE).send(JSON.stringify({ status: 'ready', ...degraded }))
      : reply
          .code(503)
          .headers(NO_CACHE)
          .send(JSON.stringify({ status: 'not ready', reason: readiness.reason, ...degraded }));
  });
  for (const [name, check] of partial) {
    app.get(`/readyz/${name}`, (_request, reply) => {
      const readiness = readinessOf(check);
      return readiness.ready
        ? reply.headers(NO_CACHE).send('{"status":"ready"}')
        : reply
            .code(503)
            .headers(NO_CACHE)
            .send(JSON.stringify({ status: 'not ready', reason: readiness.reason }));
    });
  }
  app.get('/metrics', async (_request, reply) => {
    const text = await deps.registry.metrics();
    return reply
      .header('content-type', deps.registry.contentType)
      .header('cache-control', 'no-store')
      .send(text);
  });
  app.setNotFoundHandler((_request, reply) =>
    reply.code(404).headers(NO_CACHE).send('{"error":"not_found","paths":["/healthz","/readyz","/metrics"]}'),
  );
  app.setErrorHandler((_err, _request, reply) =>
    reply.code(500).headers(NO_CACHE).send('{"error":"server_error"}'),
  );
  return app;
}

/** `{degraded: {name: reason}}` for the partial checks that are down, or nothing when all are up. */
function degradedOf(partial: readonly [string, ReadinessCheck][]): { degraded?: Record<string, string> } {
  const down: Record<string, string> = {};
  for (const [name, check] of partial) {
    const readiness = readinessOf(check);
    if (!readiness.ready) down[name] = readiness.reason;
  }
  return Object.keys(down).length === 0 ? {} : { degraded: down };
}

function readinessOf(check: ReadinessCheck): Readiness {
  let result: boolean | Readiness;
  try {
    result = check();
  } catch (err) {
    return { ready: false, reason: `the readiness check failed: ${(err as Error).message}` };
  }
  if (result === true) return { ready: true };
  if (result === false) return { ready: false, reason: 'not ready' };
  return result;
}
