import { describe, expect, it } from 'vitest';
import { LogRateLimit, REFUSAL_LINES_PER_KEY, REFUSAL_LINES_TOTAL } from '../src/log-rate-limit.ts';

function limiter(options: Partial<ConstructorParameters<typeof LogRateLimit>[0]> = {}) {
  const clock = { ms: 1_000_000 };
  const limit = new LogRateLimit({ now: () => clock.ms, ...options });
  return { clock, limit };
}

describe('LogRateLimit', () => {
  it('writes a burst of five lines per key, then one every 12 s', () => {
    expect(REFUSAL_LINES_PER_KEY).toEqual({ burst: 5, perMinute: 5 });
    const { clock, limit } = limiter();
    const first = Array.from({ length: 8 }, () => limit.admit('k'));
    expect(first).toEqual([0, 0, 0, 0, 0, undefined, undefined, undefined]);
    clock.ms += 11_999;
    expect(limit.admit('k')).toBeUndefined();
    clock.ms += 1;
    // The line written says how many were left out since the last one: three, then the one just above.
    expect(limit.admit('k')).toBe(4);
    expect(limit.admit('k')).toBeUndefined();
  });

  it('keeps keys apart', () => {
    const { limit } = limiter();
    for (let i = 0; i < 10; i++) limit.admit('a');
    expect(limit.admit('b')).toBe(0);
  });

  it('fills up again to the burst, not beyond, after a quiet hour', () => {
    const { clock, limit } = limiter();
    for (let i = 0; i < 5; i++) limit.admit('k');
    clock.ms += 3_600_000;
    const again = Array.from({ length: 7 }, () => limit.admit('k'));
    expect(again).toEqual([0, 0, 0, 0, 0, undefined, undefined]);
  });

  it('writes at most 50 lines at once and 100 a minute across all keys', () => {
    expect(REFUSAL_LINES_TOTAL).toEqual({ burst: 50, perMinute: 100 });
    const { clock, limit } = limiter();
    let written = 0;
    for (let i = 0; i < 1000; i++) if (limit.admit(`client-${i}`) !== undefined) written++;
    expect(written).toBe(50);
    clock.ms += 60_000;
    written = 0;
    for (let i = 1000; i < 2000; i++) if (limit.admit(`client-${i}`) !== undefined) written++;
    expect(written).toBe(50);
  });

  it('counts a line a full total limit left out against its own key', () => {
    const { clock, limit } = limiter({ total: { burst: 1, perMinute: 1 } });
    expect(limit.admit('a')).toBe(0);
    expect(limit.admit('b')).toBeUndefined();
    clock.ms += 60_000;
    expect(limit.admit('b')).toBe(1);
  });

  it('remembers a bounded number of keys, forgetting the least recently used', () => {
    const { limit } = limiter({ maxKeys: 3, total: { burst: 1e9, perMinute: 1e9 } });
    for (const k of ['a', 'b', 'c']) for (let i = 0; i < 6; i++) limit.admit(k);
    limit.admit('a');
    limit.admit('d');
    expect(limit.size).toBe(3);
    // b was forgotten (with its count): it starts afresh; a was kept (used since) and is still limited.
    expect(limit.admit('b')).toBe(0);
    expect(limit.admit('a')).toBeUndefined();
  });

  it('gives no lines back when the clock steps back', () => {
    const { clock, limit } = limiter();
    for (let i = 0; i < 5; i++) limit.admit('k');
    clock.ms -= 3_600_000;
    expect(limit.admit('k')).toBeUndefined();
    clock.ms += 3_600_000;
    expect(limit.admit('k')).toBeUndefined();
  });
});
