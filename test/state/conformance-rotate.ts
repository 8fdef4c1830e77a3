/**
 * `rotate` in the shared conformance suite (conformance.ts): compareAndSwap and the successor's creation as one
 * atomic step, on every backend.
 */
import { describe, expect, it } from 'vitest';
import type { RecordKind, RuntimeState } from '../../src/state/runtime-state.ts';

const NOW = 1_750_000_000_000;
const LATER = NOW + 60_000;
const RT: RecordKind = 'refresh_token';

const successor = (key: string, gen: number) => ({
  key,
  record: { value: { gen }, owner: 'family', expiresAtMs: LATER + gen },
});

export function describeRotate(ctx: { readonly state: RuntimeState }): void {
  describe('rotate', () => {
    it('swaps the record at the expected version and creates the successor, together', async () => {
      await ctx.state.insert(RT, 'rt-1', { value: { gen: 1 }, owner: 'family', expiresAtMs: LATER }, NOW);
      const next = { value: { gen: 1, rotated: true }, owner: 'family', expiresAtMs: LATER };
      expect(await ctx.state.rotate(RT, 'rt-1', 1, next, successor('rt-2', 2), NOW)).toBe(2);
      expect(await ctx.state.get(RT, 'rt-1', NOW)).toEqual({ ...next, version: 2 });
      expect(await ctx.state.get(RT, 'rt-2', NOW)).toEqual({
        value: { gen: 2 },
        owner: 'family',
        expiresAtMs: LATER + 2,
        version: 1,
      });
      expect(await ctx.state.countByOwner(RT, 'family', NOW)).toBe(2);
    });

    it('writes nothing when the record is absent, expired or at another version', async () => {
      await ctx.state.insert(RT, 'rt-1', { value: { gen: 1 }, expiresAtMs: LATER }, NOW);
      const next = { value: { gen: 9 }, expiresAtMs: LATER };
      expect(await ctx.state.rotate(RT, 'absent', 1, next, successor('s-absent', 2), NOW)).toBeUndefined();
      expect(await ctx.state.rotate(RT, 'rt-1', 2, next, successor('s-version', 2), NOW)).toBeUndefined();
      expect(await ctx.state.rotate(RT, 'rt-1', 1, next, successor('s-expired', 2), LATER)).toBeUndefined();
      for (const key of ['s-absent', 's-version', 's-expired']) {
        expect(await ctx.state.get(RT, key, NOW)).toBeUndefined();
      }
      expect(await ctx.state.get(RT, 'rt-1', NOW)).toMatchObject({ value: { gen: 1 }, version: 1 });
    });

    it('lets exactly one of 30 concurrent rotations from one version win, with one successor', async () => {
      await ctx.state.insert(RT, 'rt-1', { value: { gen: 1 }, owner: 'family', expiresAtMs: LATER }, NOW);
      const got = await Promise.all(
        Array.from({ length: 30 }, (_, i) =>
          ctx.state.rotate<object>(
            RT,
            'rt-1',
            1,
            { value: { winner: i }, owner: 'family', expiresAtMs: LATER },
            successor(`s-${i}`, i),
            NOW,
          ),
        ),
      );
      expect(got.filter((v) => v !== undefined)).toEqual([2]);
      const winner = got.findIndex((v) => v !== undefined);
      expect(await ctx.state.get(RT, 'rt-1', NOW)).toMatchObject({ value: { winner }, version: 2 });
      expect(await ctx.state.countByOwner(RT, 'family', NOW)).toBe(2);
      expect(await ctx.state.get(RT, `s-${winner}`, NOW)).toMatchObject({ value: { gen: winner } });
    });

    it('creates a successor of another kind when it names one: a code redeemed and the refresh token it starts', async () => {
      const CODE: RecordKind = 'authorization_code';
      await ctx.state.insert(CODE, 'code-1', { value: { redeemed: false }, expiresAtMs: LATER }, NOW);
      const redeemed = { value: { redeemed: true }, expiresAtMs: LATER };
      const first = {
        kind: RT,
        key: 'code-1',
        record: { value: { gen: 1 }, owner: 'family', expiresAtMs: LATER },
      };
      expect(await ctx.state.rotate(CODE, 'code-1', 1, redeemed, first, NOW)).toBe(2);
      expect(await ctx.state.get(CODE, 'code-1', NOW)).toMatchObject({
        value: { redeemed: true },
        version: 2,
      });
      // Same key, other kind: a row of its own, since the kind is part of the digest.
      expect(await ctx.state.get(RT, 'code-1', NOW)).toMatchObject({ value: { gen: 1 }, owner: 'family' });
      expect(
        await ctx.state.rotate(CODE, 'code-1', 1, redeemed, { ...first, key: 'rt-late' }, NOW),
      ).toBeUndefined();
      expect(await ctx.state.get(RT, 'rt-late', NOW)).toBeUndefined();
    });

    it('refuses a successor key that any record holds, expired or not, and leaves the swap undone', async () => {
      await ctx.state.insert(RT, 'rt-1', { value: { gen: 1 }, expiresAtMs: LATER }, NOW);
      await ctx.state.insert(RT, 'held', { value: 'live', expiresAtMs: LATER }, NOW);
      await ctx.state.insert(RT, 'stale', { value: 'expired', expiresAtMs: NOW - 1 }, NOW - 2);
      const next = { value: { gen: 1, rotated: true }, expiresAtMs: LATER };
      for (const key of ['held', 'stale']) {
        await expect(ctx.state.rotate(RT, 'rt-1', 1, next, successor(key, 2), NOW)).rejects.toThrow();
        expect(await ctx.state.get(RT, 'rt-1', NOW)).toMatchObject({ value: { gen: 1 }, version: 1 });
      }
      expect(await ctx.state.get(RT, 'held', NOW)).toMatchObject({ value: 'live' });
    });
  });
}
