import { describe, expect, it } from 'vitest';
import {
  jwksMaxAgeSeconds,
  keySetAt,
  keyStatuses,
  longestTokenLifetime,
  nextKeyChange,
  tokenIssuingApis,
  type KeyRecord,
} from '../../src/keys/lifecycle.ts';
import { rec } from './fake-keys.ts';

const T = Date.parse('2026-03-01T00:00:00Z');
const H = 3_600_000;
const SKEW = 300_000;

const states = (keys: KeyRecord[], now: number) =>
  Object.fromEntries(keyStatuses(keys, now, SKEW).map((s) => [s.record.key.kid, s.state]));

describe('key states derived from stored times and a clock', () => {
  const old = rec('RS256', 'old', T - 30 * 24 * H);
  const next = rec('RS256', 'new', T + 24 * H, T);
  const keys = [old, next];

  it.each([
    ['before the next key is published', [old], T - H, { old: 'active' }],
    ['while the next key is pre-published', keys, T + H, { old: 'active', new: 'next' }],
    ['the instant the next key activates', keys, T + 24 * H, { old: 'retired', new: 'active' }],
    [
      'until its tokens and the clock skew have passed',
      keys,
      T + 24 * H + 300_000 + SKEW - 1,
      { old: 'retired', new: 'active' },
    ],
    ['after that', keys, T + 24 * H + 300_000 + SKEW, { old: 'expired', new: 'active' }],
  ])('%s', (_when, ring, now, expected) => {
    expect(states(ring, now)).toEqual(expected);
  });

  it('keeps one active key per algorithm, each on its own schedule', () => {
    const es = rec('ES256', 'es-old', T - 2 * H);
    const esNext = rec('ES256', 'es-new', T + 2 * H - 60_000, T);
    expect(states([old, next, es, esNext, rec('EdDSA', 'ed', 0)], T + 2 * H)).toEqual({
      old: 'active',
      new: 'next',
      'es-old': 'retired',
      'es-new': 'active',
      ed: 'active',
    });
  });

  it('lets the earliest key sign when no key has activated yet, as a clock behind the writer sees a first start', () => {
    expect(states([rec('RS256', 'first', T + 10)], T)).toEqual({ first: 'active' });
  });

  it('publishes next, active and retired keys and signs with the active one', () => {
    const set = keySetAt(keys, T + 24 * H + 60_000, { prePublishMs: 24 * H, clockSkewMs: SKEW });
    expect(set.active.get('RS256')?.kid).toBe('new');
    expect(set.published.map((k) => k.kid)).toEqual(['old', 'new']);
    expect(set.maxAgeSeconds).toBe(300);
    expect(
      keySetAt(keys, T + 26 * H, { prePublishMs: 24 * H, clockSkewMs: SKEW }).published.map((k) => k.kid),
    ).toEqual(['new']);
  });

  it('names the next moment the key set changes: an activation, then a removal', () => {
    expect(nextKeyChange(keys, T, SKEW)).toBe(T + 24 * H);
    expect(nextKeyChange(keys, T + 24 * H, SKEW)).toBe(T + 24 * H + 300_000 + SKEW);
    expect(nextKeyChange(keys, T + 25 * H, SKEW)).toBeUndefined();
  });

  it.each([
    [24 * H, 300],
    [H, 300],
    [10 * 60_000, 60],
    [10_000, 1],
    [3_000, 0],
  ])(
    'caches the JWKS for a tenth of a %d ms pre-publish period, at most 5 minutes: %d s',
    (prePublish, maxAge) => {
      expect(jwksMaxAgeSeconds(prePublish)).toBe(maxAge);
    },
  );
});

describe('the Ed25519 key under both its JWS names (RFC 9864 §2)', () => {
  const old = rec('EdDSA', 'ed-old', T - 30 * 24 * H);
  const next = rec('EdDSA', 'ed-new', T + 24 * H, T);
  const timing = { prePublishMs: 24 * H, clockSkewMs: SKEW };
  const inForce = (ring: KeyRecord[], now: number) => {
    const set = keySetAt(ring, now, timing);
    return {
      signs: { EdDSA: set.active.get('EdDSA')?.kid, Ed25519: set.active.get('Ed25519')?.kid },
      published: set.published.map((k) => `${k.kid} ${k.alg}`),
    };
  };

  it.each([
    [
      'with one key',
      [old],
      T - H,
      { EdDSA: 'ed-old', Ed25519: 'ed-old.ed25519' },
      ['ed-old EdDSA', 'ed-old.ed25519 Ed25519'],
    ],
    [
      'while the next key is pre-published',
      [old, next],
      T + H,
      { EdDSA: 'ed-old', Ed25519: 'ed-old.ed25519' },
      ['ed-old EdDSA', 'ed-old.ed25519 Ed25519', 'ed-new EdDSA', 'ed-new.ed25519 Ed25519'],
    ],
    [
      'once the next key signs, the retired one still published',
      [old, next],
      T + 24 * H,
      { EdDSA: 'ed-new', Ed25519: 'ed-new.ed25519' },
      ['ed-old EdDSA', 'ed-old.ed25519 Ed25519', 'ed-new EdDSA', 'ed-new.ed25519 Ed25519'],
    ],
    [
      'after the retired key expired',
      [old, next],
      T + 24 * H + 300_000 + SKEW,
      { EdDSA: 'ed-new', Ed25519: 'ed-new.ed25519' },
      ['ed-new EdDSA', 'ed-new.ed25519 Ed25519'],
    ],
  ])('%s: signs and publishes each key under both names together', (_when, ring, now, signs, published) => {
    expect(inForce(ring, now)).toEqual({ signs, published });
  });

  it('signs Ed25519 with the very key that signs EdDSA, named by the derived kid', () => {
    const set = keySetAt([old], T, timing);
    const eddsa = set.active.get('EdDSA');
    const ed25519 = set.active.get('Ed25519');
    expect(ed25519?.privateKey).toBe(eddsa?.privateKey);
    expect(ed25519?.publicJwk).toEqual({ ...eddsa?.publicJwk, kid: 'ed-old.ed25519', alg: 'Ed25519' });
    // The same object on every recomputation, so what is cached per key (the signed header) stays cached.
    expect(keySetAt([old], T + H, timing).active.get('Ed25519')).toBe(ed25519);
  });

  it('derives nothing from RS256 and ES256 keys', () => {
    const set = keySetAt([rec('RS256', 'rs', T), rec('ES256', 'es', T)], T, timing);
    expect(set.published.map((k) => k.kid)).toEqual(['rs', 'es']);
    expect([...set.active.keys()]).toEqual(['RS256', 'ES256']);
  });
});

describe('tokenIssuingApis: whose tokens a retired key outlives', () => {
  const api = (identifier: string, lifetimeSeconds: number, builtIn = false) => ({
    identifier,
    lifetimeSeconds,
    ...(builtIn ? { builtIn: true } : {}),
  });
  const apis = new Map([
    ['https://orders', api('https://orders', 20)],
    ['https://auth/api/v1', api('https://auth/api/v1', 300, true)],
  ]);
  const client = (...granted: string[]) => ({ permissions: new Map(granted.map((g) => [g, {}])) });

  it.each<[string, ReturnType<typeof client>[], number]>([
    ['the built-in management API counts only while a client is granted it', [client('https://orders')], 20],
    ['…and then it does', [client('https://orders'), client('https://auth/api/v1')], 300],
    ['declared APIs count granted or not', [], 20],
  ])('%s', (_, clients, longest) => {
    const snapshot = { apis, clients: new Map(clients.map((c, i) => [String(i), c])) };
    expect(longestTokenLifetime(tokenIssuingApis(snapshot))).toBe(longest);
  });
});
