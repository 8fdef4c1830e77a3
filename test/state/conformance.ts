/**
 * The one conformance suite every runtime-state backend passes (src/state/runtime-state.ts, issue 11). A
 * backend's test file calls {@link describeRuntimeStateConformance} with a way to open a fresh, empty state and
 * a way to read its raw storage, so the suite can prove keys are never stored in clear.
 */
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { RecordKind, RuntimeState } from '../../src/state/runtime-state.ts';
import { describeRotate } from './conformance-rotate.ts';

export interface ConformanceHooks {
  /**
   * Everything the backend persisted for `state`, as text (rows, and for a file the bytes of its files), the
   * way an attacker with a dump would read it.
   */
  rawDump(state: RuntimeState): Promise<string>;
}

const NOW = 1_750_000_000_000;
const LATER = NOW + 60_000;
const JTI: RecordKind = 'assertion_jti';
const REVOKED: RecordKind = 'revoked_token';

/** Registers the conformance tests for one backend; `open` must give an empty state each time. */
export function describeRuntimeStateConformance(
  name: string,
  open: () => Promise<RuntimeState>,
  hooks: ConformanceHooks,
): void {
  describe(`runtime state conformance: ${name}`, () => {
    let state: RuntimeState;
    beforeEach(async () => {
      state = await open();
    });
    afterEach(async () => {
      await state.close();
    });
    const ctx = {
      get state() {
        return state;
      },
      hooks,
    };
    describeInsert(ctx);
    describeExpiry(ctx);
    describeConsume(ctx);
    describeCompareAndSwap(ctx);
    describeRotate(ctx);
    describeOwners(ctx);
    describeDeleteExpired(ctx);
    describeAtRest(ctx);
  });
}

interface Ctx {
  readonly state: RuntimeState;
  readonly hooks: ConformanceHooks;
}

function describeInsert(ctx: Ctx): void {
  describe('insert and get', () => {
    it('creates a record once, then answers exists and leaves the first value', async () => {
      expect(await ctx.state.insert(JTI, 'k', { value: { n: 1 }, owner: 'c', expiresAtMs: LATER }, NOW)).toBe(
        'created',
      );
      expect(await ctx.state.insert(JTI, 'k', { value: { n: 2 }, expiresAtMs: LATER + 1 }, NOW)).toBe(
        'exists',
      );
      expect(await ctx.state.get(JTI, 'k', NOW)).toEqual({
        value: { n: 1 },
        owner: 'c',
        expiresAtMs: LATER,
        version: 1,
      });
    });

    it('answers undefined for a key never inserted', async () => {
      expect(await ctx.state.get(JTI, 'missing', NOW)).toBeUndefined();
    });

    it('keeps kinds apart: one key in two kinds is two records', async () => {
      await ctx.state.insert(JTI, 'same', { value: 'jti', expiresAtMs: LATER }, NOW);
      expect(await ctx.state.insert(REVOKED, 'same', { value: 'revoked', expiresAtMs: LATER }, NOW)).toBe(
        'created',
      );
      expect((await ctx.state.get(JTI, 'same', NOW))?.value).toBe('jti');
      expect((await ctx.state.get(REVOKED, 'same', NOW))?.value).toBe('revoked');
      await ctx.state.consume(JTI, 'same', NOW);
      expect((await ctx.state.get(REVOKED, 'same', NOW))?.value).toBe('revoked');
    });

    it('round-trips JSON values exactly, hostile strings and keys included', async () => {
      const value = {
        s: 'é\u0000"\'\\; DROP TABLE records; --',
        n: 1.5,
        neg: -0.25,
        b: false,
        z: null,
        a: [1, 'two', { three: [] }],
        ['__proto__']: { polluted: true },
        nested: { deep: { deeper: 'x'.repeat(10_000) } },
      };
      const hostileKeys = ['', '__proto__', "'; DROP TABLE records; --", 'k\u0000ey', '🔑'.repeat(300)];
      for (const key of hostileKeys) {
        expect(await ctx.state.insert(JTI, key, { value, expiresAtMs: LATER }, NOW)).toBe('created');
      }
      for (const key of hostileKeys) {
        const got = await ctx.state.get<typeof value>(JTI, key, NOW);
        expect(JSON.stringify(got?.value)).toBe(JSON.stringify(value));
      }
      for (const v of [0, 'plain', true, null, []]) {
        await ctx.state.insert(REVOKED, `v${JSON.stringify(v)}`, { value: v, expiresAtMs: LATER }, NOW);
        expect((await ctx.state.get(REVOKED, `v${JSON.stringify(v)}`, NOW))?.value).toEqual(v);
      }
    });

    it('refuses with full when the owner holds ownerLimit unexpired records, counting only unexpired ones', async () => {
      await ctx.state.insert(JTI, 'old', { value: 0, owner: 'c', expiresAtMs: NOW + 10 }, NOW);
      await ctx.state.insert(JTI, 'a', { value: 1, owner: 'c', expiresAtMs: LATER }, NOW);
      await ctx.state.insert(JTI, 'other', { value: 1, owner: 'd', expiresAtMs: LATER }, NOW);
      await ctx.state.insert(REVOKED, 'r', { value: 1, owner: 'c', expiresAtMs: LATER }, NOW);
      const at = NOW + 10; // 'old' has expired
      expect(
        await ctx.state.insert(JTI, 'b', { value: 2, owner: 'c', expiresAtMs: LATER }, at, { ownerLimit: 2 }),
      ).toBe('created');
      expect(
        await ctx.state.insert(JTI, 'c', { value: 3, owner: 'c', expiresAtMs: LATER }, at, { ownerLimit: 2 }),
      ).toBe('full');
      expect(await ctx.state.get(JTI, 'c', at)).toBeUndefined();
      expect(
        await ctx.state.insert(JTI, 'a', { value: 9, owner: 'c', expiresAtMs: LATER }, at, { ownerLimit: 2 }),
      ).toBe('exists');
    });

    it('lets concurrent inserts with an ownerLimit create exactly the limit', async () => {
      const results = await Promise.all(
        Array.from({ length: 20 }, (_, i) =>
          ctx.state.insert(JTI, `k${i}`, { value: i, owner: 'c', expiresAtMs: LATER }, NOW, {
            ownerLimit: 5,
          }),
        ),
      );
      expect(results.filter((r) => r === 'created')).toHaveLength(5);
      expect(results.filter((r) => r === 'full')).toHaveLength(15);
      expect(await ctx.state.countByOwner(JTI, 'c', NOW)).toBe(5);
    });

    it('lets concurrent inserts of one key create it exactly once', async () => {
      const results = await Promise.all(
        Array.from({ length: 20 }, (_, i) =>
          ctx.state.insert(JTI, 'one', { value: i, expiresAtMs: LATER }, NOW),
        ),
      );
      expect(results.filter((r) => r === 'created')).toHaveLength(1);
    });

    it('answers each of 250 concurrent inserts for its own key: new, repeated, already there, other kind, expired', async () => {
      await ctx.state.insert(JTI, 'there', { value: 'old', expiresAtMs: LATER }, NOW);
      await ctx.state.insert(JTI, 'stale', { value: 'old', expiresAtMs: NOW - 1 }, NOW - 10);
      const keys = Array.from({ length: 240 }, (_, i) => `k${i % 200}`);
      const results = await Promise.all([
        ...keys.map((key) => ctx.state.insert(JTI, key, { value: key, expiresAtMs: LATER }, NOW)),
        ctx.state.insert(JTI, 'there', { value: 'new', expiresAtMs: LATER }, NOW),
        ctx.state.insert(REVOKED, 'there', { value: 'other kind', expiresAtMs: LATER }, NOW),
        ctx.state.insert(JTI, 'stale', { value: 'new', expiresAtMs: LATER }, NOW),
        ...Array.from({ length: 7 }, () =>
          ctx.state.insert(JTI, 'twice', { value: 't', expiresAtMs: LATER }, NOW),
        ),
      ]);
      // Each of the 200 keys is created by exactly one of its calls. Which call of a repeated key wins is not
      // promised: on PostgreSQL the calls go in groups over several connections, and a later group can commit first.
      for (let i = 0; i < 200; i += 1) {
        const calls = i < 40 ? [results[i], results[200 + i]] : [results[i]];
        expect(
          calls.filter((r) => r === 'created'),
          `k${i}`,
        ).toHaveLength(1);
        expect(
          calls.filter((r) => r === 'exists'),
          `k${i}`,
        ).toHaveLength(calls.length - 1);
      }
      expect(results.slice(240, 243)).toEqual(['exists', 'created', 'created']);
      expect(results.slice(243).filter((r) => r === 'created')).toHaveLength(1);
      expect((await ctx.state.get(JTI, 'there', NOW))?.value).toBe('old');
      expect((await ctx.state.get(REVOKED, 'there', NOW))?.value).toBe('other kind');
      expect((await ctx.state.get(JTI, 'stale', NOW))?.value).toBe('new');
      expect((await ctx.state.get(JTI, 'k199', NOW))?.value).toBe('k199');
    });
  });
}

function describeExpiry(ctx: Ctx): void {
  describe('expiry', () => {
    it('makes a record absent from its expiresAtMs on, for every operation, before any cleaning', async () => {
      const expiresAtMs = NOW + 1000;
      await ctx.state.insert(JTI, 'k', { value: 1, owner: 'c', expiresAtMs }, NOW);
      expect((await ctx.state.get(JTI, 'k', expiresAtMs - 1))?.value).toBe(1);
      expect(await ctx.state.get(JTI, 'k', expiresAtMs)).toBeUndefined();
      expect(await ctx.state.consume(JTI, 'k', expiresAtMs)).toBeUndefined();
      expect(
        await ctx.state.compareAndSwap(JTI, 'k', 1, { value: 2, expiresAtMs: LATER }, expiresAtMs),
      ).toBeUndefined();
      expect(await ctx.state.listByOwner(JTI, 'c', expiresAtMs, 10)).toEqual([]);
      expect(await ctx.state.countByOwner(JTI, 'c', expiresAtMs)).toBe(0);
      expect(
        await ctx.state.insert(JTI, 'k', { value: 3, owner: 'c', expiresAtMs: LATER }, expiresAtMs),
      ).toBe('created');
      expect(await ctx.state.get(JTI, 'k', expiresAtMs)).toEqual({
        value: 3,
        owner: 'c',
        expiresAtMs: LATER,
        version: 1,
      });
    });

    it('consumes a record up to the millisecond before it expires', async () => {
      await ctx.state.insert(JTI, 'k', { value: 1, expiresAtMs: NOW + 5 }, NOW);
      expect((await ctx.state.consume(JTI, 'k', NOW + 4))?.value).toBe(1);
      expect(await ctx.state.consume(JTI, 'k', NOW + 4)).toBeUndefined();
    });
  });
}

function describeConsume(ctx: Ctx): void {
  describe('consume', () => {
    it('hands the record over once and removes it', async () => {
      await ctx.state.insert(REVOKED, 'code', { value: { sub: 'u' }, owner: 'c', expiresAtMs: LATER }, NOW);
      expect(await ctx.state.consume(REVOKED, 'code', NOW)).toEqual({
        value: { sub: 'u' },
        owner: 'c',
        expiresAtMs: LATER,
        version: 1,
      });
      expect(await ctx.state.consume(REVOKED, 'code', NOW)).toBeUndefined();
      expect(await ctx.state.get(REVOKED, 'code', NOW)).toBeUndefined();
    });

    it('gives the record to exactly one of 50 concurrent consumers', async () => {
      await ctx.state.insert(JTI, 'code', { value: 'once', expiresAtMs: LATER }, NOW);
      const got = await Promise.all(Array.from({ length: 50 }, () => ctx.state.consume(JTI, 'code', NOW)));
      expect(got.filter((r) => r !== undefined)).toEqual([
        { value: 'once', owner: undefined, expiresAtMs: LATER, version: 1 },
      ]);
    });
  });
}

function describeCompareAndSwap(ctx: Ctx): void {
  describe('compareAndSwap', () => {
    it('replaces the record at the expected version and grows the version by one', async () => {
      await ctx.state.insert(JTI, 'rt', { value: { gen: 1 }, owner: 'family', expiresAtMs: LATER }, NOW);
      expect(
        await ctx.state.compareAndSwap(
          JTI,
          'rt',
          1,
          { value: { gen: 2 }, owner: 'family', expiresAtMs: LATER + 5 },
          NOW,
        ),
      ).toBe(2);
      expect(await ctx.state.get(JTI, 'rt', NOW)).toEqual({
        value: { gen: 2 },
        owner: 'family',
        expiresAtMs: LATER + 5,
        version: 2,
      });
      expect(
        await ctx.state.compareAndSwap(JTI, 'rt', 1, { value: { gen: 3 }, expiresAtMs: LATER }, NOW),
      ).toBeUndefined();
      expect(
        await ctx.state.compareAndSwap(JTI, 'rt', 2, { value: { gen: 3 }, expiresAtMs: LATER }, NOW),
      ).toBe(3);
      expect(
        await ctx.state.compareAndSwap(JTI, 'absent', 1, { value: 0, expiresAtMs: LATER }, NOW),
      ).toBeUndefined();
      expect(await ctx.state.get(JTI, 'absent', NOW)).toBeUndefined();
    });

    it('lets exactly one of 50 concurrent swaps from one version win', async () => {
      await ctx.state.insert(JTI, 'rt', { value: 0, expiresAtMs: LATER }, NOW);
      const got = await Promise.all(
        Array.from({ length: 50 }, (_, i) =>
          ctx.state.compareAndSwap(JTI, 'rt', 1, { value: i + 1, expiresAtMs: LATER }, NOW),
        ),
      );
      expect(got.filter((v) => v !== undefined)).toEqual([2]);
      const winner = got.findIndex((v) => v !== undefined);
      expect(await ctx.state.get(JTI, 'rt', NOW)).toMatchObject({ value: winner + 1, version: 2 });
    });
  });
}

function describeOwners(ctx: Ctx): void {
  describe('by owner', () => {
    beforeEach(async () => {
      await ctx.state.insert(JTI, 'c3', { value: 3, owner: 'c', expiresAtMs: NOW + 3000 }, NOW);
      await ctx.state.insert(JTI, 'c1', { value: 1, owner: 'c', expiresAtMs: NOW + 1000 }, NOW);
      await ctx.state.insert(JTI, 'c2', { value: 2, owner: 'c', expiresAtMs: NOW + 2000 }, NOW);
      await ctx.state.insert(JTI, 'd1', { value: 10, owner: 'd', expiresAtMs: LATER }, NOW);
      await ctx.state.insert(JTI, 'none', { value: 20, expiresAtMs: LATER }, NOW);
      await ctx.state.insert(REVOKED, 'c9', { value: 9, owner: 'c', expiresAtMs: LATER }, NOW);
    });

    it('lists the owner’s unexpired records of the kind, soonest expiry first, at most limit', async () => {
      expect((await ctx.state.listByOwner(JTI, 'c', NOW, 10)).map((r) => r.value)).toEqual([1, 2, 3]);
      expect((await ctx.state.listByOwner(JTI, 'c', NOW, 2)).map((r) => r.value)).toEqual([1, 2]);
      expect((await ctx.state.listByOwner(JTI, 'c', NOW + 1000, 10)).map((r) => r.value)).toEqual([2, 3]);
      expect(await ctx.state.listByOwner(JTI, 'c', NOW, 10)).toContainEqual({
        value: 1,
        owner: 'c',
        expiresAtMs: NOW + 1000,
        version: 1,
      });
      expect(await ctx.state.listByOwner(JTI, 'nobody', NOW, 10)).toEqual([]);
    });

    it('counts the owner’s unexpired records of the kind', async () => {
      expect(await ctx.state.countByOwner(JTI, 'c', NOW)).toBe(3);
      expect(await ctx.state.countByOwner(JTI, 'c', NOW + 2000)).toBe(1);
      expect(await ctx.state.countByOwner(REVOKED, 'c', NOW)).toBe(1);
      expect(await ctx.state.countByOwner(JTI, 'd', NOW)).toBe(1);
    });

    it('deletes every record of the kind the owner holds, and nothing else', async () => {
      expect(await ctx.state.deleteByOwner(JTI, 'c')).toBe(3);
      expect(await ctx.state.countByOwner(JTI, 'c', NOW)).toBe(0);
      expect(await ctx.state.get(JTI, 'c1', NOW)).toBeUndefined();
      expect(await ctx.state.countByOwner(REVOKED, 'c', NOW)).toBe(1);
      expect(await ctx.state.countByOwner(JTI, 'd', NOW)).toBe(1);
      expect(await ctx.state.get(JTI, 'none', NOW)).toBeDefined();
      expect(await ctx.state.deleteByOwner(JTI, 'c')).toBe(0);
    });
  });
}

function describeDeleteExpired(ctx: Ctx): void {
  describe('deleteExpired', () => {
    it('deletes only expired records, at most batch per call, and says how many per kind', async () => {
      for (let i = 0; i < 5; i++) {
        await ctx.state.insert(JTI, `j${i}`, { value: i, owner: 'c', expiresAtMs: NOW + i }, NOW - 1);
      }
      for (let i = 0; i < 3; i++) {
        await ctx.state.insert(REVOKED, `r${i}`, { value: i, expiresAtMs: NOW - 100 + i }, NOW - 200);
      }
      await ctx.state.insert(JTI, 'live', { value: 'live', owner: 'c', expiresAtMs: LATER }, NOW);
      // At NOW + 2: j0, j1, j2 (expiresAtMs ≤ now) and r0..r2 have expired; j3, j4 and live have not.
      const first = await ctx.state.deleteExpired(NOW + 2, 4);
      expect(sum(first)).toBe(4);
      // Oldest first: the three revoked records expired before any jti.
      expect(first.get(REVOKED)).toBe(3);
      expect(first.get(JTI)).toBe(1);
      const second = await ctx.state.deleteExpired(NOW + 2, 4);
      expect(Object.fromEntries(second)).toEqual({ assertion_jti: 2 });
      expect(sum(await ctx.state.deleteExpired(NOW + 2, 4))).toBe(0);
      expect((await ctx.state.listByOwner(JTI, 'c', NOW + 2, 10)).map((r) => r.value)).toEqual([
        3,
        4,
        'live',
      ]);
      expect(sum(await ctx.state.counts())).toBe(3);
    });

    it('counts records per kind, expired or not', async () => {
      await ctx.state.insert(JTI, 'a', { value: 1, expiresAtMs: NOW + 1 }, NOW);
      await ctx.state.insert(JTI, 'b', { value: 1, expiresAtMs: LATER }, NOW);
      await ctx.state.insert(REVOKED, 'a', { value: 1, expiresAtMs: LATER }, NOW);
      const counts = await ctx.state.counts();
      expect(counts.get(JTI)).toBe(2);
      expect(counts.get(REVOKED)).toBe(1);
    });

    it('answers ping while open', async () => {
      await expect(ctx.state.ping()).resolves.toBeUndefined();
    });
  });
}

function describeAtRest(ctx: Ctx): void {
  describe('at rest', () => {
    it('never stores a key in clear: a raw dump holds neither the key nor its text in any encoding', async () => {
      const key = 'rt_SECRET_refresh_token_0123456789abcdef';
      const owner = 'client-visible-owner';
      await ctx.state.insert(REVOKED, key, { value: { family: 'f1' }, owner, expiresAtMs: LATER }, NOW);
      await ctx.state.compareAndSwap(
        REVOKED,
        key,
        1,
        { value: { family: 'f1', gen: 2 }, owner, expiresAtMs: LATER },
        NOW,
      );
      await ctx.state.insert(JTI, `${key}-consumed`, { value: 1, expiresAtMs: LATER }, NOW);
      await ctx.state.consume(JTI, `${key}-consumed`, NOW);
      const dump = await ctx.hooks.rawDump(ctx.state);
      // The dump is real: it shows what is not secret.
      expect(dump).toContain(owner);
      expect(dump).toContain('f1');
      for (const needle of [
        key,
        'SECRET_refresh',
        Buffer.from(key).toString('hex'),
        Buffer.from(key).toString('base64'),
      ]) {
        expect(dump).not.toContain(needle);
      }
    });
  });
}

function sum(counts: Map<RecordKind, number>): number {
  let total = 0;
  for (const n of counts.values()) total += n;
  return total;
}
