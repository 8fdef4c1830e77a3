import type { Clock } from '../clock.ts';
import { sleep, type Timers } from '../timers.ts';
import { StateUnavailableError, type RuntimeState } from './runtime-state.ts';

/**
 * Whether the runtime state answers, learnt from every operation and from a periodic ping, so readiness reflects
 * the store and logs and Events say what is wrong once per outage, not once per request (issue 11).
 */
export type StateHealthStatus = { up: true } | { up: false; sinceMs: number; message: string };

/** A transition; nothing is emitted while the status stays the same. */
export type StateHealthEvent =
  | { type: 'unavailable'; backend: string; message: string }
  | { type: 'recovered'; backend: string; downMs: number };

export type StateObservation = { ok: true } | { ok: false; message: string };

/**
 * The next status after an observation, and the event the change is worth. A failure while down keeps the
 * first message and time: the outage is reported once, by what started it.
 */
export function nextHealth(
  current: StateHealthStatus,
  observation: StateObservation,
  nowMs: number,
  backend: string,
): { status: StateHealthStatus; event?: StateHealthEvent } {
  if (observation.ok) {
    if (current.up) return { status: current };
    return { status: { up: true }, event: { type: 'recovered', backend, downMs: nowMs - current.sinceMs } };
  }
  if (!current.up) return { status: current };
  const status = { up: false as const, sinceMs: nowMs, message: observation.message };
  return { status, event: { type: 'unavailable', backend, message: observation.message } };
}

export class StateHealth {
  readonly backend: string;
  readonly #clock: Clock;
  readonly #onEvent: (event: StateHealthEvent) => void;
  #status: StateHealthStatus = { up: true };

  constructor(backend: string, clock: Clock, onEvent: (event: StateHealthEvent) => void) {
    this.backend = backend;
    this.#clock = clock;
    this.#onEvent = onEvent;
  }

  get status(): StateHealthStatus {
    return this.#status;
  }

  observe(observation: StateObservation): void {
    // The common case, on every operation of a healthy backend, costs one comparison.
    if (observation.ok && this.#status.up) return;
    const { status, event } = nextHealth(this.#status, observation, this.#clock(), this.backend);
    this.#status = status;
    if (event !== undefined) this.#onEvent(event);
  }
}

type Operation = (...args: never[]) => Promise<unknown>;

/**
 * `state` reporting the outcome of every operation to `health`: a success, or a StateUnavailableError (other
 * errors are bugs, not outages, and pass through unobserved).
 */
export function observedState(state: RuntimeState, health: StateHealth): RuntimeState {
  const wrap = <F extends Operation>(operation: F): F =>
    (async (...args: Parameters<F>) => {
      try {
        const result = await operation(...args);
        health.observe({ ok: true });
        return result;
      } catch (error) {
        if (error instanceof StateUnavailableError) health.observe({ ok: false, message: error.message });
        throw error;
      }
    }) as F;
  const observed: RuntimeState = {
    backend: state.backend,
    insert: wrap(state.insert.bind(state)),
    get: wrap(state.get.bind(state)),
    consume: wrap(state.consume.bind(state)),
    compareAndSwap: wrap(state.compareAndSwap.bind(state)),
    rotate: wrap(state.rotate.bind(state)),
    listByOwner: wrap(state.listByOwner.bind(state)),
    countByOwner: wrap(state.countByOwner.bind(state)),
    deleteByOwner: wrap(state.deleteByOwner.bind(state)),
    deleteExpired: wrap(state.deleteExpired.bind(state)),
    counts: wrap(state.counts.bind(state)),
    ping: wrap(state.ping.bind(state)),
    close: () => state.close(),
  };
  if (state.tryLeadCleaning !== undefined) observed.tryLeadCleaning = wrap(state.tryLeadCleaning.bind(state));
  return observed;
}

export interface HealthPings {
  stop(): Promise<void>;
}

/**
 * Pings `state` (an observed one, so each answer reaches its health) every `intervalMs`, so an outage is seen
 * and its end noticed without traffic. The ping's own time bound (the backend's) keeps one from piling up.
 */
export function startHealthPings(state: RuntimeState, intervalMs: number, timers: Timers): HealthPings {
  const controller = new AbortController();
  const loop = (async () => {
    while (!controller.signal.aborted) {
      await state.ping().catch(() => undefined);
      await sleep(intervalMs, controller.signal, timers);
    }
  })();
  return {
    async stop() {
      controller.abort();
      await loop;
    },
  };
}
