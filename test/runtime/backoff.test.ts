import { describe, expect, it } from 'vitest';
import { backoffDelay } from '../../src/runtime/backoff.ts';

describe('backoffDelay', () => {
  const options = { initialMs: 200, maxMs: 30_000 };

  it('doubles from the initial delay when jitter draws nothing', () => {
    expect([0, 1, 2, 3, 4].map((a) => backoffDelay(a, options, () => 0))).toEqual([
      200, 400, 800, 1600, 3200,
    ]);
  });

  it('never exceeds the cap, even for huge attempt numbers', () => {
    for (const attempt of [8, 20, 1000, Number.MAX_SAFE_INTEGER]) {
      expect(backoffDelay(attempt, options, () => 0)).toBe(30_000);
    }
  });

  it('shortens a delay by at most the jitter fraction', () => {
    for (const r of [0, 0.25, 0.5, 0.999999]) {
      const d = backoffDelay(3, options, () => r);
      expect(d).toBeGreaterThan(1600 / 2);
      expect(d).toBeLessThanOrEqual(1600);
    }
    expect(backoffDelay(3, { ...options, jitter: 0 }, () => 0.9)).toBe(1600);
  });

  it('treats a negative attempt as the first', () => {
    expect(backoffDelay(-3, options, () => 0)).toBe(200);
  });
});
