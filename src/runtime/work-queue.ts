import { type Clock, systemClock } from '../clock.ts';
import { backoffDelay, type BackoffOptions } from './backoff.ts';
import { systemTimers, type Timers } from '../timers.ts';

/** What a reconcile asks for besides success (controller-runtime's reconcile.Result). */
export type ReconcileResult = { requeue?: boolean; requeueAfterMs?: number } | void;

/** How one reconcile ended, as the `result` label of controller_runtime_reconcile_total. */
export type ReconcileOutcome = 'success' | 'error' | 'requeue' | 'requeue_after';

/** Hooks the queue calls so metrics (src/operator/controller-metrics.ts) can follow it without the queue knowing them. */
export interface WorkQueueMetrics {
  /** Keys waiting to be processed (including a key re-added while it is being processed). */
  depth(keys: number): void;
  /** A key entered the queue (an add of a key already waiting does not count). */
  added(): void;
  /** How long a key waited from its add until a worker took it. */
  queued(seconds: number): void;
  /** How long the handler ran. */
  worked(seconds: number): void;
  /** A key was scheduled again with backoff. */
  retried(): void;
  reconciled(outcome: ReconcileOutcome, seconds: number): void;
}

export interface WorkQueueOptions {
  /** The controller's name (metrics label), e.g. `oauthclient`. */
  name: string;
  /** Processes one key; throwing (or `requeue`) retries it with backoff, `requeueAfterMs` schedules it. */
  handler: (key: string) => Promise<ReconcileResult>;
  /** Handlers running at once (default 1). A key never runs concurrently with itself. */
  concurrency?: number;
  /** Retry delays per key: 5 ms doubling to 1000 s by default (client-go's), jittered. */
  backoff?: Partial<BackoffOptions>;
  /** Told about each failed reconcile (the queue retries it). */
  onError?: (key: string, error: unknown) => void;
  metrics?: WorkQueueMetrics;
  now?: Clock;
  setTimeout?: Timers['setTimeout'];
  clearTimeout?: Timers['clearTimeout'];
  /** A number in [0, 1) (default Math.random), for backoff jitter. */
  random?: () => number;
}

/** A work queue keyed by string, in the manner of client-go's rate-limited delaying queue. */
export interface WorkQueue {
  /** Queues `key` unless it is already waiting; a key being processed runs once more after it finishes. */
  add(key: string): void;
  /** Adds `key` after `ms`; of several pending delays for one key the earliest wins. */
  addAfter(key: string, ms: number): void;
  /** Adds `key` after its next backoff delay (which grows with each call until forget). */
  addRateLimited(key: string): void;
  /** Resets the backoff of `key` (done on every successful reconcile). */
  forget(key: string): void;
  /** How many times `key` was retried with backoff since it was last forgotten. */
  numRequeues(key: string): number;
  /** Keys waiting to be processed. */
  len(): number;
  /**
   * Stops accepting keys, drops the waiting ones, clears every timer, and resolves once the handlers already
   * running have finished (drain). Safe to call more than once.
   */
  shutdown(): Promise<void>;
}

const DEFAULT_BACKOFF: BackoffOptions = { initialMs: 5, maxMs: 1_000_000 };

/**
 * Creates a work queue whose workers start processing at once.
 *
 * @example
 * const queue = createWorkQueue({ name: 'oauthclient', handler: (key) => controller.reconcile(key), concurrency: 2 });
 * informer.on((e) => queue.add(keyOf(e.object)));
 */
export function createWorkQueue(options: WorkQueueOptions): WorkQueue {
  const now = options.now ?? systemClock;
  const setTimer = options.setTimeout ?? systemTimers.setTimeout;
  const clearTimer = options.clearTimeout ?? systemTimers.clearTimeout;
  const random = options.random ?? Math.random;
  const backoff: BackoffOptions = { ...DEFAULT_BACKOFF, ...options.backoff };
  const concurrency = options.concurrency ?? 1;
  if (!Number.isInteger(concurrency) || concurrency < 1) {
    throw new RangeError(`concurrency must be a positive integer, got ${concurrency}`);
  }
  const metrics = options.metrics;

  // As client-go: `dirty` holds keys that need processing, `queue` the order of those not being processed.
  const queue: string[] = [];
  const dirty = new Set<string>();
  const processing = new Set<string>();
  const addedAt = new Map<string, number>();
  const waiting = new Map<string, { readyAt: number; timer: unknown }>();
  const failures = new Map<string, number>();
  let shuttingDown = false;
  const drained = Promise.withResolvers<void>();

  const add = (key: string) => {
    if (shuttingDown || dirty.has(key)) return;
    dirty.add(key);
    addedAt.set(key, now());
    metrics?.added();
    metrics?.depth(dirty.size);
    if (processing.has(key)) return;
    queue.push(key);
    pump();
  };

  const addAfter = (key: string, ms: number) => {
    if (shuttingDown) return;
    if (!(ms > 0)) return add(key);
    const readyAt = now() + ms;
    const pending = waiting.get(key);
    if (pending !== undefined) {
      if (pending.readyAt <= readyAt) return;
      clearTimer(pending.timer);
    }
    const timer = setTimer(() => {
      waiting.delete(key);
      add(key);
    }, ms);
    waiting.set(key, { readyAt, timer });
  };

  const addRateLimited = (key: string) => {
    if (shuttingDown) return;
    const attempt = failures.get(key) ?? 0;
    failures.set(key, attempt + 1);
    metrics?.retried();
    addAfter(key, backoffDelay(attempt, backoff, random));
  };

  const forget = (key: string) => {
    failures.delete(key);
  };

  /** Starts handlers while workers are free and keys wait. */
  const pump = () => {
    while (!shuttingDown && processing.size < concurrency && queue.length > 0) {
      const key = queue.shift() as string;
      dirty.delete(key);
      processing.add(key);
      metrics?.depth(dirty.size);
      metrics?.queued((now() - (addedAt.get(key) ?? now())) / 1000);
      addedAt.delete(key);
      void work(key);
    }
  };

  const work = async (key: string) => {
    const started = now();
    let outcome: ReconcileOutcome;
    try {
      // Deferred so a handler never runs inside the add() that queued its key.
      const result = await Promise.resolve().then(() => options.handler(key));
      if (result?.requeueAfterMs !== undefined && result.requeueAfterMs > 0) {
        outcome = 'requeue_after';
        forget(key);
        addAfter(key, result.requeueAfterMs);
      } else if (result?.requeue) {
        outcome = 'requeue';
        addRateLimited(key);
      } else {
        outcome = 'success';
        forget(key);
      }
    } catch (error) {
      outcome = 'error';
      addRateLimited(key);
      try {
        options.onError?.(key, error);
      } catch {
        // A failing error reporter must not stop the queue; the retry is already scheduled.
      }
    }
    const seconds = (now() - started) / 1000;
    metrics?.worked(seconds);
    metrics?.reconciled(outcome, seconds);
    processing.delete(key);
    if (dirty.has(key)) queue.push(key);
    if (shuttingDown && processing.size === 0) drained.resolve();
    pump();
  };

  return {
    add,
    addAfter,
    addRateLimited,
    forget,
    numRequeues: (key) => failures.get(key) ?? 0,
    len: () => dirty.size,
    shutdown() {
      if (!shuttingDown) {
        shuttingDown = true;
        for (const { timer } of waiting.values()) clearTimer(timer);
        waiting.clear();
        queue.length = 0;
        dirty.clear();
        addedAt.clear();
        metrics?.depth(0);
        if (processing.size === 0) drained.resolve();
      }
      return drained.promise;
    },
  };
}
