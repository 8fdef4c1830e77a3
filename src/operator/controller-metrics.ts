import { Counter, Gauge, Histogram, type Registry } from 'prom-client';
import type { LeaderMetrics } from './leader.ts';
import type { ReconcileOutcome, WorkQueueMetrics } from '../runtime/work-queue.ts';

/**
 * The controller metrics under the names Kubernetes users already chart and alert on for controller-runtime
 * operators (workqueue_*, controller_runtime_reconcile_*, leader_election_master_status), so existing
 * dashboards work unchanged.
 */
export interface ControllerMetrics {
  /** Hooks for the work queue of controller `controller` (e.g. `oauthclient`). */
  queue(controller: string): WorkQueueMetrics;
  /** Hooks for the leader elector of Lease `name`. */
  leaderElection(name: string): LeaderMetrics;
}

// client-go's workqueue buckets: 10 ns to 1000 s, one per decade.
const WORKQUEUE_BUCKETS = Array.from({ length: 12 }, (_, i) => 1e-8 * 10 ** i);
// controller-runtime's reconcile_time_seconds buckets.
const RECONCILE_BUCKETS = [
  0.005, 0.01, 0.025, 0.05, 0.1, 0.15, 0.2, 0.25, 0.3, 0.35, 0.4, 0.45, 0.5, 0.6, 0.7, 0.8, 0.9, 1.0, 1.25,
  1.5, 1.75, 2.0, 2.5, 3.0, 3.5, 4.0, 4.5, 5, 6, 7, 8, 9, 10, 15, 20, 25, 30, 40, 50, 60,
];
const OUTCOMES: readonly ReconcileOutcome[] = ['success', 'error', 'requeue', 'requeue_after'];

/**
 * Registers the controller metrics on `registry` (never the global one, so several operators or tests in
 * one process do not collide). Call once per registry.
 *
 * @example
 * const metrics = createControllerMetrics(registry);
 * createWorkQueue({ name: 'oauthclient', handler, metrics: metrics.queue('oauthclient') });
 */
export function createControllerMetrics(registry: Registry): ControllerMetrics {
  const registers = [registry];
  // Registration order is the order of the exposition: workqueue, reconcile, leader election.
  const queues = workQueueFamily(registers);
  const reconciles = reconcileFamily(registers);
  const leaderStatus = leaderElectionFamily(registers);
  return {
    queue: (controller) => queueHooks(controller, queues, reconciles),
    leaderElection(name) {
      leaderStatus.set({ name }, 0);
      return { leading: (isLeader) => leaderStatus.set({ name }, isLeader ? 1 : 0) };
    },
  };
}

type Registers = Registry[];
const QUEUE_LABELS = ['name', 'controller'] as const;
type QueueLabel = (typeof QUEUE_LABELS)[number];

interface WorkQueueFamily {
  depth: Gauge<QueueLabel>;
  adds: Counter<QueueLabel>;
  queueDuration: Histogram<QueueLabel>;
  workDuration: Histogram<QueueLabel>;
  retries: Counter<QueueLabel>;
}

/** client-go's workqueue_* metrics. */
function workQueueFamily(registers: Registers): WorkQueueFamily {
  const depth = new Gauge({
    name: 'workqueue_depth',
    help: 'Current depth of workqueue',
    labelNames: QUEUE_LABELS,
    registers,
  });
  const adds = new Counter({
    name: 'workqueue_adds_total',
    help: 'Total number of adds handled by workqueue',
    labelNames: QUEUE_LABELS,
    registers,
  });
  const queueDuration = new Histogram({
    name: 'workqueue_queue_duration_seconds',
    help: 'How long in seconds an item stays in workqueue before being requested',
    labelNames: QUEUE_LABELS,
    buckets: WORKQUEUE_BUCKETS,
    registers,
  });
  const workDuration = new Histogram({
    name: 'workqueue_work_duration_seconds',
    help: 'How long in seconds processing an item from workqueue takes.',
    labelNames: QUEUE_LABELS,
    buckets: WORKQUEUE_BUCKETS,
    registers,
  });
  const retries = new Counter({
    name: 'workqueue_retries_total',
    help: 'Total number of retries handled by workqueue',
    labelNames: QUEUE_LABELS,
    registers,
  });
  return { depth, adds, queueDuration, workDuration, retries };
}

interface ReconcileFamily {
  reconciles: Counter<'controller' | 'result'>;
  reconcileErrors: Counter<'controller'>;
  reconcileTime: Histogram<'controller'>;
}

/** controller-runtime's controller_runtime_reconcile_* metrics. */
function reconcileFamily(registers: Registers): ReconcileFamily {
  const reconciles = new Counter({
    name: 'controller_runtime_reconcile_total',
    help: 'Total number of reconciliations per controller',
    labelNames: ['controller', 'result'] as const,
    registers,
  });
  const reconcileErrors = new Counter({
    name: 'controller_runtime_reconcile_errors_total',
    help: 'Total number of reconciliation errors per controller',
    labelNames: ['controller'] as const,
    registers,
  });
  const reconcileTime = new Histogram({
    name: 'controller_runtime_reconcile_time_seconds',
    help: 'Length of time per reconciliation per controller',
    labelNames: ['controller'] as const,
    buckets: RECONCILE_BUCKETS,
    registers,
  });
  return { reconciles, reconcileErrors, reconcileTime };
}

/** client-go's leader_election_master_status. */
function leaderElectionFamily(registers: Registers): Gauge<'name'> {
  return new Gauge({
    name: 'leader_election_master_status',
    help: 'Gauge of if the reporting system is master of the relevant lease, 0 indicates backup, 1 indicates master. name is the string used to identify the lease.',
    labelNames: ['name'] as const,
    registers,
  });
}

function queueHooks(
  controller: string,
  { depth, adds, queueDuration, workDuration, retries }: WorkQueueFamily,
  { reconciles, reconcileErrors, reconcileTime }: ReconcileFamily,
): WorkQueueMetrics {
  const labels = { name: controller, controller };
  // Series exist from the start (at 0), as controller-runtime initialises them, so rate() and alerts
  // see a controller that has not failed yet.
  depth.set(labels, 0);
  adds.inc(labels, 0);
  retries.inc(labels, 0);
  reconcileErrors.inc({ controller }, 0);
  for (const result of OUTCOMES) reconciles.inc({ controller, result }, 0);
  return {
    depth: (keys) => depth.set(labels, keys),
    added: () => adds.inc(labels),
    queued: (seconds) => queueDuration.observe(labels, seconds),
    worked: (seconds) => workDuration.observe(labels, seconds),
    retried: () => retries.inc(labels),
    reconciled(outcome, seconds) {
      reconciles.inc({ controller, result: outcome });
      if (outcome === 'error') reconcileErrors.inc({ controller });
      reconcileTime.observe({ controller }, seconds);
    },
  };
}
