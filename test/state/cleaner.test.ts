import { Registry } from 'prom-client';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import {
  cleanOnce,
  nextAfterBatch,
  startCleaner,
  type CleanerDeps,
  type CleanerEvent,
  type CleanerOptions,
} from '../../src/state/cleaner.ts';
import { openEmbeddedState, type EmbeddedState } from '../../src/state/embedded/embedded-state.ts';
import { registerStateMetrics } from '../../src/state/state-metrics.ts';
import { RECORD_KINDS } from '../../src/state/runtime-state.ts';
import type { Timers } from '../../src/timers.ts';

const NOW = 1_750_000_000_000;
const OPTIONS: CleanerOptions = { intervalMs: 60_000, batch: 100, maxBatchesPerRun: 100, pauseMs: 5 };

/** Timers that fire only when the test says so, recording what was asked. */
class ManualTimers implements Timers {
  readonly pending = new Map<number, { callback: () => void; ms: number }>();
  #next = 0;
  setTimeout(callback: () => void, ms: number): unknown {
    this.pending.set(++this.#next, { callback, ms });
    return this.#next;
  }
  clearTimeout(handle: unknown): void {
    this.pending.delete(handle as number);
  }
  /** Fires every pending timer, oldest first; returns the delays they asked for. */
  fireAll(): number[] {
    const due = [...this.pending];
    this.pending.clear();
    for (const [, timer] of due) timer.callback();
    return due.map(([, t]) => t.ms);
  }
}

const immediateTimers: Timers = {
  setTimeout: (callback) => setImmediate(callback),
  clearTimeout: (handle) => clearImmediate(handle as NodeJS.Immediate),
};

async function fill(
  state: EmbeddedState,
  kind: 'assertion_jti' | 'revoked_token',
  n: number,
  expiresAtMs: number,
) {
  for (let i = 0; i < n; i++) {
    await state.insert(
      kind,
      `${kind}-${expiresAtMs}-${i}`,
      { value: i, owner: 'c', expiresAtMs },
      NOW - 10_000,
    );
  }
}

describe('nextAfterBatch', () => {
  const base = { deleted: 100, batch: 100, batches: 1, maxBatchesPerRun: 3, aborted: false };
  it.each([
    ['a full batch below the limit goes on', {}, 'continue'],
    ['a short batch means caught up', { deleted: 99 }, 'caught-up'],
    ['an empty batch means caught up', { deleted: 0 }, 'caught-up'],
    ['a full batch at the limit leaves a backlog', { batches: 3 }, 'backlog'],
    ['a short batch at the limit is still caught up', { batches: 3, deleted: 5 }, 'caught-up'],
    ['a stop request wins over everything', { aborted: true, batches: 3 }, 'stopped'],
  ] as const)('%s', (_name, change, expected) => {
    expect(nextAfterBatch({ ...base, ...change })).toBe(expected);
  });
});

describe('cleanOnce', () => {
  let state: EmbeddedState;
  let deps: CleanerDeps;
  beforeEach(async () => {
    state = await openEmbeddedState({ path: ':memory:' });
    deps = { state, clock: () => NOW, timers: immediateTimers, onEvent: () => {} };
  });
  afterEach(() => state.close());

  it('deletes every expired record in batches, stops on the short batch, and keeps live ones', async () => {
    await fill(state, 'assertion_jti', 180, NOW - 1);
    await fill(state, 'revoked_token', 70, NOW);
    await fill(state, 'revoked_token', 5, NOW + 1);
    const event = await cleanOnce(deps, OPTIONS, new AbortController().signal);
    expect(event).toMatchObject({
      type: 'cleaned',
      removed: { assertion_jti: 180, revoked_token: 70 },
      batches: 3,
      stoppedBy: 'caught-up',
    });
    const none = Object.fromEntries(RECORD_KINDS.map((kind) => [kind, 0]));
    expect(Object.fromEntries(await state.counts())).toEqual({ ...none, revoked_token: 5 });
  });

  it('stops at maxBatchesPerRun and says a backlog is left', async () => {
    await fill(state, 'assertion_jti', 250, NOW - 1);
    const event = await cleanOnce(deps, { ...OPTIONS, maxBatchesPerRun: 2 }, new AbortController().signal);
    expect(event).toMatchObject({ type: 'cleaned', removed: { assertion_jti: 200 }, stoppedBy: 'backlog' });
  });

  it('does nothing and says skipped when another replica leads the cleaning', async () => {
    await fill(state, 'assertion_jti', 10, NOW - 1);
    const notLeader = Object.assign(Object.create(state) as EmbeddedState, {
      tryLeadCleaning: async () => false,
    });
    expect(await cleanOnce({ ...deps, state: notLeader }, OPTIONS, new AbortController().signal)).toEqual({
      type: 'skipped',
    });
    expect((await state.counts()).get('assertion_jti')).toBe(10);
  });

  it('reports a backend that cannot answer as failed, without throwing', async () => {
    await state.close();
    expect(await cleanOnce(deps, OPTIONS, new AbortController().signal)).toEqual({
      type: 'failed',
      message: 'the embedded runtime state is closed',
    });
  });
});

describe('startCleaner', () => {
  it('runs after each interval, reports each run, and stops for good', async () => {
    const state = await openEmbeddedState({ path: ':memory:' });
    const timers = new ManualTimers();
    const events: CleanerEvent[] = [];
    let now = NOW;
    const cleaner = startCleaner(
      { state, clock: () => now, timers, onEvent: (e) => events.push(e) },
      OPTIONS,
    );
    await fill(state, 'assertion_jti', 3, NOW + 1000);
    expect(events).toEqual([]);
    now = NOW + 1000;
    expect(timers.fireAll()).toEqual([60_000]);
    await until(() => events.length === 1);
    expect(events[0]).toMatchObject({ type: 'cleaned', removed: { assertion_jti: 3 }, batches: 1 });
    expect([...timers.pending.values()].map((t) => t.ms)).toEqual([60_000]);
    await cleaner.stop();
    expect(timers.pending.size).toBe(0);
    expect(events).toHaveLength(1);
    await state.close();
  });
});

describe('registerStateMetrics', () => {
  it('reports records per kind at each scrape and what the cleaner removed', async () => {
    const state = await openEmbeddedState({ path: ':memory:' });
    await fill(state, 'assertion_jti', 2, NOW + 1);
    const registry = new Registry();
    const metrics = registerStateMetrics(registry, state);
    metrics.observeCleaner({
      type: 'cleaned',
      removed: { assertion_jti: 7, revoked_token: 1 },
      batches: 1,
      stoppedBy: 'caught-up',
      durationMs: 3,
    });
    metrics.observeCleaner({ type: 'skipped' });
    const text = await registry.metrics();
    expect(text).toContain('latchkey_state_records{kind="assertion_jti",backend="embedded"} 2');
    expect(text).toContain('latchkey_state_records{kind="revoked_token",backend="embedded"} 0');
    expect(text).toContain('latchkey_state_cleaner_removed_total{kind="assertion_jti"} 7');
    expect(text).toContain('latchkey_state_cleaner_runs_total{outcome="caught-up"} 1');
    expect(text).toContain('latchkey_state_cleaner_runs_total{outcome="skipped"} 1');
    await state.close();
  });
});

async function until(condition: () => boolean): Promise<void> {
  for (let i = 0; i < 1000 && !condition(); i++) await new Promise((r) => setImmediate(r));
  expect(condition()).toBe(true);
}
