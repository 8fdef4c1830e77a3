import { sign } from 'node:crypto';
import { beforeAll, describe, expect, it } from 'vitest';
import { SIGNING_ALGORITHMS } from '../../src/api/resource-server.ts';
import { generateSigningKeys, keySetOf } from '../../src/keys/generate.ts';
import type { SigningKey, SigningKeys } from '../../src/keys/signing-keys.ts';
import type { AccessTokenClaims } from '../../src/server/claims.ts';
import { signAccessToken } from '../../src/server/jwt-sign.ts';
import { checkAccessToken, MAX_CLOCK_SKEW_SECONDS } from '../../src/server/token-check.ts';

const ISSUER = 'https://auth.example.com';
const NOW_S = 1_900_000_000;
const NOW_MS = NOW_S * 1000;

let keys: SigningKeys;
let rs256: SigningKey;
let es256: SigningKey;
let eddsa: SigningKey;
/** A second key set that is never published. */
let strangers: SigningKeys;

beforeAll(async () => {
  [keys, strangers] = await Promise.all([
    generateSigningKeys().then(keySetOf),
    generateSigningKeys().then(keySetOf),
  ]);
  rs256 = keys.active.get('RS256') as SigningKey;
  es256 = keys.active.get('ES256') as SigningKey;
  eddsa = keys.active.get('EdDSA') as SigningKey;
});

const claims = (extra: Record<string, unknown> = {}): Record<string, unknown> => ({
  iss: ISSUER,
  sub: 'worker.billing',
  aud: 'https://payments.internal',
  client_id: 'worker.billing',
  scope: 'payments:read',
  iat: NOW_S,
  exp: NOW_S + 300,
  jti: 'jti-1',
  ...extra,
});

const b64 = (v: unknown) => Buffer.from(typeof v === 'string' ? v : JSON.stringify(v)).toString('base64url');

/** Signs any header and payload text with `key`, to build tokens our signer would never produce. */
function signRaw(key: SigningKey, header: unknown, payload: unknown): string {
  const input = `${b64(header)}.${b64(payload)}`;
  const signature =
    key.alg === 'EdDSA'
      ? sign(null, Buffer.from(input), key.privateKey)
      : sign('sha256', Buffer.from(input), {
          key: key.privateKey,
          ...(key.alg === 'ES256' ? { dsaEncoding: 'ieee-p1363' as const } : {}),
        });
  return `${input}.${signature.toString('base64url')}`;
}

const headerOf = (key: SigningKey, extra: Record<string, unknown> = {}) => ({
  alg: key.alg,
  typ: 'at+jwt',
  kid: key.kid,
  ...extra,
});

const check = (token: string, nowMs = NOW_MS, withKeys = keys) =>
  checkAccessToken(token, { issuer: ISSUER, keys: withKeys, nowMs });

describe('checkAccessToken', () => {
  it.each(SIGNING_ALGORITHMS)('accepts our %s token and returns exactly its claims', async (alg) => {
    const token = await signAccessToken(keys.active.get(alg) as SigningKey, claims({ org_id: 'org_1' }));
    expect(await check(token)).toEqual({ ok: true, claims: claims({ org_id: 'org_1' }) });
  });

  it("keeps a person's auth_time, permissions and groups", async () => {
    const person = { auth_time: NOW_S - 60, permissions: ['payments:read'], groups: ['admins'] };
    const token = await signAccessToken(keys.active.get('RS256') as SigningKey, claims(person));
    expect(await check(token)).toEqual({ ok: true, claims: claims(person) });
  });

  it('accepts a token without scope and keeps no claim it does not know, __proto__ included', async () => {
    const text = JSON.stringify(claims({ scope: undefined, extra: 'x' })).replace(
      '{',
      '{"__proto__":{"admin":true},',
    );
    const result = await check(signRaw(rs256, headerOf(rs256), text));
    expect(result).toEqual({ ok: true, claims: claims({ scope: undefined }) });
    const kept = (result as { claims: AccessTokenClaims }).claims;
    expect(Object.keys(kept)).toEqual(['iss', 'sub', 'aud', 'client_id', 'iat', 'exp', 'jti']);
    expect(Object.getPrototypeOf(kept)).toBe(Object.prototype);
  });

  it('accepts a token of a key that is still published after it stopped signing', async () => {
    const token = await signAccessToken(rs256, claims());
    const rotated: SigningKeys = {
      active: strangers.active,
      published: [...strangers.published, ...keys.published],
    };
    expect((await check(token, NOW_MS, rotated)).ok).toBe(true);
  });

  describe('time', () => {
    it('calls a token expired from its exp on, without tolerance', async () => {
      const token = await signAccessToken(es256, claims());
      expect((await check(token, (NOW_S + 300) * 1000 - 1)).ok).toBe(true);
      expect(await check(token, (NOW_S + 300) * 1000)).toEqual({ ok: false, reason: 'expired' });
    });

    it(`accepts iat up to ${MAX_CLOCK_SKEW_SECONDS}s ahead of the clock (another replica's), not more`, async () => {
      const ahead = await signAccessToken(eddsa, claims({ iat: NOW_S + 60, exp: NOW_S + 360 }));
      const further = await signAccessToken(eddsa, claims({ iat: NOW_S + 61, exp: NOW_S + 361 }));
      expect((await check(ahead)).ok).toBe(true);
      expect(await check(further)).toEqual({ ok: false, reason: 'not_yet_valid' });
    });

    it('refuses a token whose nbf is beyond the skew, and one whose nbf is not a number', async () => {
      expect(await check(await signAccessToken(rs256, claims({ nbf: NOW_S + 61 })))).toEqual({
        ok: false,
        reason: 'not_yet_valid',
      });
      expect((await check(await signAccessToken(rs256, claims({ nbf: NOW_S - 10 })))).ok).toBe(true);
      expect(await check(await signAccessToken(rs256, claims({ nbf: 'soon' })))).toEqual({
        ok: false,
        reason: 'malformed',
      });
    });
  });

  describe('whose token it is', () => {
    it('refuses another issuer', async () => {
      const token = await signAccessToken(rs256, claims({ iss: 'https://evil.example.com' }));
      expect(await check(token)).toEqual({ ok: false, reason: 'foreign' });
    });

    it('refuses a signature by a key we do not publish, even under a published kid', async () => {
      const stranger = strangers.active.get('RS256') as SigningKey;
      expect(await check(await signAccessToken(stranger, claims()))).toEqual({
        ok: false,
        reason: 'foreign',
      });
      const impostor = signRaw(stranger, headerOf(rs256), claims());
      expect(await check(impostor)).toEqual({ ok: false, reason: 'foreign' });
    });

    it('refuses a kid that is no longer published', async () => {
      const token = await signAccessToken(rs256, claims());
      const withoutIt: SigningKeys = {
        active: keys.active,
        published: keys.published.filter((k) => k.kid !== rs256.kid),
      };
      expect(await check(token, NOW_MS, withoutIt)).toEqual({ ok: false, reason: 'foreign' });
    });

    it('refuses a header alg other than the key’s (no algorithm confusion)', async () => {
      const token = signRaw(es256, headerOf(rs256, { alg: 'ES256' }), claims());
      expect(await check(token)).toEqual({ ok: false, reason: 'foreign' });
    });

    it('accepts the Ed25519 key under each JWS name only with the kid published for that name', async () => {
      const derived = `${eddsa.kid}.ed25519`;
      const as = (alg: string, kid: string) => check(signRaw(eddsa, { alg, typ: 'at+jwt', kid }, claims()));
      expect(await as('Ed25519', derived)).toEqual({ ok: true, claims: claims() });
      expect(await as('EdDSA', eddsa.kid)).toEqual({ ok: true, claims: claims() });
      expect(await as('Ed25519', eddsa.kid)).toEqual({ ok: false, reason: 'foreign' });
      expect(await as('EdDSA', derived)).toEqual({ ok: false, reason: 'foreign' });
    });

    it('refuses a changed payload under the original signature', async () => {
      const [h, , s] = (await signAccessToken(rs256, claims())).split('.');
      const forged = `${h}.${b64(claims({ scope: 'payments:write' }))}.${s}`;
      expect(await check(forged)).toEqual({ ok: false, reason: 'foreign' });
    });

    it('refuses an ES256 signature in DER instead of r || s', async () => {
      const input = `${b64(headerOf(es256))}.${b64(claims())}`;
      const der = sign('sha256', Buffer.from(input), es256.privateKey).toString('base64url');
      expect(await check(`${input}.${der}`)).toEqual({ ok: false, reason: 'foreign' });
    });
  });

  describe('shape', () => {
    const malformedHeaders: [string, Record<string, unknown>][] = [
      ['typ JWT', { typ: 'JWT' }],
      ['typ application/jwt', { typ: 'application/jwt' }],
      ['no typ', { typ: undefined }],
      ['alg none', { alg: 'none' }],
      ['alg HS256', { alg: 'HS256' }],
      ['no kid', { kid: undefined }],
      ['a numeric kid', { kid: 1 }],
      ['a crit header', { crit: ['exp'] }],
    ];
    it.each(malformedHeaders)('refuses a header with %s', async (_name, extra) => {
      expect(await check(signRaw(rs256, headerOf(rs256, extra), claims()))).toEqual({
        ok: false,
        reason: 'malformed',
      });
    });

    const malformedClaims: [string, Record<string, unknown>][] = [
      ['exp as a string', { exp: String(NOW_S + 300) }],
      ['a fractional exp', { exp: NOW_S + 300.5 }],
      ['exp before iat', { exp: NOW_S - 1 }],
      ['no iat', { iat: undefined }],
      ['an aud array', { aud: ['https://payments.internal'] }],
      ['no jti', { jti: undefined }],
      ['an empty jti', { jti: '' }],
      ['a numeric client_id', { client_id: 7 }],
      ['a scope array', { scope: ['payments:read'] }],
      ['an org_id object', { org_id: { id: 1 } }],
      ['a permissions string', { permissions: 'payments:read' }],
      ['a number among groups', { groups: ['admins', 7] }],
      ['a fractional auth_time', { auth_time: NOW_S - 0.5 }],
      ['exp beyond safe integers', { exp: 2 ** 60 }],
    ];
    it.each(malformedClaims)('refuses signed claims with %s', async (_name, extra) => {
      expect(await check(await signAccessToken(rs256, claims(extra)))).toEqual({
        ok: false,
        reason: 'malformed',
      });
    });

    const garbage: [string, string][] = [
      ['empty', ''],
      ['one dot', '.'],
      ['two parts', 'a.b'],
      ['four parts', 'a.b.c.d'],
      ['empty parts', '..'],
      ['padding', 'eyJhbGciOiJSUzI1NiJ9=.e30.c2ln'],
      ['standard base64', 'ab+/.e30.c2ln'],
      ['a header that is not JSON', `${b64('{alg')}.${b64(claims())}.c2ln`],
      ['a header array', `${b64([1])}.${b64(claims())}.c2ln`],
      ['a null header', `${b64('null')}.${b64(claims())}.c2ln`],
      ['a header that is not UTF-8', `${Buffer.from([0xff, 0xfe]).toString('base64url')}.e30.c2ln`],
      ['a huge token', `${'a'.repeat(100_000)}.b.c`],
    ];
    it.each(garbage)('refuses %s', async (_name, token) => {
      expect(await check(token)).toEqual({ ok: false, reason: 'malformed' });
    });

    it('refuses a validly signed payload that is not an object', async () => {
      for (const payload of ['null', '[1]', '"text"', '{']) {
        expect(await check(signRaw(rs256, headerOf(rs256), payload))).toEqual({
          ok: false,
          reason: 'malformed',
        });
      }
    });
  });
});
