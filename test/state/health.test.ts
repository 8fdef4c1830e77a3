import { describe, expect, it } from 'vitest';
import {
  nextHealth,
  observedState,
  StateHealth,
  type StateHealthEvent,
  type StateHealthStatus,
} from '../../src/state/health.ts';
import { openEmbeddedState } from '../../src/state/embedded/embedded-state.ts';
import { StateUnavailableError } from '../../src/state/runtime-state.ts';

const UP: StateHealthStatus = { up: true };
const DOWN: StateHealthStatus = { up: false, sinceMs: 1000, message: 'connect ECONNREFUSED' };

describe('nextHealth', () => {
  const cases: Array<[string, StateHealthStatus, { ok: true } | { ok: false; message: string }, unknown]> = [
    ['up and an answer: nothing to say', UP, { ok: true }, { status: UP }],
    [
      'up and a failure: unavailable, once',
      UP,
      { ok: false, message: 'timeout' },
      {
        status: { up: false, sinceMs: 5000, message: 'timeout' },
        event: { type: 'unavailable', backend: 'postgres', message: 'timeout' },
      },
    ],
    [
      'down and another failure: the first message stays, no event',
      DOWN,
      { ok: false, message: 'other' },
      { status: DOWN },
    ],
    [
      'down and an answer: recovered, with how long it was down',
      DOWN,
      { ok: true },
      { status: UP, event: { type: 'recovered', backend: 'postgres', downMs: 4000 } },
    ],
  ];
  it.each(cases)('%s', (_name, current, observation, expected) => {
    expect(nextHealth(current, observation, 5000, 'postgres')).toEqual(expected);
  });
});

describe('observedState', () => {
  it('reports one event per transition however many operations fail, and passes other errors through', async () => {
    const inner = await openEmbeddedState({ path: ':memory:' });
    const events: StateHealthEvent[] = [];
    let now = 0;
    const health = new StateHealth(
      'embedded',
      () => now,
      (e) => events.push(e),
    );
    const state = observedState(inner, health);
    expect(await state.insert('assertion_jti', 'a', { value: 1, expiresAtMs: 10 }, 0)).toBe('created');
    await inner.close();
    for (let i = 0; i < 5; i++) {
      await expect(state.get('assertion_jti', 'a', 0)).rejects.toBeInstanceOf(StateUnavailableError);
    }
    expect(events).toEqual([
      { type: 'unavailable', backend: 'embedded', message: 'the embedded runtime state is closed' },
    ]);
    expect(health.status.up).toBe(false);
    now = 3000;
    health.observe({ ok: true });
    expect(events).toHaveLength(2);
    expect(events[1]).toEqual({ type: 'recovered', backend: 'embedded', downMs: 3000 });
  });
});
