import type { Server, ServerOptions } from 'node:http';
import type { Server as HttpsServer } from 'node:https';
import { ConfigError } from '../config-error.ts';
import { durationOption, integerOption } from '../options.ts';
import type { OptionDef, OptionValues } from '../option-table.ts';

/**
 * How long a client may take and how many connections a listener holds. Every listener (token, TLS token,
 * ops) gets these; without them Node waits forever for a client that sends a byte now and then.
 */
export interface HttpLimits {
  /** From the connection's first byte (or the end of the previous request) to the end of the headers. */
  headersTimeoutMs: number;
  /** From the start of a request to the end of its body. A token request is a few hundred bytes. */
  requestTimeoutMs: number;
  /** A socket with no traffic in either direction for this long is closed, whatever it is doing. */
  idleTimeoutMs: number;
  /** How long a kept-alive connection waits for its next request. */
  keepAliveTimeoutMs: number;
  /** Connections beyond this many are closed as soon as they are accepted. */
  maxConnections: number;
}

/**
 * Suited to a token endpoint behind a Kubernetes Service or an ingress: requests are small and quick, so 10 s
 * for the headers and 30 s for the whole request are generous. Keep-alive outlasts the 60 s idle timeout of
 * ingress-nginx's upstream connections and of an AWS ALB, so the proxy, not Latchkey, closes a pooled
 * connection (otherwise the proxy may send a request on a connection being closed and answer 502).
 */
export const DEFAULT_HTTP_LIMITS: HttpLimits = Object.freeze({
  headersTimeoutMs: 10_000,
  requestTimeoutMs: 30_000,
  idleTimeoutMs: 30_000,
  keepAliveTimeoutMs: 65_000,
  maxConnections: 4096,
});

/** The ops port serves probes and Prometheus from inside the cluster: a handful of connections. */
export const OPS_MAX_CONNECTIONS = 128;

/**
 * The options `http.createServer` and `https.createServer` take for `limits`. Node checks the headers and
 * request timeouts every `connectionsCheckingInterval` (30 s by default), which would let a slow client
 * stay that much longer; here it is a quarter of the shorter timeout, at most one second.
 */
export function serverOptions(limits: HttpLimits): ServerOptions & { handshakeTimeout: number } {
  const shorter = Math.min(limits.headersTimeoutMs, limits.requestTimeoutMs);
  return {
    headersTimeout: limits.headersTimeoutMs,
    requestTimeout: limits.requestTimeoutMs,
    keepAliveTimeout: limits.keepAliveTimeoutMs,
    connectionsCheckingInterval: Math.max(10, Math.min(1000, Math.floor(shorter / 4))),
    // HTTPS only: a client that connects and never finishes its TLS handshake.
    handshakeTimeout: limits.headersTimeoutMs,
  };
}

/**
 * What `createServer` options cannot set: the idle timeout and the connection cap. `maxRequestsPerSocket`
 * stays unlimited: Node answers a pipelined request beyond it with a bare 503, and spreading kept-alive
 * clients over replicas is the ingress's job.
 */
export function applyLimits(server: Server | HttpsServer, limits: HttpLimits, maxConnections?: number): void {
  server.setTimeout(limits.idleTimeoutMs);
  server.maxConnections = maxConnections ?? limits.maxConnections;
}

/**
 * Checks limits read from the command line.
 *
 * @throws {ConfigError} naming the option when the headers timeout is longer than the request timeout
 *   (Node refuses that combination)
 */
export function checkHttpLimits(limits: HttpLimits): HttpLimits {
  if (limits.headersTimeoutMs > limits.requestTimeoutMs) {
    throw new ConfigError(
      '--headers-timeout',
      `must not be longer than --request-timeout (${limits.requestTimeoutMs / 1000}s): the headers are part of the request`,
    );
  }
  return limits;
}

const seconds = (ms: number) => `${ms / 1000}s`;

/** The command-line options that set {@link HttpLimits}. */
export const HTTP_LIMIT_OPTIONS = [
  {
    name: 'headers-timeout',
    type: 'string',
    value: 'D',
    default: seconds(DEFAULT_HTTP_LIMITS.headersTimeoutMs),
    description: "time a client has to send a request's headers",
  },
  {
    name: 'request-timeout',
    type: 'string',
    value: 'D',
    default: seconds(DEFAULT_HTTP_LIMITS.requestTimeoutMs),
    description: 'time a client has to send a whole request, body included',
  },
  {
    name: 'idle-timeout',
    type: 'string',
    value: 'D',
    default: seconds(DEFAULT_HTTP_LIMITS.idleTimeoutMs),
    description: 'close a connection with no traffic either way for this long',
  },
  {
    name: 'keep-alive-timeout',
    type: 'string',
    value: 'D',
    default: seconds(DEFAULT_HTTP_LIMITS.keepAliveTimeoutMs),
    description:
      "how long an idle kept-alive connection stays open; keep it longer than the idle timeout of a proxy in front (65s suits ingress-nginx and AWS ALB's 60s)",
  },
  {
    name: 'max-connections',
    type: 'string',
    value: 'N',
    default: String(DEFAULT_HTTP_LIMITS.maxConnections),
    description: 'open connections the token port accepts; more are closed at once',
  },
] as const satisfies readonly OptionDef[];

/**
 * Reads {@link HTTP_LIMIT_OPTIONS}; an absent option keeps its default.
 *
 * @throws {ConfigError} naming the option that is not a duration of at least 100ms or not an integer in range
 */
export function httpLimitsOption(values: OptionValues<typeof HTTP_LIMIT_OPTIONS>): HttpLimits {
  const d = DEFAULT_HTTP_LIMITS;
  return checkHttpLimits({
    headersTimeoutMs: durationMs(values['headers-timeout'], '--headers-timeout', d.headersTimeoutMs),
    requestTimeoutMs: durationMs(values['request-timeout'], '--request-timeout', d.requestTimeoutMs),
    idleTimeoutMs: durationMs(values['idle-timeout'], '--idle-timeout', d.idleTimeoutMs),
    keepAliveTimeoutMs: durationMs(
      values['keep-alive-timeout'],
      '--keep-alive-timeout',
      d.keepAliveTimeoutMs,
    ),
    maxConnections: integerOption(
      values['max-connections'],
      '--max-connections',
      d.maxConnections,
      1,
      1_000_000,
    ),
  });
}

const durationMs = (value: string | undefined, option: string, fallback: number): number =>
  durationOption(value, option, fallback, 100, 3_600_000);
