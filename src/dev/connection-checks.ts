import { ISSUER_TYPES, type ConnectionSpec } from '../api/connection.ts';
import type { Clock } from '../clock.ts';
import type { EventBus } from '../events.ts';
import type { Timers } from '../timers.ts';
import type { AddressPolicy } from '../outbound/address-policy.ts';
import { DEV_ADDRESS_POLICY } from './config.ts';
import {
  CONNECTION_REFRESH_MS,
  EarlyIssuerChecks,
  keepLastGood,
  type ConnectionRef,
} from '../connections/check-schedule.ts';
import { checkConnection, fetchFailureEvents } from '../connections/issuer-check.ts';
import { createWorkQueue, type ReconcileResult, type WorkQueue } from '../runtime/work-queue.ts';
import { objectKey, secretKey, type ConnectionCheck, type DeclaredConnection } from '../store/objects.ts';
import { Reason } from '../store/reasons.ts';

/** As the operator's `--concurrency` default: a slow issuer must not hold up the others. */
const CONCURRENCY = 4;

/** Why a `kubernetes` Connection stays `DiscoveryNotChecked` under `--check-connections`. */
export const KUBERNETES_NOT_CHECKED =
  'a Connection of type kubernetes needs a Kubernetes API server to read the ServiceAccount issuer from, and ' +
  `latchkey dev has none: it stays ${Reason.DiscoveryNotChecked} and its tokens are refused`;

export interface DevConnectionChecksOptions {
  events: EventBus;
  now: Clock;
  /** Told whenever a result changed, so the store is compiled again with {@link DevConnectionChecks.results}. */
  changed: () => void;
  /** The Connections whose check passed, by issuer: the store snapshot's `connectionsByIssuer`. */
  connectionsByIssuer: () => ReadonlyMap<string, readonly ConnectionRef[]>;
  /**
   * Default: `checkConnection`, with no API server and {@link policy}, whose network detail
   * goes out as `connection.fetchFailed` for `connection` (`Connection/<namespace>/<name>`).
   */
  check?: (spec: ConnectionSpec, connection: string) => Promise<ConnectionCheck>;
  /** Which issuer addresses may be contacted; default loopback and https hosts (see `parseDevArgs`). */
  policy?: AddressPolicy;
  timers?: Timers;
  /** A number in [0, 1), for backoff jitter (default Math.random). */
  random?: () => number;
}

/**
 * The operator's Connection checks for `latchkey dev --check-connections`, on the operator's schedule: an `oidc`
 * issuer is checked on every load of the folder (a new or changed Connection before the load takes effect),
 * again hourly after a pass, with the operator's backoff after a failure, and early when a federated token
 * names a key it lacks. A failure keeps the last good keys.
 * `google` ones are checked like `oidc` ones at Google's issuer. `kubernetes` Connections are never checked:
 * there is no cluster to read their issuer from; `github` and `test` ones have no issuer.
 */
export class DevConnectionChecks {
  readonly #options: DevConnectionChecksOptions;
  readonly #check: (spec: ConnectionSpec, connection: string) => Promise<ConnectionCheck>;
  readonly #queue: WorkQueue;
  readonly #stopEarlyChecks: () => void;
  /** The `oidc` Connections of the folder's last load, by `namespace/name`. */
  readonly #declared = new Map<string, DeclaredConnection>();
  readonly #results = new Map<string, ConnectionCheck>();
  /** The spec (as JSON) each result was found for: last good keys never carry over to another issuer. */
  readonly #resultSpec = new Map<string, string>();
  /** Callers waiting for the next check of a Connection to finish. */
  readonly #waiters = new Map<string, (() => void)[]>();
  /** `kubernetes` Connections already reported as not checked. */
  #reported = new Set<string>();
  #closed = false;

  constructor(options: DevConnectionChecksOptions) {
    this.#options = options;
    const policy = options.policy ?? DEV_ADDRESS_POLICY;
    this.#check =
      options.check ??
      ((spec, connection) =>
        checkConnection(spec, { policy, onFetchFailure: fetchFailureEvents(options.events, connection) }));
    this.#queue = createWorkQueue({
      name: 'connection',
      handler: (key) => this.#run(key),
      concurrency: CONCURRENCY,
      now: options.now,
      ...(options.timers !== undefined
        ? { setTimeout: options.timers.setTimeout, clearTimeout: options.timers.clearTimeout }
        : {}),
      ...(options.random !== undefined ? { random: options.random } : {}),
      onError: (key, err) =>
        options.events.emit('reconcile.failed', {
          controller: 'connection',
          key: connectionLabel(key),
          message: (err as Error).message,
        }),
    });
    const early = new EarlyIssuerChecks({
      now: options.now,
      connectionsByIssuer: options.connectionsByIssuer,
      check: ({ namespace, name }) => this.#queue.add(secretKey(namespace, name)),
    });
    this.#stopEarlyChecks = options.events.on('issuer.unknownKey', ({ issuer }) => early.request(issuer));
  }

  /** What each Connection's issuer check found, by `namespace/name`: the store's `connectionChecks`. */
  get results(): ReadonlyMap<string, ConnectionCheck> {
    return this.#results;
  }

  /**
   * Takes the Connections of a fresh load of the folder and checks every `oidc` one again. Resolves once the
   * new and changed ones have been checked, so the store is compiled with their results; the others are
   * checked in the background and reported through `changed`.
   */
  sync(connections: readonly DeclaredConnection[]): Promise<void> {
    if (this.#closed) return Promise.resolve();
    const oidc = new Set<string>();
    const kubernetes = new Set<string>();
    const waiting: Promise<void>[] = [];
    for (const c of connections) {
      const key = secretKey(c.metadata.namespace, c.metadata.name);
      // `github` and `test` have no issuer to check.
      if (!ISSUER_TYPES.has(c.spec.type)) continue;
      if (c.spec.type === 'kubernetes') {
        kubernetes.add(key);
        if (!this.#reported.has(key)) {
          this.#options.events.emit('reconcile.failed', {
            controller: 'connection',
            key: connectionLabel(key),
            message: KUBERNETES_NOT_CHECKED,
          });
        }
        continue;
      }
      oidc.add(key);
      this.#declared.set(key, c);
      if (this.#resultSpec.get(key) !== JSON.stringify(c.spec)) waiting.push(this.#nextCheck(key));
      this.#queue.add(key);
    }
    this.#reported = kubernetes;
    for (const key of [...this.#declared.keys()]) if (!oidc.has(key)) this.#declared.delete(key);
    // A Connection that is gone or no longer `oidc` keeps no result (a `kubernetes` one must not look verified).
    for (const key of [...this.#results.keys()]) {
      if (oidc.has(key)) continue;
      this.#results.delete(key);
      this.#resultSpec.delete(key);
    }
    return Promise.all(waiting).then(() => undefined);
  }

  /** Stops checking; a check in flight finishes first. */
  async close(): Promise<void> {
    this.#closed = true;
    this.#stopEarlyChecks();
    await this.#queue.shutdown();
    for (const waiters of this.#waiters.values()) for (const done of waiters) done();
    this.#waiters.clear();
  }

  #nextCheck(key: string): Promise<void> {
    return new Promise((resolve) => {
      const waiters = this.#waiters.get(key) ?? [];
      waiters.push(resolve);
      this.#waiters.set(key, waiters);
    });
  }

  async #run(key: string): Promise<ReconcileResult> {
    // Only callers that were waiting when this check started: it may be checking a spec that changed since.
    const waiters = this.#waiters.get(key) ?? [];
    this.#waiters.delete(key);
    try {
      const declared = this.#declared.get(key);
      if (declared === undefined) return;
      const spec = JSON.stringify(declared.spec);
      const fresh = await this.#check(declared.spec, connectionLabel(key));
      // Deleted or changed meanwhile: this result is of no use, and a changed spec is already queued again.
      if (JSON.stringify(this.#declared.get(key)?.spec) !== spec) return;
      const previous = this.#results.get(key);
      const check = keepLastGood(fresh, this.#resultSpec.get(key) === spec ? previous : undefined);
      this.#results.set(key, check);
      this.#resultSpec.set(key, spec);
      if (JSON.stringify(previous) !== JSON.stringify(check)) this.#options.changed();
      // A failure retries with backoff without an error event: the Connection's status already says why.
      return check.ok ? { requeueAfterMs: CONNECTION_REFRESH_MS } : { requeue: true };
    } finally {
      for (const done of waiters) done();
    }
  }
}

function connectionLabel(key: string): string {
  const [namespace = '', name = ''] = key.split('/');
  return objectKey('Connection', namespace, name);
}
