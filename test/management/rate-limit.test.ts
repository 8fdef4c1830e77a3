import { describe, expect, it } from 'vitest';
import {
  CallerRateLimiter,
  DEFAULT_MANAGEMENT_RATE_LIMIT,
  decideRate,
  managementRateLimitOption,
} from '../../src/management/rate-limit.ts';

const T = 1_800_000_000_000;

describe('decideRate: a fixed window of a minute per caller', () => {
  it.each<[string, Parameters<typeof decideRate>, Partial<ReturnType<typeof decideRate>>]>([
    [
      'the first request opens a window',
      [undefined, T, 3],
      {
        allowed: true,
        window: { startMs: T, count: 1 },
        remaining: 2,
        resetS: (T + 60_000) / 1000,
        retryAfterS: 60,
      },
    ],
    [
      'the last one the limit allows',
      [{ startMs: T, count: 2 }, T + 59_999, 3],
      { allowed: true, window: { startMs: T, count: 3 }, remaining: 0 },
    ],
    [
      'one more is refused and not counted',
      [{ startMs: T, count: 3 }, T + 59_999, 3],
      {
        allowed: false,
        window: { startMs: T, count: 3 },
        remaining: 0,
        resetS: (T + 60_000) / 1000,
        retryAfterS: 1,
      },
    ],
    [
      'the window ends at its minute',
      [{ startMs: T, count: 3 }, T + 60_000, 3],
      { allowed: true, window: { startMs: T + 60_000, count: 1 }, remaining: 2 },
    ],
    ['reset rounds up to a whole second', [undefined, T + 1, 3], { resetS: Math.ceil((T + 60_001) / 1000) }],
  ])('%s', (_, args, expected) => {
    expect(decideRate(...args)).toMatchObject({ limit: args[2], ...expected });
  });
});

describe('CallerRateLimiter', () => {
  it('counts each caller on its own', () => {
    const limiter = new CallerRateLimiter(2);
    expect([1, 2, 3].map(() => limiter.take('a', T).allowed)).toEqual([true, true, false]);
    expect(limiter.take('b', T).allowed).toBe(true);
    expect(limiter.take('a', T + 60_000).allowed).toBe(true);
  });
});

describe('--management-rate-limit', () => {
  it('defaults to 300 a minute and takes a whole number from 1', () => {
    expect(managementRateLimitOption({})).toBe(DEFAULT_MANAGEMENT_RATE_LIMIT);
    expect(managementRateLimitOption({ 'management-rate-limit': '5' })).toBe(5);
    expect(() => managementRateLimitOption({ 'management-rate-limit': '0' })).toThrow(
      '--management-rate-limit',
    );
  });
});
