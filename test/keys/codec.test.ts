import { describe, expect, it } from 'vitest';
import { decodeKeys, encodeKeys, KeyStoreCorruptError } from '../../src/keys/codec.ts';
import { generateSigningKeys } from '../../src/keys/generate.ts';

describe('signing key codec', () => {
  it('round-trips every algorithm with the same kid', async () => {
    const keys = await generateSigningKeys();
    const back = decodeKeys(encodeKeys(keys), 'test');
    expect(back.map((k) => [k.alg, k.kid])).toEqual(keys.map((k) => [k.alg, k.kid]));
    expect(back.map((k) => k.publicJwk)).toEqual(keys.map((k) => k.publicJwk));
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
    expect(() => decodeKeys(text, 'where')).toThrow(new KeyStoreCorruptError(message));
  });

  it('refuses a key set whose kid does not match its key, or that lacks an algorithm', async () => {
    const keys = await generateSigningKeys();
    const stored = JSON.parse(encodeKeys(keys)) as { keys: { kid: string }[] };
    (stored.keys[0] as { kid: string }).kid = 'tampered';
    expect(() => decodeKeys(JSON.stringify(stored), 'w')).toThrow('w: keys[0].kid does not match its key');
    expect(() => decodeKeys(encodeKeys(keys.slice(1)), 'w')).toThrow('w: no key for RS256');
  });
});
