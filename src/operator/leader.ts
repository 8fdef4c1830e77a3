import { type Clock, systemClock } from '../clock.ts';
import { ConfigError } from '../config-error.ts';
import { sleep, systemTimers, type Timers } from '../timers.ts';
import { decideLease, releasedLease, type Lease } from '../kube/lease.ts';
import { KubeApiError, LEASES, type KubeApi } from '../kube/types.ts';

/** Follows leadership for metrics (leader_election_master_status). */
export interface LeaderMetrics {
  leading(isLeader: boolean): void;
}

export interface LeaderElectorOptions {
  api: Pick<KubeApi, 'get' | 'create' | 'replace'>;
  namespace: string;
  /** The Lease's name. */
  name: string;
  /** This replica's identity, unique among the candidates (e.g. pod name). */
  identity: string;
  /**
   * How long a Lease lasts without renewal (default 15). Leases are compared against this replica's clock,
   * so it must exceed the clock skew between replicas.
   */
  leaseDurationSeconds?: number;
  /** How long the leader keeps trying to renew before it stops leading (default 10). */
  renewDeadlineSeconds?: number;
  /** How often candidates try to acquire and the leader renews (default 2). */
  retryPeriodSeconds?: number;
  now?: Clock;
  timers?: Timers;
  /** A number in [0, 1) (default Math.random): jitters the candidates' tries. */
  random?: () => number;
  /** Called on becoming leader; `signal` aborts when leadership ends. */
  onStartedLeading?: (signal: AbortSignal) => void;
  /** Called when leadership ends: lost, released, or the elector stopped. */
  onStoppedLeading?: () => void;
  metrics?: LeaderMetrics;
}

export interface LeaderElector {
  /** Tries to acquire, then renews, until `signal` aborts or release(); resolves when it has stopped. */
  run(signal: AbortSignal): Promise<void>;
  isLeader(): boolean;
  /**
   * Stops the elector and, if this replica holds the Lease, clears its holder so another replica takes
   * over at once rather than after the lease duration.
   */
  release(): Promise<void>;
}

// client-go's JitterFactor for candidates: a try every retryPeriod * [1, 2.2).
const JITTER_FACTOR = 1.2;

type Attempt = 'ours' | 'held' | 'conflict';

/** Reads and writes a release makes at most when other writers keep changing the Lease under it. */
const RELEASE_TRIES = 3;

/**
 * Creates a leader elector on a coordination.k8s.io/v1 Lease with client-go's semantics: candidates try
 * every retry period; the leader renews every retry period and stops leading (`onStoppedLeading`) when it
 * could not renew within the renew deadline or sees another holder, then goes back to trying.
 *
 * @example
 * const elector = createLeaderElector({ api, namespace: 'latchkey-system', name: 'latchkey-operator',
 *   identity: podName, onStartedLeading: (signal) => startControllers(signal) });
 * void elector.run(shutdown.signal);
 * // on SIGTERM: await elector.release();
 */
export function createLeaderElector(options: LeaderElectorOptions): LeaderElector {
  const { leaseDurationSeconds, renewDeadlineMs, retryMs } = timingsOf(options);
  const now = options.now ?? systemClock;
  const timers = options.timers ?? systemTimers;
  const random = options.random ?? Math.random;
  const stop = new AbortController();
  let leading: AbortController | undefined;
  let running: Promise<void> | undefined;
  /** The last read-decide-write round; a stop does not cancel it, so release() waits for it to settle. */
  let inFlight: Promise<unknown> = Promise.resolve();
  options.metrics?.leading(false);

  const startLeading = () => {
    leading = new AbortController();
    options.metrics?.leading(true);
    const signal = leading.signal;
    report(() => options.onStartedLeading?.(signal));
  };

  const stopLeading = () => {
    if (leading === undefined) return;
    const ended = leading;
    leading = undefined;
    options.metrics?.leading(false);
    ended.abort();
    report(() => options.onStoppedLeading?.());
  };

  /** One read-decide-write round, remembered as {@link inFlight}. Throws when the API server could not be asked. */
  const attempt = (): Promise<Attempt> => {
    const round = tryLease(options, leaseDurationSeconds, now);
    inFlight = round.catch(() => undefined);
    return round;
  };

  const loop = async (signal: AbortSignal) => {
    while (!signal.aborted) {
      // Deadlines count from before the request: the written renewTime is no older than this, so a slow
      // answer cannot stretch our leadership past the Lease's expiry.
      const renewedAt = now();
      const outcome = await attempt().catch(() => 'failed' as const);
      if (signal.aborted) break;
      if (outcome !== 'ours') {
        await sleep(retryMs * (1 + random() * JITTER_FACTOR), signal, timers);
        continue;
      }
      startLeading();
      await keepRenewing(attempt, renewedAt, { now, timers, retryMs, renewDeadlineMs }, signal);
      stopLeading();
    }
    stopLeading();
  };

  return {
    run(signal) {
      if (running !== undefined) throw new Error('the leader elector is already running');
      running = loop(AbortSignal.any([signal, stop.signal]));
      return running;
    },
    isLeader: () => leading !== undefined,
    async release() {
      stop.abort();
      await running;
      stopLeading();
      // A renewal still in flight would otherwise land after our read (our write then fails on its
      // resourceVersion) or read after our write (and take the freed Lease back for a whole lease duration).
      await inFlight;
      await releaseLease(options, now);
    },
  };
}

/**
 * While leading: renews every retry period, and returns once a renewal has not succeeded within the renew
 * deadline (counted from before the last successful request), another holder shows, or `signal` aborts.
 */
async function keepRenewing(
  attempt: () => Promise<Attempt>,
  renewedAt: number,
  t: { now: Clock; timers: Timers; retryMs: number; renewDeadlineMs: number },
  signal: AbortSignal,
): Promise<void> {
  while (!signal.aborted) {
    await sleep(t.retryMs, signal, t.timers);
    if (signal.aborted) return;
    const deadline = renewedAt + t.renewDeadlineMs;
    const asked = t.now();
    if (asked >= deadline) return;
    const renewal = await attemptWithin(attempt, deadline - asked, signal, t.timers);
    if (renewal === 'ours') renewedAt = asked;
    // Another holder means our Lease expired and was taken: leading on would mean two leaders.
    else if (renewal === 'held' || t.now() >= deadline) return;
  }
}

/** The elector's timings, checked: each must leave the next one room (client-go's rule). */
function timingsOf(options: LeaderElectorOptions): {
  leaseDurationSeconds: number;
  renewDeadlineMs: number;
  retryMs: number;
} {
  const leaseDurationSeconds = options.leaseDurationSeconds ?? 15;
  const renewDeadlineMs = (options.renewDeadlineSeconds ?? 10) * 1000;
  const retryMs = (options.retryPeriodSeconds ?? 2) * 1000;
  if (!options.identity) throw new ConfigError('identity', 'must not be empty');
  if (!(retryMs > 0 && renewDeadlineMs > retryMs && leaseDurationSeconds * 1000 > renewDeadlineMs)) {
    throw new ConfigError(
      'leaseDurationSeconds',
      'must be longer than renewDeadlineSeconds, which must be longer than retryPeriodSeconds (> 0)',
    );
  }
  return { leaseDurationSeconds, renewDeadlineMs, retryMs };
}

/** Runs a leadership callback; one that throws must not stop the elector: surfaced as EventTarget would. */
function report(callback: () => void): void {
  try {
    callback();
  } catch (error) {
    queueMicrotask(() => {
      throw error;
    });
  }
}

/** One read-decide-write round on the Lease. Throws when the API server could not be asked. */
async function tryLease(
  options: LeaderElectorOptions,
  leaseDurationSeconds: number,
  now: Clock,
): Promise<Attempt> {
  const { api, namespace, name, identity } = options;
  const lease = await api.get<Lease>(LEASES, namespace, name);
  const action = decideLease({ lease, namespace, name, identity, leaseDurationSeconds, now: now() });
  try {
    if (action.kind === 'wait') return 'held';
    if (action.kind === 'create') await api.create(LEASES, namespace, action.lease);
    else await api.replace(LEASES, namespace, name, action.lease);
    return 'ours';
  } catch (error) {
    // 409: another replica wrote the Lease since we read it; it won this round.
    if (error instanceof KubeApiError && error.status === 409) return 'conflict';
    throw error;
  }
}

/** Clears the Lease's holder while it still names this replica, so another takes over at once. */
async function releaseLease(options: LeaderElectorOptions, now: Clock): Promise<void> {
  const { api, namespace, name, identity } = options;
  for (let tries = 0; tries < RELEASE_TRIES; tries += 1) {
    const lease = await api.get<Lease>(LEASES, namespace, name);
    if (lease?.spec?.holderIdentity !== identity) return;
    try {
      await api.replace(LEASES, namespace, name, releasedLease(lease, now()));
      return;
    } catch (error) {
      // Written meanwhile: read again, and release it if it still names us.
      if (!(error instanceof KubeApiError && error.status === 409)) throw error;
    }
  }
}

/** The attempt's outcome, or 'timeout' when it is still running after `ms`. Leaves no timer behind. */
async function attemptWithin(
  attempt: () => Promise<Attempt>,
  ms: number,
  signal: AbortSignal,
  timers: Timers,
): Promise<Attempt | 'failed' | 'timeout'> {
  const timer = new AbortController();
  const both = AbortSignal.any([signal, timer.signal]);
  try {
    return await Promise.race([
      attempt().catch(() => 'failed' as const),
      sleep(Math.max(0, ms), both, timers).then(() => 'timeout' as const),
    ]);
  } finally {
    timer.abort();
  }
}
