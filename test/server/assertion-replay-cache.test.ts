import { describe, expect, it } from 'vitest';
import { MemoryReplayCache, PARTITION_SWEEP_INTERVAL_MS } from '../../src/runtime/replay-cache.ts';

const T = 1_900_000_000_000;

describe('MemoryReplayCache', () => {
  it('accepts an identifier once until it expires, then again', () => {
    const cache = new MemoryReplayCache();
    expect(cache.remember('c', 'j1', T + 1000, T)).toBe('fresh');
    expect(cache.remember('c', 'j1', T + 1000, T + 999)).toBe('replayed');
    expect(cache.remember('c', 'j2', T + 1000, T)).toBe('fresh');
    expect(cache.remember('c', 'j1', T + 5000, T + 1000)).toBe('fresh');
    expect(cache.remember('c', 'j1', T + 5000, T + 1001)).toBe('replayed');
  });

  it('keeps the identifiers of each client apart: the same jti of two clients is two entries', () => {
    const cache = new MemoryReplayCache();
    expect(cache.remember('a', 'j', T + 1000, T)).toBe('fresh');
    expect(cache.remember('b', 'j', T + 1000, T)).toBe('fresh');
    expect(cache.remember('a', 'j', T + 1000, T)).toBe('replayed');
  });

  it('tells apart client ids and identifiers that would join to the same text', () => {
    const cache = new MemoryReplayCache();
    expect(cache.remember('a b', 'c', T + 1000, T)).toBe('fresh');
    expect(cache.remember('a', 'b c', T + 1000, T)).toBe('fresh');
  });

  it("refuses a client's new identifiers when its own share is full of live ones, rather than forgetting one", () => {
    const cache = new MemoryReplayCache({ perClientLimit: 2 });
    expect(cache.remember('a', 'j1', T + 1000, T)).toBe('fresh');
    expect(cache.remember('a', 'j2', T + 2000, T)).toBe('fresh');
    expect(cache.remember('a', 'j3', T + 1000, T)).toBe('full');
    expect(cache.remember('a', 'j1', T + 1000, T)).toBe('replayed');
    expect(cache.size).toBe(2);
  });

  it("never refuses a client because of another client's entries (issue 9, item 1)", () => {
    const cache = new MemoryReplayCache({ perClientLimit: 3 });
    for (let i = 0; i < 3; i++) expect(cache.remember('flooder', `f${i}`, T + 60_000, T)).toBe('fresh');
    expect(cache.remember('flooder', 'f3', T + 60_000, T)).toBe('full');
    for (const other of ['b', 'c', 'd']) {
      for (let i = 0; i < 3; i++) expect(cache.remember(other, `j${i}`, T + 60_000, T), other).toBe('fresh');
    }
    expect(cache.remember('flooder', 'f4', T + 60_000, T)).toBe('full');
  });

  it("makes room in a client's share by sweeping its expired identifiers once one has expired", () => {
    const cache = new MemoryReplayCache({ perClientLimit: 2 });
    cache.remember('a', 'j1', T + 1000, T);
    cache.remember('a', 'j2', T + 2000, T);
    expect(cache.remember('a', 'j3', T + 3000, T + 1000)).toBe('fresh');
    expect(cache.size).toBe(2);
    expect(cache.remember('a', 'j2', T + 2000, T + 1000)).toBe('replayed');
    expect(cache.remember('a', 'j4', T + 3000, T + 1500)).toBe('full');
  });

  it('forgets the share of a client that stopped sending once all its entries expired', () => {
    const cache = new MemoryReplayCache();
    cache.remember('gone', 'j1', T + 1000, T);
    cache.remember('gone', 'j2', T + 2000, T);
    expect(cache.clients).toBe(1);
    cache.remember('other', 'j', T + PARTITION_SWEEP_INTERVAL_MS + 60_000, T + PARTITION_SWEEP_INTERVAL_MS);
    expect(cache.clients).toBe(1);
    expect(cache.size).toBe(1);
  });

  it('refuses a share size that is not a positive integer', () => {
    for (const bad of [0, -1, 1.5, NaN]) {
      expect(() => new MemoryReplayCache({ perClientLimit: bad })).toThrow(RangeError);
    }
  });
});
