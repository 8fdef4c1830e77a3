import { Registry } from 'prom-client';
import { describe, expect, it } from 'vitest';
import { createControllerMetrics } from '../../src/operator/controller-metrics.ts';
import {
  afterReconcile,
  createWorkQueue,
  type ReconcileResult,
  type WorkQueueOptions,
} from '../../src/runtime/work-queue.ts';

/** Hand-driven time: timers fire only in advance(), in due order, with microtasks settled after each. */
class FakeTime {
  t = 0;
  #next = 0;
  readonly timers = new Map<number, { at: number; ms: number; fn: () => void }>();
  now = () => this.t;
  setTimeout = (fn: () => void, ms: number): unknown => {
    const id = ++this.#next;
    this.timers.set(id, { at: this.t + ms, ms, fn });
    return id;
  };
  clearTimeout = (handle: unknown) => {
    this.timers.delete(handle as number);
  };
  /** Delays of the timers still pending, in scheduling order. */
  pending(): number[] {
    return [...this.timers.values()].map((t) => t.ms);
  }
  async advance(ms: number): Promise<void> {
    const target = this.t + ms;
    for (;;) {
      await settle();
      const due = [...this.timers.entries()]
        .filter(([, t]) => t.at <= target)
        .sort(([, a], [, b]) => a.at - b.at)[0];
      if (!due) break;
      this.timers.delete(due[0]);
      this.t = due[1].at;
      due[1].fn();
    }
    this.t = target;
    await settle();
  }
}

const settle = () => new Promise<void>((done) => setImmediate(done));

/** A handler whose calls stay running until the test ends them. */
function controllableHandler() {
  const calls: { key: string; finish: (result?: ReconcileResult) => void; fail: (error: Error) => void }[] =
    [];
  let running = 0;
  let maxRunning = 0;
  const runningKeys = new Map<string, number>();
  let maxSameKey = 0;
  const handler = (key: string) =>
    new Promise<ReconcileResult>((resolve, reject) => {
      running++;
      maxRunning = Math.max(maxRunning, running);
      runningKeys.set(key, (runningKeys.get(key) ?? 0) + 1);
      maxSameKey = Math.max(maxSameKey, runningKeys.get(key) ?? 0);
      const end = () => {
        running--;
        runningKeys.set(key, (runningKeys.get(key) ?? 1) - 1);
      };
      calls.push({
        key,
        finish: (result) => {
          end();
          resolve(result);
        },
        fail: (error) => {
          end();
          reject(error);
        },
      });
    });
  return {
    handler,
    calls,
    keys: () => calls.map((c) => c.key),
    stats: () => ({ running, maxRunning, maxSameKey }),
  };
}

function queueWith(time: FakeTime, options: Partial<WorkQueueOptions> & Pick<WorkQueueOptions, 'handler'>) {
  return createWorkQueue({
    name: 'oauthclient',
    now: time.now,
    setTimeout: time.setTimeout,
    clearTimeout: time.clearTimeout,
    random: () => 0,
    ...options,
  });
}

describe('work queue', () => {
  it('coalesces adds of a waiting key into one run', async () => {
    const time = new FakeTime();
    const h = controllableHandler();
    const queue = queueWith(time, { handler: h.handler });
    queue.add('blocker');
    queue.add('a');
    queue.add('a');
    queue.add('a');
    expect(queue.len()).toBe(1);
    await settle();
    h.calls[0]?.finish();
    await settle();
    h.calls[1]?.finish();
    await settle();
    expect(h.keys()).toEqual(['blocker', 'a']);
    expect(queue.len()).toBe(0);
  });

  it('never runs a key concurrently with itself; a key added while running runs once more after', async () => {
    const time = new FakeTime();
    const h = controllableHandler();
    const queue = queueWith(time, { handler: h.handler, concurrency: 4 });
    queue.add('a');
    await settle();
    expect(h.keys()).toEqual(['a']);
    queue.add('a');
    queue.add('a');
    await settle();
    expect(h.keys()).toEqual(['a']);
    expect(queue.len()).toBe(1);
    h.calls[0]?.finish();
    await settle();
    expect(h.keys()).toEqual(['a', 'a']);
    h.calls[1]?.finish();
    await settle();
    expect(h.keys()).toEqual(['a', 'a']);
    expect(h.stats().maxSameKey).toBe(1);
  });

  it('runs at most `concurrency` handlers at once, in the order keys were added', async () => {
    const time = new FakeTime();
    const h = controllableHandler();
    const queue = queueWith(time, { handler: h.handler, concurrency: 2 });
    for (const key of ['a', 'b', 'c', 'd', 'e']) queue.add(key);
    await settle();
    expect(h.keys()).toEqual(['a', 'b']);
    h.calls[1]?.finish();
    await settle();
    expect(h.keys()).toEqual(['a', 'b', 'c']);
    for (let i = 0; i < 5; i++) {
      for (const call of h.calls) call.finish();
      await settle();
    }
    expect(h.keys()).toEqual(['a', 'b', 'c', 'd', 'e']);
    expect(h.stats().maxRunning).toBe(2);
  });

  it('retries a failing key with doubling delays from 5 ms, capped at the maximum', async () => {
    const time = new FakeTime();
    const errors: string[] = [];
    const queue = queueWith(time, {
      handler: () => Promise.reject(new Error('API server unavailable')),
      backoff: { maxMs: 100 },
      onError: (key, error) => errors.push(`${key}: ${(error as Error).message}`),
    });
    queue.add('a');
    const delays: number[] = [];
    for (let i = 0; i < 8; i++) {
      await settle();
      delays.push(...time.pending());
      await time.advance(time.pending()[0] ?? 0);
    }
    expect(delays).toEqual([5, 10, 20, 40, 80, 100, 100, 100]);
    // The eighth timer ran the key once more, and it failed again.
    expect(queue.numRequeues('a')).toBe(9);
    expect(errors[0]).toBe('a: API server unavailable');
    await queue.shutdown();
  });

  it('uses client-go’s default range, 5 ms up to 1000 s', async () => {
    const time = new FakeTime();
    const queue = queueWith(time, { handler: () => Promise.reject(new Error('boom')) });
    queue.add('a');
    const delays: number[] = [];
    for (let i = 0; i < 22; i++) {
      await settle();
      const [delay] = time.pending();
      delays.push(delay ?? NaN);
      await time.advance(delay ?? 0);
    }
    expect(delays.slice(0, 3)).toEqual([5, 10, 20]);
    expect(delays[17]).toBe(5 * 2 ** 17);
    expect(delays.slice(18)).toEqual([1_000_000, 1_000_000, 1_000_000, 1_000_000]);
    await queue.shutdown();
  });

  it('jitters delays within (d/2, d], only downwards', async () => {
    for (const r of [0, 0.3, 0.7, 0.999999]) {
      const time = new FakeTime();
      const queue = queueWith(time, { handler: () => Promise.reject(new Error('boom')), random: () => r });
      queue.add('x');
      for (const d of [5, 10, 20, 40]) {
        await settle();
        const [delay = NaN] = time.pending();
        expect(delay).toBeGreaterThan(d / 2);
        expect(delay).toBeLessThanOrEqual(d);
        if (r === 0) expect(delay).toBe(d);
        await time.advance(delay);
      }
      await queue.shutdown();
    }
  });

  it('forgets a key’s failures when it succeeds, so the next failure starts from the base delay', async () => {
    const time = new FakeTime();
    let failures = 2;
    const queue = queueWith(time, {
      handler: () => (failures-- > 0 ? Promise.reject(new Error('boom')) : Promise.resolve()),
    });
    queue.add('a');
    await settle();
    expect(queue.numRequeues('a')).toBe(1);
    await time.advance(5);
    expect(queue.numRequeues('a')).toBe(2);
    await time.advance(10);
    expect(queue.numRequeues('a')).toBe(0);
    expect(time.pending()).toEqual([]);
    failures = 1;
    queue.add('a');
    await settle();
    expect(time.pending()).toEqual([5]);
    await queue.shutdown();
  });

  it('addAfter runs a key no sooner than asked, keeping the earliest of several delays', async () => {
    const time = new FakeTime();
    const h = controllableHandler();
    const queue = queueWith(time, { handler: h.handler });
    queue.addAfter('a', 1000);
    queue.addAfter('a', 5000);
    queue.addAfter('a', 500);
    await time.advance(499);
    expect(h.keys()).toEqual([]);
    await time.advance(1);
    expect(h.keys()).toEqual(['a']);
    h.calls[0]?.finish();
    await time.advance(10_000);
    expect(h.keys()).toEqual(['a']);
    queue.addAfter('b', 0);
    await settle();
    expect(h.keys()).toEqual(['a', 'b']);
    h.calls[1]?.finish();
    await queue.shutdown();
  });

  it('treats requeue as a backoff retry and requeueAfterMs as a schedule that resets backoff', async () => {
    const time = new FakeTime();
    const results: ReconcileResult[] = [{ requeue: true }, { requeue: true }, { requeueAfterMs: 60_000 }];
    const seen: number[] = [];
    const queue = queueWith(time, {
      handler: () => {
        seen.push(time.t);
        return Promise.resolve(results.shift());
      },
    });
    queue.add('a');
    await time.advance(100_000);
    expect(seen).toEqual([0, 5, 15, 60_015]);
    expect(queue.numRequeues('a')).toBe(0);
    await queue.shutdown();
  });

  it('on shutdown lets running handlers finish, drops waiting keys, refuses new ones and clears timers', async () => {
    const time = new FakeTime();
    const h = controllableHandler();
    const queue = queueWith(time, { handler: h.handler });
    queue.add('running');
    queue.add('waiting');
    queue.addAfter('later', 1000);
    await settle();
    let drained = false;
    const done = queue.shutdown().then(() => (drained = true));
    queue.add('new');
    queue.addRateLimited('new');
    expect(time.pending()).toEqual([]);
    expect(queue.len()).toBe(0);
    await settle();
    expect(drained).toBe(false);
    h.calls[0]?.fail(new Error('late failure'));
    await done;
    expect(drained).toBe(true);
    expect(time.pending()).toEqual([]);
    await time.advance(5000);
    expect(h.keys()).toEqual(['running']);
    await queue.shutdown();
  });

  it('exposes controller-runtime metrics on its own registry', async () => {
    const time = new FakeTime();
    const registry = new Registry();
    const metrics = createControllerMetrics(registry);
    const h = controllableHandler();
    const queue = queueWith(time, { handler: h.handler, metrics: metrics.queue('oauthclient') });
    queue.add('a');
    queue.add('b');
    queue.add('b');
    await settle();
    expect(await value(registry, 'workqueue_depth')).toBe(1);
    await time.advance(2000);
    h.calls[0]?.finish(); // a: success after 2 s
    await settle();
    await time.advance(500);
    h.calls[1]?.fail(new Error('boom')); // b: waited 2 s, error after 0.5 s
    await settle();
    await time.advance(5);
    h.calls[2]?.finish({ requeueAfterMs: 1000 });
    await settle();
    await time.advance(1000);
    h.calls[3]?.finish({ requeue: true });
    await settle();
    await queue.shutdown();

    const labels = { name: 'oauthclient', controller: 'oauthclient' };
    expect(await value(registry, 'workqueue_adds_total', labels)).toBe(4);
    expect(await value(registry, 'workqueue_retries_total', labels)).toBe(2);
    expect(await value(registry, 'workqueue_depth', labels)).toBe(0);
    expect(await value(registry, 'workqueue_queue_duration_seconds_count', labels)).toBe(4);
    expect(await value(registry, 'workqueue_queue_duration_seconds_sum', labels)).toBeCloseTo(2, 6);
    expect(await value(registry, 'workqueue_work_duration_seconds_sum', labels)).toBeCloseTo(2.5, 6);
    const c = { controller: 'oauthclient' };
    expect(await value(registry, 'controller_runtime_reconcile_total', { ...c, result: 'success' })).toBe(1);
    expect(await value(registry, 'controller_runtime_reconcile_total', { ...c, result: 'error' })).toBe(1);
    expect(await value(registry, 'controller_runtime_reconcile_total', { ...c, result: 'requeue' })).toBe(1);
    expect(
      await value(registry, 'controller_runtime_reconcile_total', { ...c, result: 'requeue_after' }),
    ).toBe(1);
    expect(await value(registry, 'controller_runtime_reconcile_errors_total', c)).toBe(1);
    expect(await value(registry, 'controller_runtime_reconcile_time_seconds_count', c)).toBe(4);
    expect(await value(registry, 'controller_runtime_reconcile_time_seconds_sum', c)).toBeCloseTo(2.5, 6);

    const leader = metrics.leaderElection('latchkey-operator');
    expect(await value(registry, 'leader_election_master_status', { name: 'latchkey-operator' })).toBe(0);
    leader.leading(true);
    expect(await value(registry, 'leader_election_master_status', { name: 'latchkey-operator' })).toBe(1);
    expect(registry.getSingleMetric('workqueue_unfinished_work_seconds')).toBeUndefined();
  });

  it('starts every series of a controller at zero, so a controller that never failed still reports', async () => {
    const registry = new Registry();
    createControllerMetrics(registry).queue('role');
    const text = await registry.metrics();
    expect(text).toContain('controller_runtime_reconcile_total{controller="role",result="error"} 0');
    expect(text).toContain('controller_runtime_reconcile_errors_total{controller="role"} 0');
    expect(text).toContain('workqueue_retries_total{name="role",controller="role"} 0');
  });

  it('refuses a concurrency that is not a positive integer', () => {
    for (const concurrency of [0, -1, 1.5, Number.NaN]) {
      expect(() => createWorkQueue({ name: 'x', handler: () => Promise.resolve(), concurrency })).toThrow(
        RangeError,
      );
    }
  });
});

/** One sample's value by metric (or sample) name and labels. */
async function value(registry: Registry, name: string, labels: Record<string, string> = {}): Promise<number> {
  const base = name.replace(/_(sum|count|bucket)$/, '');
  const metric = (await registry.getMetricsAsJSON()).find((m) => m.name === base);
  if (!metric) throw new Error(`no metric ${base}`);
  const values = (metric as unknown as { values: { metricName?: string; value: number; labels: object }[] })
    .values;
  const sample = values.find(
    (v) =>
      (v.metricName ?? base) === name &&
      Object.entries(labels).every(([k, val]) => (v.labels as Record<string, unknown>)[k] === val),
  );
  if (!sample) throw new Error(`no sample ${name} ${JSON.stringify(labels)}`);
  return sample.value;
}

describe('afterReconcile', () => {
  it.each<[ReconcileResult, ReturnType<typeof afterReconcile>]>([
    [undefined, { outcome: 'success' }],
    [{}, { outcome: 'success' }],
    [{ requeue: false }, { outcome: 'success' }],
    [{ requeueAfterMs: 0 }, { outcome: 'success' }],
    [{ requeueAfterMs: -5 }, { outcome: 'success' }],
    [{ requeueAfterMs: Number.NaN }, { outcome: 'success' }],
    [{ requeue: true }, { outcome: 'requeue' }],
    [{ requeue: true, requeueAfterMs: 0 }, { outcome: 'requeue' }],
    [{ requeueAfterMs: 250 }, { outcome: 'requeue_after', afterMs: 250 }],
    [
      { requeue: true, requeueAfterMs: 250 },
      { outcome: 'requeue_after', afterMs: 250 },
    ],
  ])('after a handler returned %o: %o', (result, expected) => {
    expect(afterReconcile(result)).toEqual(expected);
  });
});
