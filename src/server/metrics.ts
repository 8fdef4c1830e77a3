import { Counter, Gauge, Histogram, Registry, collectDefaultMetrics } from 'prom-client';
import type { EventBus } from '../events.ts';
import { ClientLabels, tokenFailureLabels } from './token-failure-labels.ts';

/** What the HTTP servers report about each response. */
export interface HttpMetrics {
  /** `route` is the route template (or `unmatched`), never the raw URL, so label values stay bounded. */
  observeRequest(route: string, method: string, status: number, seconds: number): void;
}

export interface Metrics extends HttpMetrics {
  /** A registry of its own: several servers (and tests) in one process never collide. */
  readonly registry: Registry;
  /** Stops listening to events. */
  close(): void;
}

// Token requests take about a millisecond; the buckets resolve that range and show the slow tail.
const DURATION_BUCKETS = [0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5];

/**
 * Creates the Prometheus metrics of one server process: HTTP traffic, tokens issued and refused (fed by
 * `token.issued` / `token.failed` events), and the process and Node.js default metrics.
 */
export function createMetrics(
  events: EventBus,
  options: {
    defaultMetrics?: boolean;
    /** The in-memory revocation list whose size `latchkey_revocation_list_entries` reports. */
    revocations?: { size?(): number };
    /**
     * Whether a client id is one of a client in effect: only those label refusals with their id (see
     * token-failure-labels.ts). Default none: every refused client reads `unknown`.
     */
    clientInEffect?: (clientId: string) => boolean;
  } = {},
): Metrics {
  const registry = new Registry();
  const { requests, duration } = httpMetrics(registry);
  const { issued, failures } = tokenMetrics(registry);
  const clients = new ClientLabels();
  const inEffect = options.clientInEffect ?? (() => false);
  const introspections = new Counter({
    name: 'latchkey_introspections_total',
    help: 'Token introspections answered (RFC 7662), by whether the token was active for the caller.',
    labelNames: ['active'] as const,
    registers: [registry],
  });
  const revocations = new Counter({
    name: 'latchkey_revocations_total',
    help: 'Token revocation requests answered (RFC 7009), by whether a token was revoked.',
    labelNames: ['revoked'] as const,
    registers: [registry],
  });
  const evictions = new Counter({
    name: 'latchkey_revocation_list_evictions_total',
    help: 'Revocations dropped before their token expired because the revocation list was full.',
    registers: [registry],
  });
  const size = options.revocations?.size?.bind(options.revocations);
  if (size !== undefined) {
    new Gauge({
      name: 'latchkey_revocation_list_entries',
      help: 'Revoked tokens this replica remembers until they expire.',
      registers: [registry],
      collect() {
        this.set(size());
      },
    });
  }
  if (options.defaultMetrics !== false) collectDefaultMetrics({ register: registry });

  const unsubscribe = [
    events.on('token.issued', (e) => issued.inc({ grant_type: e.grantType })),
    events.on('token.failed', (e) => failures.inc(tokenFailureLabels(e, clients, inEffect))),
    events.on('token.introspected', (e) => introspections.inc({ active: String(e.active) })),
    events.on('token.revoked', (e) => revocations.inc({ revoked: String(e.revoked) })),
    events.on('revocation.evicted', () => evictions.inc()),
    ...signInMetrics(registry, events),
  ];
  return {
    registry,
    observeRequest(route, method, status, seconds) {
      requests.inc({ route, method, status });
      duration.observe({ route, method }, seconds);
    },
    close() {
      for (const off of unsubscribe) off();
    },
  };
}

function httpMetrics(registry: Registry) {
  return {
    requests: new Counter({
      name: 'latchkey_http_requests_total',
      help: 'HTTP requests answered, by route template, method and status code.',
      labelNames: ['route', 'method', 'status'] as const,
      registers: [registry],
    }),
    duration: new Histogram({
      name: 'latchkey_http_request_duration_seconds',
      help: 'Time from receiving a request to sending its response, by route template and method.',
      labelNames: ['route', 'method'] as const,
      buckets: DURATION_BUCKETS,
      registers: [registry],
    }),
  };
}

function tokenMetrics(registry: Registry) {
  return {
    issued: new Counter({
      name: 'latchkey_tokens_issued_total',
      help: 'Access tokens issued, by grant type.',
      labelNames: ['grant_type'] as const,
      registers: [registry],
    }),
    failures: new Counter({
      name: 'latchkey_token_failures_total',
      help: 'Token requests refused, by grant type (unknown when the request named none we support), OAuth error code, reason (<error>/<cause>, a closed set) and client (a client in effect, else unknown; other past 500).',
      labelNames: ['grant_type', 'error', 'reason', 'client'] as const,
      registers: [registry],
    }),
  };
}

/** Failed and throttled sign-ins at the hosted pages (issue 12); both labels come from closed sets. */
function signInMetrics(registry: Registry, events: EventBus): (() => void)[] {
  const failures = new Counter({
    name: 'latchkey_sign_in_failures_total',
    help: 'Failed sign-ins of people at the hosted pages, by reason.',
    labelNames: ['reason'] as const,
    registers: [registry],
  });
  const throttled = new Counter({
    name: 'latchkey_sign_in_throttled_total',
    help: 'Sign-in attempts and device codes refused unchecked after too many failures, by the limit reached (person, address or browser).',
    labelNames: ['scope'] as const,
    registers: [registry],
  });
  return [
    events.on('signIn.failed', (e) => failures.inc({ reason: e.reason })),
    events.on('signIn.throttled', (e) => throttled.inc({ scope: e.scope })),
  ];
}
