import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { FastifyBaseLogger, FastifyInstance } from 'fastify';
import type { Clock } from '../clock.ts';
import type { EventBus } from '../events.ts';
import type { SnapshotSource } from '../store/snapshot.ts';
import { createTokenServer } from './app.ts';
import { issuerUrls } from './issuer.ts';
import { createMetrics, type Metrics } from './metrics.ts';
import { createOpsServer, type ReadinessCheck } from './ops.ts';

export interface StartOptions {
  source: SnapshotSource;
  /** Default `http://<host>:<bound port>`, for development. */
  issuer?: string;
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
}

export interface RunningServers {
  issuer: string;
  tokenEndpoint: string;
  jwksUri: string;
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
 * @throws {ConfigError} when the issuer is unusable
 * @example
 * const s = await startServers({ source: store, port: 0, opsPort: 0, now: systemClock, events, ready: () => true });
 * console.log(s.tokenEndpoint);
 */
export async function startServers(options: StartOptions): Promise<RunningServers> {
  const host = options.host ?? '127.0.0.1';
  const metrics = createMetrics(options.events);
  let issuer = options.issuer;
  let preBound: Server | undefined;
  if (issuer === undefined && options.port === 0) {
    // The issuer names the port, so bind first to learn it. Nobody knows the port before we return.
    const server = createServer();
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject).listen(options.port, host, () => resolve());
    });
    preBound = server;
    issuer = originOf(host, (server.address() as AddressInfo).port);
  }
  issuer ??= originOf(host, options.port);
  const urls = issuerUrls(issuer);

  const tokenServer = createTokenServer({
    source: options.source,
    issuer,
    now: options.now,
    events: options.events,
    metrics,
    logger: options.logger,
    server: preBound,
  });
  const opsServer = createOpsServer({
    registry: metrics.registry,
    ready: options.ready,
    logger: options.logger,
  });
  try {
    if (preBound === undefined) await tokenServer.listen({ port: options.port, host });
    else await tokenServer.ready();
    await opsServer.listen({ port: options.opsPort, host });
  } catch (err) {
    await Promise.allSettled([tokenServer.close(), opsServer.close(), closeServer(preBound)]);
    metrics.close();
    throw err;
  }

  return {
    issuer,
    tokenEndpoint: urls.tokenEndpoint,
    jwksUri: urls.jwksUri,
    port: (tokenServer.server.address() as AddressInfo).port,
    opsPort: (opsServer.server.address() as AddressInfo).port,
    tokenServer,
    opsServer,
    metrics,
    async close() {
      await Promise.all([tokenServer.close(), opsServer.close()]);
      await closeServer(preBound);
      metrics.close();
    },
  };
}

function originOf(host: string, port: number): string {
  return `http://${host.includes(':') ? `[${host}]` : host}:${port}`;
}

function closeServer(server: Server | undefined): Promise<void> {
  if (server === undefined || !server.listening) return Promise.resolve();
  return new Promise((resolve) => {
    server.close(() => resolve());
    server.closeIdleConnections();
  });
}
