import { Counter, Gauge, type Registry } from 'prom-client';
import type { CleanerEvent } from './cleaner.ts';
import type { StateHealth } from './health.ts';
import type { RuntimeState } from './runtime-state.ts';

/** What the state layer reports to Prometheus; the server wires {@link StateMetrics.observeCleaner} to the cleaner. */
export interface StateMetrics {
  observeCleaner(event: CleanerEvent): void;
}

/**
 * Registers the runtime-state metrics in a server's registry (src/server/metrics.ts): records held per kind
 * (read from the backend at each scrape, expired-but-not-yet-cleaned included, so a growing gap with the live
 * count shows a cleaner that falls behind), and what the cleaner removed and how its runs ended (issue 11).
 */
export function registerStateMetrics(
  registry: Registry,
  state: RuntimeState,
  health?: StateHealth,
): StateMetrics {
  if (health !== undefined) {
    new Gauge({
      name: 'latchkey_state_up',
      help: 'Whether the runtime state answers (1) or not (0): the replay check, introspection and revocation need it.',
      labelNames: ['backend'] as const,
      registers: [registry],
      collect() {
        this.set({ backend: health.backend }, health.status.up ? 1 : 0);
      },
    });
  }
  new Gauge({
    name: 'latchkey_state_records',
    help: 'Runtime-state records held, by kind, expired or not (an estimate on a large PostgreSQL table).',
    labelNames: ['kind', 'backend'] as const,
    registers: [registry],
    async collect() {
      // A backend that cannot answer leaves the last values; readiness reports the outage.
      const counts = await state.counts().catch(() => undefined);
      for (const [kind, n] of counts ?? []) this.set({ kind, backend: state.backend }, n);
    },
  });
  const removed = new Counter({
    name: 'latchkey_state_cleaner_removed_total',
    help: 'Expired runtime-state records the cleaner deleted, by kind.',
    labelNames: ['kind'] as const,
    registers: [registry],
  });
  const runs = new Counter({
    name: 'latchkey_state_cleaner_runs_total',
    help: 'Cleaner runs, by outcome: caught-up, backlog (stopped at its batch limit), stopped, skipped (another replica cleans), failed.',
    labelNames: ['outcome'] as const,
    registers: [registry],
  });
  return {
    observeCleaner(event) {
      if (event.type !== 'cleaned') return void runs.inc({ outcome: event.type });
      runs.inc({ outcome: event.stoppedBy });
      for (const [kind, n] of Object.entries(event.removed)) removed.inc({ kind }, n);
    },
  };
}
