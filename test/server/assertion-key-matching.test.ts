import { generateKeyPairSync } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { matchingKeys } from '../../src/server/assertion/key-matching.ts';
import type { ClientKey } from '../../src/store/client-keys.ts';

// matchingKeys only reads kid, alg, kty and crv; one real public key stands in for every entry.
const key = generateKeyPairSync('ed25519').publicKey;
const rsa: ClientKey = { kid: 'rsa', kty: 'RSA', key };
const p256: ClientKey = { kid: 'p256', kty: 'EC', crv: 'P-256', key };
const p384: ClientKey = { kid: 'p384', kty: 'EC', crv: 'P-384', key };
const p521: ClientKey = { kid: 'p521', kty: 'EC', crv: 'P-521', key };
const ed25519: ClientKey = { kid: 'ed25519', kty: 'OKP', crv: 'Ed25519', key };
const ed448: ClientKey = { kid: 'ed448', kty: 'OKP', crv: 'Ed448', key };
const pinned: ClientKey = { kid: 'pinned', alg: 'PS256', kty: 'RSA', key };
const all = [rsa, p256, p384, p521, ed25519, ed448, pinned];

const kids = (keys: readonly ClientKey[]) => keys.map((k) => k.kid);

describe('matchingKeys: which key verifies which alg (RFC 7518 §3.1, RFC 8037 §3.1, RFC 9864 §2.2)', () => {
  it.each([
    ['RS256', ['rsa']],
    ['PS256', ['rsa', 'pinned']],
    ['ES256', ['p256']],
    ['ES384', ['p384']],
    ['ES512', ['p521']],
    ['EdDSA', ['ed25519', 'ed448']],
    ['Ed25519', ['ed25519']],
    ['HS256', []],
    ['none', []],
    ['__proto__', []],
    ['', []],
  ])('alg %j is verified by %j', (alg, expected) => {
    expect(kids(matchingKeys(all, alg, undefined))).toEqual(expected);
  });

  it('keeps only the key the header names by kid', () => {
    expect(kids(matchingKeys(all, 'ES256', 'p256'))).toEqual(['p256']);
    expect(kids(matchingKeys(all, 'ES256', 'p384'))).toEqual([]);
    expect(kids(matchingKeys(all, 'ES256', 'missing'))).toEqual([]);
  });

  it("never uses a key for another alg than the JWK's own alg", () => {
    expect(kids(matchingKeys([pinned], 'RS256', undefined))).toEqual([]);
    expect(kids(matchingKeys([pinned], 'PS256', 'pinned'))).toEqual(['pinned']);
  });
});
