import { describe, expect, it } from 'vitest';
import { decodeKeyRing, encodeKeyRing, KeyStoreCorruptError } from '../../src/keys/codec.ts';
import { generateSigningKeys } from '../../src/keys/generate.ts';
import type { KeyRing } from '../../src/keys/lifecycle.ts';

const T = Date.parse('2026-03-01T00:00:00Z');

async function ring(): Promise<KeyRing> {
  const keys = await generateSigningKeys();
  return {
    keys: keys.map((key, i) => ({
      key,
      createdAt: T - i,
      activatesAt: T + i,
      tokenLifetimeSeconds: 300 + i,
    })),
    handled: { rotate: '1', revoke: 'abc' },
  };
}

describe('signing key codec', () => {
  it('round-trips every algorithm with the same kid, its times and the handled requests', async () => {
    const before = await ring();
    const text = encodeKeyRing(before);
    const back = decodeKeyRing(text, 'test');
    expect(
      back.keys.map((r) => [r.key.alg, r.key.kid, r.createdAt, r.activatesAt, r.tokenLifetimeSeconds]),
    ).toEqual(
      before.keys.map((r) => [r.key.alg, r.key.kid, r.createdAt, r.activatesAt, r.tokenLifetimeSeconds]),
    );
    expect(back.keys.map((r) => r.key.publicJwk)).toEqual(before.keys.map((r) => r.key.publicJwk));
    expect(back.handled).toEqual({ rotate: '1', revoke: 'abc' });
    expect(JSON.parse(text)).toMatchObject({
      version: 2,
      keys: [
        { alg: 'RS256', createdAt: '2026-03-01T00:00:00.000Z', activatesAt: '2026-03-01T00:00:00.000Z' },
        {},
        {},
      ],
    });
  });

  it('reads keys stored before rotation as active since ever, their token lifetime yet to be recorded', async () => {
    const before = await ring();
    const v1 = JSON.parse(encodeKeyRing(before)) as { version: number; keys: Record<string, unknown>[] };
    v1.version = 1;
    for (const k of v1.keys) {
      delete k['createdAt'];
      delete k['activatesAt'];
      delete k['tokenLifetimeSeconds'];
    }
    const back = decodeKeyRing(JSON.stringify({ version: 1, keys: v1.keys }), 'v1');
    expect(back.keys.map((r) => [r.createdAt, r.activatesAt, r.tokenLifetimeSeconds])).toEqual([
      [0, 0, 0],
      [0, 0, 0],
      [0, 0, 0],
    ]);
    expect(back.handled).toEqual({});
  });

  it.each([
    ['a missing key', undefined, 'where: key keys.json is missing'],
    ['text that is not JSON', '{nope', 'where: keys.json is not JSON'],
    ['an empty key list', '{"keys":[]}', 'where: keys.json holds no keys'],
    [
      'an unknown algorithm',
      '{"keys":[{"alg":"HS256"}]}',
      'where: keys[0].alg HS256 is not one of RS256, ES256, EdDSA',
    ],
    [
      'a broken private key',
      '{"keys":[{"alg":"RS256","kid":"x","privateJwk":{"kty":"RSA"}}]}',
      'where: keys[0] is not a valid private key',
    ],
  ])('refuses %s loudly instead of making new keys', (_what, text, message) => {
    expect(() => decodeKeyRing(text, 'where')).toThrow(new KeyStoreCorruptError(message));
  });

  it('refuses a key set whose kid does not match its key, whose times are not times, or that lacks an algorithm', async () => {
    const good = await ring();
    const tamper = (edit: (k: Record<string, unknown>) => void) => {
      const stored = JSON.parse(encodeKeyRing(good)) as { keys: Record<string, unknown>[] };
      edit(stored.keys[0] as Record<string, unknown>);
      return JSON.stringify(stored);
    };
    expect(() =>
      decodeKeyRing(
        tamper((k) => (k['kid'] = 'tampered')),
        'w',
      ),
    ).toThrow('w: keys[0].kid does not match its key');
    expect(() =>
      decodeKeyRing(
        tamper((k) => (k['activatesAt'] = 'soon')),
        'w',
      ),
    ).toThrow('w: keys[0].activatesAt "soon" is not a time');
    expect(() =>
      decodeKeyRing(
        tamper((k) => (k['tokenLifetimeSeconds'] = '5m')),
        'w',
      ),
    ).toThrow('w: keys[0].tokenLifetimeSeconds is not a number of seconds');
    expect(() => decodeKeyRing(encodeKeyRing({ ...good, keys: good.keys.slice(1) }), 'w')).toThrow(
      'w: no key for RS256',
    );
  });
});
