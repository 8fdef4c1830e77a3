import type { Clock } from '../clock.ts';
import type { EventBus } from '../events.ts';
import type { Informer, KubeObject } from '../kube/types.ts';
import { createWorkQueue, type WorkQueue } from '../runtime/work-queue.ts';
import type { ControllerMetrics } from './controller-metrics.ts';
import { SIGNING_KEYS_SECRET, type OperatorKeys } from './signing-key-secret.ts';

/** The leader's key work (create, restore, rotate) runs on a queue of its own, woken at each key's time. */
export function createKeysQueue(
  { events, now, keys }: { events: EventBus; now: Clock; keys: OperatorKeys },
  metrics: ControllerMetrics,
  keySecret: Informer<KubeObject>,
  isLeader: () => boolean,
): WorkQueue {
  const keysQueue = createWorkQueue({
    name: 'signing-keys',
    handler: () => keys.reconcile(isLeader(), keySecret.hasSynced()),
    // One key only: retrying it every 30 s at most costs nothing and picks up a recovered API server soon.
    backoff: { maxMs: 30_000 },
    metrics: metrics.queue('signing-keys'),
    now,
    onError: (key, err) =>
      events.emit('reconcile.failed', { controller: 'signing-keys', key, message: (err as Error).message }),
  });
  keySecret.on((e) => {
    keys.observe(e.type === 'deleted' ? undefined : e.object);
    keysQueue.add(SIGNING_KEYS_SECRET);
  });
  // A longer token lifetime must be recorded with the keys that may sign such tokens (they stay published for it).
  events.on('store.swapped', () => {
    if (isLeader() && keys.lifetimeBehind()) keysQueue.add(SIGNING_KEYS_SECRET);
  });
  return keysQueue;
}
