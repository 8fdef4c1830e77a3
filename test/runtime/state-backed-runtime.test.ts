import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import {
  OWNER_COUNT_EVERY,
  ownerCheck,
  RECOUNT_BELOW_HALF_AFTER_MS,
  RECOUNT_FULL_AFTER_MS,
  StateReplayCache,
} from '../../src/runtime/state-replay-cache.ts';
import { RevocationLimitReached } from '../../src/runtime/revocation-store.ts';
import { StateRevocationStore } from '../../src/runtime/state-revocation-store.ts';
import { openEmbeddedState, type EmbeddedState } from '../../src/state/embedded/embedded-state.ts';

const T = 1_750_000_000_000;
const owner = (clientId: string) => ({ clientId, namespace: 'ns' });

let state: EmbeddedState;
beforeEach(async () => {
  state = await openEmbeddedState({ path: ':memory:' });
});
afterEach(() => state.close());

describe('StateReplayCache', () => {
  it('accepts a jti once per client until it expires, and bounds each client by its ceiling', async () => {
    const cache = new StateReplayCache(state, 2);
    expect(await cache.remember(owner('a'), 'j1', T + 1000, T)).toBe('fresh');
    expect(await cache.remember(owner('a'), 'j1', T + 1000, T + 999)).toBe('replayed');
    // Another client's identical jti is its own.
    expect(await cache.remember(owner('b'), 'j1', T + 1000, T)).toBe('fresh');
    expect(await cache.remember(owner('a'), 'j2', T + 1000, T)).toBe('fresh');
    expect(await cache.remember(owner('a'), 'j3', T + 1000, T)).toBe('client-ceiling');
    // Expired: the jti may come again, and the ceiling has room.
    expect(await cache.remember(owner('a'), 'j1', T + 5000, T + 1000)).toBe('fresh');
  });

  it('cannot be spliced: a client id and jti never name another pair', async () => {
    const cache = new StateReplayCache(state);
    expect(await cache.remember(owner('a","b'), 'c', T + 1000, T)).toBe('fresh');
    expect(await cache.remember(owner('a'), 'b","c', T + 1000, T)).toBe('fresh');
  });
});

describe('StateRevocationStore', () => {
  it('revokes once until the token expires, and refuses a client past its limit', async () => {
    const store = new StateRevocationStore(state, 2);
    expect(await store.revoke('t1', T + 1000, T, 'a')).toBe(true);
    expect(await store.revoke('t1', T + 1000, T, 'a')).toBe(false);
    expect(await store.isRevoked('t1', T + 999)).toBe(true);
    expect(await store.isRevoked('t1', T + 1000)).toBe(false);
    expect(await store.revoke('expired', T, T, 'a')).toBe(false);
    expect(await store.revoke('t2', T + 1000, T, 'a')).toBe(true);
    await expect(store.revoke('t3', T + 1000, T, 'a')).rejects.toBeInstanceOf(RevocationLimitReached);
    expect(await store.revoke('t3', T + 1000, T, 'b')).toBe(true);
  });
});

describe('ownerCheck', () => {
  const at = T;
  const long = at - RECOUNT_BELOW_HALF_AFTER_MS;
  const just = at - RECOUNT_BELOW_HALF_AFTER_MS + 1;
  it.each([
    ['a fresh count', { lastHeld: 0, since: 0, countedAtMs: at }, 'insert'],
    ['below the count step', { lastHeld: 0, since: OWNER_COUNT_EVERY - 1, countedAtMs: long }, 'insert'],
    [
      'a count step below half, counted just now',
      { lastHeld: 0, since: OWNER_COUNT_EVERY, countedAtMs: just },
      'insert',
    ],
    [
      'a count step below half, counted a while ago',
      { lastHeld: 0, since: OWNER_COUNT_EVERY, countedAtMs: long },
      'count',
    ],
    [
      'a count step at half',
      { lastHeld: 500 - OWNER_COUNT_EVERY, since: OWNER_COUNT_EVERY, countedAtMs: at },
      'count',
    ],
    ['near the ceiling, within the count step', { lastHeld: 996, since: 3, countedAtMs: at }, 'insert'],
    ['at the ceiling', { lastHeld: 997, since: 3, countedAtMs: at }, 'full'],
    [
      'at the ceiling, counted just before the recount',
      { lastHeld: 1000, since: 0, countedAtMs: at - RECOUNT_FULL_AFTER_MS + 1 },
      'full',
    ],
    [
      'at the ceiling, time to recount',
      { lastHeld: 1000, since: 0, countedAtMs: at - RECOUNT_FULL_AFTER_MS },
      'count',
    ],
    ['never counted', { lastHeld: 0, since: OWNER_COUNT_EVERY, countedAtMs: -Infinity }, 'count'],
  ] as const)('%s (ceiling 1000): %s', (_name, client, expected) => {
    expect(ownerCheck(client, 1000, at)).toBe(expected);
  });
});

describe('StateReplayCache on a busy client', () => {
  it('counts a busy client a few times, never per insert, and refuses it past its ceiling', async () => {
    let counts = 0;
    const counting = new Proxy(state, {
      get(target, prop, receiver) {
        if (prop === 'countByOwner') {
          return (...args: Parameters<EmbeddedState['countByOwner']>) => {
            counts += 1;
            return target.countByOwner(...args);
          };
        }
        const value = Reflect.get(target, prop, receiver) as unknown;
        return typeof value === 'function' ? (value as (...a: unknown[]) => unknown).bind(target) : value;
      },
    });
    const ceiling = 3 * OWNER_COUNT_EVERY;
    const cache = new StateReplayCache(counting, ceiling);
    const verdicts: string[] = [];
    for (let i = 0; i < ceiling + 10; i++)
      verdicts.push(await cache.remember(owner('busy'), `j${i}`, T + 60_000, T));
    expect(verdicts.slice(0, ceiling).every((v) => v === 'fresh')).toBe(true);
    expect(verdicts.slice(ceiling)).toEqual(Array(10).fill('client-ceiling'));
    // Counted when first seen, then (within one second, so only from half the ceiling on) after each
    // OWNER_COUNT_EVERY fresh ids: at 384 and 640. Three counts for 778 requests.
    expect(counts).toBe(3);
    // Refused without counting again until RECOUNT_FULL_AFTER_MS has passed; then its expired ids make room.
    expect(await cache.remember(owner('busy'), 'late', T + 120_000, T + 60_000)).toBe('fresh');
    expect(counts).toBe(4);
  });
});
