import { describe, expect, it } from 'vitest';
import { DEFAULT_MAX_REVOCATIONS, MemoryRevocationStore } from '../../src/runtime/memory-revocation-store.ts';

const T0 = 1_900_000_000_000;

/** A store on a clock the test moves, recording what the cap drops. */
function storeAt(maxEntries?: number) {
  const clock = { now: T0 };
  const evicted: { expiresAtMs: number; nowMs: number }[] = [];
  const store = new MemoryRevocationStore({
    now: () => clock.now,
    ...(maxEntries === undefined ? {} : { maxEntries }),
    onEvict: (e) => evicted.push(e),
  });
  return { store, clock, evicted };
}

describe('MemoryRevocationStore', () => {
  it('reports a revoked token as revoked until its exp, and never after', () => {
    const { store } = storeAt();
    store.revoke('jti-a', T0 + 300_000);
    expect(store.isRevoked('jti-a', T0)).toBe(true);
    expect(store.isRevoked('jti-a', T0 + 299_999)).toBe(true);
    expect(store.isRevoked('jti-a', T0 + 300_000)).toBe(false);
    expect(store.isRevoked('jti-b', T0)).toBe(false);
  });

  it('drops entries once their token has expired, in expiry order whatever the order of revocation', () => {
    const { store, clock } = storeAt();
    store.revoke('late', T0 + 3_600_000);
    store.revoke('soon', T0 + 60_000);
    store.revoke('middle', T0 + 300_000);
    expect(store.size()).toBe(3);
    clock.now = T0 + 60_000;
    expect(store.size()).toBe(2);
    clock.now = T0 + 299_999;
    expect(store.size()).toBe(2);
    clock.now = T0 + 300_000;
    expect(store.size()).toBe(1);
    expect(store.isRevoked('late', clock.now)).toBe(true);
    clock.now = T0 + 3_600_000;
    expect(store.size()).toBe(0);
  });

  it('does not remember a token that has already expired', () => {
    const { store } = storeAt();
    store.revoke('gone', T0);
    store.revoke('long-gone', T0 - 1);
    store.revoke('nan', Number.NaN);
    expect(store.size()).toBe(0);
  });

  it('keeps one entry per jti when a token is revoked twice', () => {
    const { store } = storeAt();
    store.revoke('twice', T0 + 1000);
    store.revoke('twice', T0 + 1000);
    expect(store.size()).toBe(1);
  });

  it('treats __proto__ and other odd ids as plain ids', () => {
    const { store } = storeAt();
    for (const jti of ['__proto__', 'constructor', '', 'x'.repeat(10_000)]) store.revoke(jti, T0 + 1000);
    expect(store.size()).toBe(4);
    expect(store.isRevoked('__proto__', T0)).toBe(true);
    expect(store.isRevoked('toString', T0)).toBe(false);
  });

  it('at the cap drops the entry whose token expires first, and reports it', () => {
    const { store, evicted } = storeAt(3);
    store.revoke('a', T0 + 30_000);
    store.revoke('b', T0 + 10_000);
    store.revoke('c', T0 + 20_000);
    store.revoke('d', T0 + 40_000);
    expect(store.size()).toBe(3);
    expect(store.isRevoked('b', T0)).toBe(false);
    expect(['a', 'c', 'd'].map((j) => store.isRevoked(j, T0))).toEqual([true, true, true]);
    expect(evicted).toEqual([{ expiresAtMs: T0 + 10_000, nowMs: T0 }]);
  });

  it('at the cap drops the new revocation itself when its token expires before all the others', () => {
    const { store, evicted } = storeAt(2);
    store.revoke('a', T0 + 30_000);
    store.revoke('b', T0 + 20_000);
    store.revoke('c', T0 + 5_000);
    expect(store.isRevoked('c', T0)).toBe(false);
    expect(store.size()).toBe(2);
    expect(evicted).toEqual([{ expiresAtMs: T0 + 5_000, nowMs: T0 }]);
  });

  it('makes room from expired entries before it evicts anything', () => {
    const { store, clock, evicted } = storeAt(2);
    store.revoke('a', T0 + 1_000);
    store.revoke('b', T0 + 2_000);
    clock.now = T0 + 1_000;
    store.revoke('c', T0 + 5_000);
    expect(evicted).toEqual([]);
    expect(['a', 'b', 'c'].map((j) => store.isRevoked(j, clock.now))).toEqual([false, true, true]);
  });

  it('stays a valid heap under many revocations in random order', () => {
    const { store, clock } = storeAt(500);
    const expiries: number[] = [];
    let seed = 7;
    const random = () => (seed = (seed * 1_103_515_245 + 12_345) % 2 ** 31) / 2 ** 31;
    for (let i = 0; i < 2_000; i++) {
      const exp = T0 + 1 + Math.floor(random() * 100_000);
      expiries.push(exp);
      store.revoke(`j${i}`, exp);
    }
    // The 500 latest expiries survive the cap; then each step of the clock drops exactly those passed.
    const kept = [...expiries].sort((a, b) => b - a).slice(0, 500);
    expect(store.size()).toBe(500);
    for (const t of [T0 + 50_000, T0 + 90_000, T0 + 99_000, T0 + 100_001]) {
      clock.now = t;
      expect(store.size()).toBe(kept.filter((e) => e > t).length);
    }
  });

  it('has a default cap and refuses a cap that is not a positive integer', () => {
    expect(DEFAULT_MAX_REVOCATIONS).toBe(100_000);
    for (const maxEntries of [0, -1, 1.5, Number.NaN]) {
      expect(() => new MemoryRevocationStore({ now: () => T0, maxEntries })).toThrow(RangeError);
    }
  });
});
