import type { Registry } from 'prom-client';
import type { Clock } from '../clock.ts';
import type { EventBus } from '../events.ts';
import type { ReplayCache } from '../runtime/replay-cache.ts';
import type { RevocationStore } from '../runtime/revocation-store.ts';
import { StateReplayCache } from '../runtime/state-replay-cache.ts';
import { StateRevocationStore } from '../runtime/state-revocation-store.ts';
import { startCleaner, DEFAULT_CLEANER_OPTIONS, type CleanerOptions } from '../state/cleaner.ts';
import { observedState, startHealthPings, StateHealth } from '../state/health.ts';
import type { RuntimeState } from '../state/runtime-state.ts';
import { registerStateMetrics } from '../state/state-metrics.ts';
import { systemTimers, type Timers } from '../timers.ts';
import type { Readiness } from './ops.ts';

/** How often the runtime state is pinged for readiness; about a readiness probe's period. */
export const STATE_PING_INTERVAL_MS = 5_000;

export interface ServedStateOptions {
  events: EventBus;
  now: Clock;
  registry: Registry;
  /** Unexpired assertion ids one client may hold (`--replay-per-client`). */
  replayPerClient?: number;
  cleaner?: Partial<CleanerOptions>;
  pingIntervalMs?: number;
  timers?: Timers;
}

/** What the token server gets from the runtime state, and what readiness and shutdown need. */
export interface ServedState {
  replay: ReplayCache;
  revocations: RevocationStore;
  health: StateHealth;
  /** Not ready while the state does not answer, with what it reported. */
  readiness(): Readiness;
  /** Stops the cleaner and the pings; the caller that opened the state closes it. */
  stop(): Promise<void>;
}

/**
 * Serves from runtime state (issue 11): the replay check and revocations on it, its health watched (pings, and
 * every operation) and reported once per transition as `state.unavailable` / `state.recovered`, its metrics
 * registered, and the cleaner deleting expired records in bounded batches. The client_credentials path with a
 * shared secret reads none of it.
 */
export function serveState(state: RuntimeState, options: ServedStateOptions): ServedState {
  const timers = options.timers ?? systemTimers;
  const health = new StateHealth(state.backend, options.now, (event) => {
    if (event.type === 'unavailable') {
      options.events.emit('state.unavailable', { backend: event.backend, message: event.message });
    } else {
      options.events.emit('state.recovered', {
        backend: event.backend,
        downSeconds: Math.round(event.downMs / 1000),
      });
    }
  });
  const observed = observedState(state, health);
  const metrics = registerStateMetrics(options.registry, observed, health);
  const cleaner = startCleaner(
    { state: observed, clock: options.now, timers, onEvent: (event) => metrics.observeCleaner(event) },
    { ...DEFAULT_CLEANER_OPTIONS, ...options.cleaner },
  );
  const pings = startHealthPings(observed, options.pingIntervalMs ?? STATE_PING_INTERVAL_MS, timers);
  return {
    replay: new StateReplayCache(observed, options.replayPerClient),
    revocations: new StateRevocationStore(observed),
    health,
    readiness() {
      const status = health.status;
      if (status.up) return { ready: true };
      return {
        ready: false,
        reason: `the runtime state (${state.backend}) does not answer: ${status.message}`,
      };
    },
    async stop() {
      await Promise.all([cleaner.stop(), pings.stop()]);
    },
  };
}
