import { describe, expect, it } from 'vitest';
import {
  GLOBAL_SWEEP_INTERVAL_MS,
  MemoryReplayCache,
  PARTITION_SWEEP_INTERVAL_MS,
} from '../../src/runtime/replay-cache.ts';

const T = 1_900_000_000_000;
const MINUTE = 60_000;

/** A client `name` of namespace `ns`, as the verifier passes a CompiledClient. */
const c = (name: string, ns = 'default') => ({ clientId: `${name}.${ns}`, namespace: ns });

describe('MemoryReplayCache', () => {
  it('accepts an identifier once until it expires, then again', () => {
    const cache = new MemoryReplayCache();
    expect(cache.remember(c('c'), 'j1', T + 1000, T)).toBe('fresh');
    expect(cache.remember(c('c'), 'j1', T + 1000, T + 999)).toBe('replayed');
    expect(cache.remember(c('c'), 'j2', T + 1000, T)).toBe('fresh');
    expect(cache.remember(c('c'), 'j1', T + 5000, T + 1000)).toBe('fresh');
    expect(cache.remember(c('c'), 'j1', T + 5000, T + 1001)).toBe('replayed');
  });

  it('keeps the identifiers of each client apart: the same jti of two clients is two entries', () => {
    const cache = new MemoryReplayCache();
    expect(cache.remember(c('a'), 'j', T + 1000, T)).toBe('fresh');
    expect(cache.remember(c('b'), 'j', T + 1000, T)).toBe('fresh');
    expect(cache.remember(c('a'), 'j', T + 1000, T)).toBe('replayed');
  });

  it('tells apart client ids and identifiers that would join to the same text', () => {
    const cache = new MemoryReplayCache();
    expect(cache.remember(c('a b'), 'c', T + 1000, T)).toBe('fresh');
    expect(cache.remember(c('a'), 'b c', T + 1000, T)).toBe('fresh');
  });

  it('tells apart long identifiers kept as digests, and a short one that looks like a digest', () => {
    const cache = new MemoryReplayCache();
    const long = 'x'.repeat(200);
    expect(cache.remember(c('a'), long, T + 1000, T)).toBe('fresh');
    expect(cache.remember(c('a'), `${long}y`, T + 1000, T)).toBe('fresh');
    expect(cache.remember(c('a'), long, T + 1000, T)).toBe('replayed');
    expect(cache.size).toBe(2);
  });

  it("refuses a client's new identifiers at the per-client ceiling, rather than forgetting one", () => {
    const cache = new MemoryReplayCache({ capacity: 100, perClientCeiling: 2 });
    expect(cache.remember(c('a'), 'j1', T + 1000, T)).toBe('fresh');
    expect(cache.remember(c('a'), 'j2', T + 2000, T)).toBe('fresh');
    expect(cache.remember(c('a'), 'j3', T + 1000, T)).toBe('client-ceiling');
    expect(cache.remember(c('a'), 'j1', T + 1000, T)).toBe('replayed');
    expect(cache.size).toBe(2);
  });

  it('accepts every fresh identifier below capacity, one busy client included', () => {
    const cache = new MemoryReplayCache({ capacity: 1000, perClientCeiling: 1000 });
    for (let i = 0; i < 999; i++) expect(cache.remember(c('busy'), `j${i}`, T + MINUTE, T)).toBe('fresh');
    expect(cache.size).toBe(999);
  });

  it('at capacity refuses a client at its fair share and accepts a light one (issue 9, item 1)', () => {
    const cache = new MemoryReplayCache({ capacity: 100, perClientCeiling: 100 });
    for (let i = 0; i < 90; i++) cache.remember(c('heavy'), `h${i}`, T + MINUTE, T);
    for (let i = 0; i < 10; i++) cache.remember(c('light'), `l${i}`, T + MINUTE, T);
    expect(cache.remember(c('heavy'), 'h90', T + MINUTE, T)).toBe('client-share');
    for (let i = 10; i < 15; i++) expect(cache.remember(c('light'), `l${i}`, T + MINUTE, T)).toBe('fresh');
    expect(cache.remember(c('newcomer'), 'n', T + MINUTE, T)).toBe('fresh');
  });

  it("keeps a light namespace's share whole however many clients another namespace creates", () => {
    const cache = new MemoryReplayCache({ capacity: 1000, perClientCeiling: 1000 });
    for (let i = 0; i < 1000; i++) cache.remember(c(`bot${i}`, 'attacker'), 'j', T + MINUTE, T);
    // Its share is half the cache, not one part in 1001; up to 250 fit below the hard ceiling at once.
    for (let i = 0; i < 200; i++) {
      expect(cache.remember(c('app', 'victim'), `v${i}`, T + MINUTE, T), `v${i}`).toBe('fresh');
    }
    expect(cache.remember(c('bot-new', 'attacker'), 'j', T + MINUTE, T)).toBe('namespace-share');
  });

  it('leaves a namespace that comes late the room up to the hard ceiling, 1.25 times the capacity', () => {
    const cache = new MemoryReplayCache({ capacity: 100, perClientCeiling: 25 });
    // One namespace fills the cache with many clients before anyone else sends, then passes it by a tenth.
    let early = 0;
    for (let i = 0; i < 200; i++)
      if (cache.remember(c(`bot${i}`, 'early'), 'j', T + MINUTE, T) === 'fresh') early++;
    expect(early).toBe(110);
    for (let i = 0; i < 15; i++)
      expect(cache.remember(c('app', 'late'), `l${i}`, T + MINUTE, T)).toBe('fresh');
    expect(cache.remember(c('app', 'late'), 'l15', T + MINUTE, T)).toBe('hard-ceiling');
    expect(cache.size).toBe(125);
  });

  it("makes room in a client's share by sweeping its expired identifiers once one has expired", () => {
    const cache = new MemoryReplayCache({ capacity: 100, perClientCeiling: 2 });
    cache.remember(c('a'), 'j1', T + 1000, T);
    cache.remember(c('a'), 'j2', T + 2000, T);
    expect(cache.remember(c('a'), 'j3', T + 3000, T + 1000)).toBe('fresh');
    expect(cache.size).toBe(2);
    expect(cache.remember(c('a'), 'j2', T + 2000, T + 1000)).toBe('replayed');
    expect(cache.remember(c('a'), 'j4', T + 3000, T + 1500)).toBe('client-ceiling');
  });

  it('at capacity sweeps every expired entry, at most once a second, so expiry frees room for all', () => {
    const cache = new MemoryReplayCache({ capacity: 10, perClientCeiling: 10 });
    for (let i = 0; i < 10; i++) cache.remember(c(`old${i}`, `ns${i}`), 'j', T + 1000, T);
    expect(cache.remember(c('old0', 'ns0'), 'k', T + MINUTE, T + 500)).toBe('namespace-share');
    expect(cache.remember(c('old0', 'ns0'), 'k', T + MINUTE, T + 1000)).toBe('fresh');
    expect(cache.size).toBe(1);
    expect(cache.clients).toBe(1);
  });

  it('sweeps all clients at most once per interval', () => {
    const cache = new MemoryReplayCache({ capacity: 4, perClientCeiling: 4 });
    for (let i = 0; i < 4; i++) cache.remember(c(`a${i}`, `ns${i}`), 'j', T + 10, T);
    cache.remember(c('a0', 'ns0'), 'k', T + MINUTE, T + 10); // swept: 1 entry left
    for (let i = 1; i < 4; i++) cache.remember(c(`b${i}`, `ns${i}`), 'j', T + 20, T + 10);
    expect(cache.size).toBe(4);
    // Expired now, but the last sweep was less than a second ago (and x has nothing of its own to sweep).
    expect(cache.remember(c('x', 'ns1'), 'k', T + MINUTE, T + 30)).toBe('namespace-share');
    expect(cache.size).toBe(4);
    expect(cache.remember(c('x', 'ns1'), 'k', T + MINUTE, T + 10 + GLOBAL_SWEEP_INTERVAL_MS)).toBe('fresh');
    expect(cache.size).toBe(2);
  });

  it('forgets the share of a client that stopped sending once all its entries expired', () => {
    const cache = new MemoryReplayCache();
    cache.remember(c('gone'), 'j1', T + 1000, T);
    cache.remember(c('gone'), 'j2', T + 2000, T);
    expect(cache.clients).toBe(1);
    const later = T + PARTITION_SWEEP_INTERVAL_MS;
    cache.remember(c('other'), 'j', later + MINUTE, later);
    expect(cache.clients).toBe(1);
    expect(cache.size).toBe(1);
  });

  it('refuses limits that are not positive integers, and a per-client ceiling above the capacity', () => {
    for (const bad of [0, -1, 1.5, NaN]) {
      expect(() => new MemoryReplayCache({ perClientCeiling: bad })).toThrow(RangeError);
      expect(() => new MemoryReplayCache({ capacity: bad })).toThrow(RangeError);
    }
    expect(() => new MemoryReplayCache({ capacity: 10, perClientCeiling: 11 })).toThrow(RangeError);
  });
});
