import { Gauge, type Registry } from 'prom-client';
import type { Resolution } from './compile.ts';
import type { ObjectKey } from './objects.ts';
import { readinessSummary, type ReadinessSummary } from './readiness-summary.ts';

/**
 * Registers the metrics of what the store compiled (issue 16, item 4), read at each scrape from the last
 * compile: objects per kind, objects not Ready by kind and reason, and Connections whose issuer check failed
 * by namespace. Every replica compiles the same objects, so each reports the same values.
 *
 * A series that was counted once stays at 0 when its objects become Ready, so graphs drop to 0 and alerts
 * resolve; the label values are bounded by the kinds, the reasons of reasons.ts and the namespaces holding
 * Connections.
 *
 * @example
 * registerStoreMetrics(servers.metrics.registry, () => store.resolutions());
 */
export function registerStoreMetrics(
  registry: Registry,
  resolutions: () => ReadonlyMap<ObjectKey, Resolution>,
): void {
  let read: ReadonlyMap<ObjectKey, Resolution> | undefined;
  let summary: ReadinessSummary | undefined;
  // One summary per compile, however many gauges and scrapes read it.
  const current = (): ReadinessSummary => {
    const now = resolutions();
    if (now !== read || summary === undefined) {
      read = now;
      summary = readinessSummary(now.values());
    }
    return summary;
  };
  new Gauge({
    name: 'latchkey_objects',
    help: 'Declared objects the store compiled, by kind.',
    labelNames: ['kind'] as const,
    registers: [registry],
    collect() {
      for (const [kind, n] of current().objects) this.set({ kind }, n);
    },
  });
  const notReadySeen = new Set<string>();
  new Gauge({
    name: 'latchkey_objects_not_ready',
    help: 'Declared objects whose Ready condition is not True, by kind and reason (the condition reason).',
    labelNames: ['kind', 'reason'] as const,
    registers: [registry],
    collect() {
      const counts = new Map<string, number>([...notReadySeen].map((k) => [k, 0]));
      for (const { kind, reason, count } of current().notReady) counts.set(`${kind}\n${reason}`, count);
      for (const [key, n] of counts) {
        notReadySeen.add(key);
        const [kind = '', reason = ''] = key.split('\n');
        this.set({ kind, reason }, n);
      }
    },
  });
  const failingSeen = new Set<string>();
  new Gauge({
    name: 'latchkey_connections_failing',
    help: 'Connections whose last issuer check failed (IssuerVerified False), by the namespace they are in.',
    // Not `namespace`: Prometheus gives scraped series the Pod's namespace under that name.
    labelNames: ['connection_namespace'] as const,
    registers: [registry],
    collect() {
      const failing = current().failingConnections;
      for (const namespace of failing.keys()) failingSeen.add(namespace);
      for (const namespace of failingSeen) {
        this.set({ connection_namespace: namespace }, failing.get(namespace) ?? 0);
      }
    },
  });
}
