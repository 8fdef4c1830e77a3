import { describe, expect, it } from 'vitest';
import { MemoryReplayCache } from '../../src/runtime/replay-cache.ts';

const T = 1_900_000_000_000;

describe('MemoryReplayCache', () => {
  it('accepts an identifier once until it expires, then again', () => {
    const cache = new MemoryReplayCache();
    expect(cache.remember('c j1', T + 1000, T)).toBe('fresh');
    expect(cache.remember('c j1', T + 1000, T + 999)).toBe('replayed');
    expect(cache.remember('c j2', T + 1000, T)).toBe('fresh');
    expect(cache.remember('c j1', T + 5000, T + 1000)).toBe('fresh');
    expect(cache.remember('c j1', T + 5000, T + 1001)).toBe('replayed');
  });

  it('refuses new identifiers when full of live ones, rather than forgetting one', () => {
    const cache = new MemoryReplayCache(2);
    expect(cache.remember('a', T + 1000, T)).toBe('fresh');
    expect(cache.remember('b', T + 2000, T)).toBe('fresh');
    expect(cache.remember('c', T + 1000, T)).toBe('full');
    expect(cache.remember('a', T + 1000, T)).toBe('replayed');
    expect(cache.size).toBe(2);
  });

  it('makes room by sweeping expired identifiers once one has expired', () => {
    const cache = new MemoryReplayCache(2);
    cache.remember('a', T + 1000, T);
    cache.remember('b', T + 2000, T);
    expect(cache.remember('c', T + 3000, T + 1000)).toBe('fresh');
    expect(cache.size).toBe(2);
    expect(cache.remember('b', T + 2000, T + 1000)).toBe('replayed');
    expect(cache.remember('d', T + 3000, T + 1500)).toBe('full');
  });

  it('refuses a size that is not a positive integer', () => {
    for (const bad of [0, -1, 1.5, NaN]) expect(() => new MemoryReplayCache(bad)).toThrow(RangeError);
  });
});
