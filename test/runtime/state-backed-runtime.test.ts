import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { OWNER_COUNT_EVERY, ownerCheck, StateReplayCache } from '../../src/runtime/state-replay-cache.ts';
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
  it.each([
    [{ lastHeld: 0, since: 0 }, 'none'],
    [{ lastHeld: 0, since: OWNER_COUNT_EVERY - 1 }, 'none'],
    [{ lastHeld: 0, since: OWNER_COUNT_EVERY }, 'count'],
    [{ lastHeld: 496, since: 3 }, 'none'],
    [{ lastHeld: 497, since: 3 }, 'exact'],
    [{ lastHeld: 500, since: 0 }, 'exact'],
    [{ lastHeld: 5000, since: OWNER_COUNT_EVERY }, 'count'],
  ])('%j with a ceiling of 1000: %s', (client, expected) => {
    expect(ownerCheck(client, 1000)).toBe(expected);
  });
});
