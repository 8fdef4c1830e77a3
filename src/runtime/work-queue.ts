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
  const queue = new KeyedWorkQueue(options);
  return {
    add: (key) => queue.add(key),
    addAfter: (key, ms) => queue.addAfter(key, ms),
    addRateLimited: (key) => queue.addRateLimited(key),
    forget: (key) => queue.forget(key),
    numRequeues: (key) => queue.numRequeues(key),
    len: () => queue.len(),
    shutdown: () => queue.shutdown(),
  };
}

/** What the queue does with a key after its handler returned `result`. */
export type AfterReconcile =
  { outcome: 'requeue_after'; afterMs: number } | { outcome: 'requeue' } | { outcome: 'success' };

/**
 * The step after a handler returned: a positive `requeueAfterMs` schedules the key (and resets its backoff),
 * `requeue` retries it with backoff, anything else is success. A thrown error is handled apart.
 */
export function afterReconcile(result: ReconcileResult): AfterReconcile {
  if (result?.requeueAfterMs !== undefined && result.requeueAfterMs > 0) {
    return { outcome: 'requeue_after', afterMs: result.requeueAfterMs };
  }
  if (result?.requeue) return { outcome: 'requeue' };
  return { outcome: 'success' };
}

class KeyedWorkQueue {
  readonly #options: WorkQueueOptions;
  readonly #metrics: WorkQueueMetrics | undefined;
  readonly #now: Clock;
  readonly #setTimer: Timers['setTimeout'];
  readonly #clearTimer: Timers['clearTimeout'];
  readonly #random: () => number;
  readonly #backoff: BackoffOptions;
  readonly #concurrency: number;

  // As client-go: `dirty` holds keys that need processing, `queue` the order of those not being processed.
  readonly #queue: string[] = [];
  readonly #dirty = new Set<string>();
  readonly #processing = new Set<string>();
  readonly #addedAt = new Map<string, number>();
  readonly #waiting = new Map<string, { readyAt: number; timer: unknown }>();
  readonly #failures = new Map<string, number>();
  #shuttingDown = false;
  readonly #drained = Promise.withResolvers<void>();

  constructor(options: WorkQueueOptions) {
    const concurrency = options.concurrency ?? 1;
    if (!Number.isInteger(concurrency) || concurrency < 1) {
      throw new RangeError(`concurrency must be a positive integer, got ${concurrency}`);
    }
    this.#concurrency = concurrency;
    this.#options = options;
    this.#metrics = options.metrics;
    this.#now = options.now ?? systemClock;
    this.#setTimer = options.setTimeout ?? systemTimers.setTimeout;
    this.#clearTimer = options.clearTimeout ?? systemTimers.clearTimeout;
    this.#random = options.random ?? Math.random;
    this.#backoff = { ...DEFAULT_BACKOFF, ...options.backoff };
  }

  add(key: string): void {
    if (this.#shuttingDown || this.#dirty.has(key)) return;
    this.#dirty.add(key);
    this.#addedAt.set(key, this.#now());
    this.#metrics?.added();
    this.#metrics?.depth(this.#dirty.size);
    if (this.#processing.has(key)) return;
    this.#queue.push(key);
    this.#pump();
  }

  addAfter(key: string, ms: number): void {
    if (this.#shuttingDown) return;
    if (!(ms > 0)) return this.add(key);
    const readyAt = this.#now() + ms;
    const pending = this.#waiting.get(key);
    if (pending !== undefined) {
      if (pending.readyAt <= readyAt) return;
      this.#clearTimer(pending.timer);
    }
    const timer = this.#setTimer(() => {
      this.#waiting.delete(key);
      this.add(key);
    }, ms);
    this.#waiting.set(key, { readyAt, timer });
  }

  addRateLimited(key: string): void {
    if (this.#shuttingDown) return;
    const attempt = this.#failures.get(key) ?? 0;
    this.#failures.set(key, attempt + 1);
    this.#metrics?.retried();
    this.addAfter(key, backoffDelay(attempt, this.#backoff, this.#random));
  }

  forget(key: string): void {
    this.#failures.delete(key);
  }

  numRequeues(key: string): number {
    return this.#failures.get(key) ?? 0;
  }

  len(): number {
    return this.#dirty.size;
  }

  shutdown(): Promise<void> {
    if (!this.#shuttingDown) {
      this.#shuttingDown = true;
      for (const { timer } of this.#waiting.values()) this.#clearTimer(timer);
      this.#waiting.clear();
      this.#queue.length = 0;
      this.#dirty.clear();
      this.#addedAt.clear();
      this.#metrics?.depth(0);
      if (this.#processing.size === 0) this.#drained.resolve();
    }
    return this.#drained.promise;
  }

  /** Starts handlers while workers are free and keys wait. */
  #pump(): void {
    while (!this.#shuttingDown && this.#processing.size < this.#concurrency && this.#queue.length > 0) {
      const key = this.#queue.shift() as string;
      this.#dirty.delete(key);
      this.#processing.add(key);
      this.#metrics?.depth(this.#dirty.size);
      this.#metrics?.queued((this.#now() - (this.#addedAt.get(key) ?? this.#now())) / 1000);
      this.#addedAt.delete(key);
      void this.#work(key);
    }
  }

  async #work(key: string): Promise<void> {
    const started = this.#now();
    const outcome = await this.#reconcile(key);
    const seconds = (this.#now() - started) / 1000;
    this.#metrics?.worked(seconds);
    this.#metrics?.reconciled(outcome, seconds);
    this.#processing.delete(key);
    if (this.#dirty.has(key)) this.#queue.push(key);
    if (this.#shuttingDown && this.#processing.size === 0) this.#drained.resolve();
    this.#pump();
  }

  /** Runs the handler for `key` and schedules what its result asks for. */
  async #reconcile(key: string): Promise<ReconcileOutcome> {
    try {
      // Deferred so a handler never runs inside the add() that queued its key.
      const next = afterReconcile(await Promise.resolve().then(() => this.#options.handler(key)));
      if (next.outcome === 'requeue_after') {
        this.forget(key);
        this.addAfter(key, next.afterMs);
      } else if (next.outcome === 'requeue') {
        this.addRateLimited(key);
      } else {
        this.forget(key);
      }
      return next.outcome;
    } catch (error) {
      this.addRateLimited(key);
      try {
        this.#options.onError?.(key, error);
      } catch {
        // A failing error reporter must not stop the queue; the retry is already scheduled.
      }
      return 'error';
    }
  }
}
