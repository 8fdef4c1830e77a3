import { exportJWK, generateKeyPair, SignJWT, UnsecuredJWT, type JSONWebKeySet, type JWTPayload } from 'jose';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import { STRICT_POLICY } from '../../../src/outbound/address-policy.ts';
import { verifyIdToken, type IdTokenExpectations } from '../../../src/people/upstream/id-token.ts';
import { JWKS_REFETCH_MS, OidcDiscovery } from '../../../src/people/upstream/oidc-discovery.ts';
import { signer, startIssuer, type Signer, type TestIssuer } from '../../support/oidc-issuer.ts';

const NOW_S = 1_900_000_000;
const ISSUER = 'https://idp.corp.example';
const expected: IdTokenExpectations = {
  issuers: [ISSUER],
  clientId: 'latchkey',
  nonce: 'n-0S6_WzA2Mj',
  algorithms: ['RS256'],
  nowMs: NOW_S * 1000,
};
const claims: JWTPayload = {
  iss: ISSUER,
  sub: 'emp-1001',
  aud: 'latchkey',
  iat: NOW_S - 5,
  exp: NOW_S + 300,
  nonce: expected.nonce,
};

describe('upstream ID token validation (OpenID Connect Core §3.1.3.7)', () => {
  let key: Signer;
  let jwks: JSONWebKeySet;
  beforeAll(async () => {
    key = await signer('idp-1');
    jwks = { keys: [key.jwk] };
  });
  const sign = (payload: JWTPayload, header: { alg?: string; kid?: string } = {}) =>
    new SignJWT(payload).setProtectedHeader({ alg: 'RS256', kid: key.kid, ...header }).sign(key.privateKey);
  const verify = (token: unknown, overrides: Partial<IdTokenExpectations> = {}) =>
    verifyIdToken(token, { ...expected, ...overrides }, () => Promise.resolve(jwks));
  const reason = (promise: Promise<unknown>) =>
    promise.then(
      () => 'accepted',
      (e: { reason?: string }) => e.reason,
    );

  it('accepts a token that passes every check', async () => {
    await expect(verify(await sign(claims))).resolves.toMatchObject({ sub: 'emp-1001' });
  });

  it.each([
    ['expired beyond the skew', { exp: NOW_S - 61 }, 'id_token_invalid'],
    ['expired within the skew', { exp: NOW_S - 30 }, 'accepted'],
    ['issued in the future beyond the skew', { iat: NOW_S + 120 }, 'id_token_invalid'],
    ['issued long ago (a replay)', { iat: NOW_S - 3600 }, 'id_token_invalid'],
    ['without iat', { iat: undefined }, 'id_token_invalid'],
    ['without exp', { exp: undefined }, 'id_token_invalid'],
    ['from another issuer', { iss: 'https://evil.example' }, 'id_token_invalid'],
    ['for another audience', { aud: 'other' }, 'id_token_invalid'],
    ['for several audiences without azp', { aud: ['latchkey', 'other'] }, 'id_token_invalid'],
    ['for several audiences with azp latchkey', { aud: ['latchkey', 'other'], azp: 'latchkey' }, 'accepted'],
    ['with azp of another client', { azp: 'other' }, 'id_token_invalid'],
    ['with another nonce', { nonce: 'replayed' }, 'nonce_mismatch'],
    ['without nonce', { nonce: undefined }, 'nonce_mismatch'],
    ['without sub', { sub: undefined }, 'id_token_invalid'],
  ])('%s: %s', async (_, change, outcome) => {
    const payload = JSON.parse(JSON.stringify({ ...claims, ...change })) as JWTPayload;
    expect(await reason(verify(await sign(payload)))).toBe(outcome);
  });

  it('refuses when the sign-in sent no nonce', async () => {
    expect(await reason(verify(await sign(claims), { nonce: undefined }))).toBe('nonce_mismatch');
  });

  it('accepts Google’s historic issuer spelling only when listed', async () => {
    const token = await sign({ ...claims, iss: 'accounts.google.com' });
    expect(await reason(verify(token))).toBe('id_token_invalid');
    expect(await reason(verify(token, { issuers: [ISSUER, 'accounts.google.com'] }))).toBe('accepted');
  });

  it.each([
    ['alg none', () => Promise.resolve(new UnsecuredJWT(claims).encode())],
    [
      'an algorithm the provider did not announce',
      async () => {
        const ps = await generateKeyPair('PS256');
        jwks = { keys: [key.jwk, { ...(await exportJWK(ps.publicKey)), kid: 'ps', alg: 'PS256' }] };
        return new SignJWT(claims).setProtectedHeader({ alg: 'PS256', kid: 'ps' }).sign(ps.privateKey);
      },
    ],
    [
      'HS256 with a guessable secret',
      () =>
        new SignJWT(claims)
          .setProtectedHeader({ alg: 'HS256' })
          .sign(new TextEncoder().encode('latchkey'.repeat(4))),
    ],
    ['not a JWT', () => Promise.resolve('not.a.jwt')],
    ['no ID token at all', () => Promise.resolve(undefined)],
  ])('refuses %s', async (_, make) => {
    expect(await reason(verify(await make()))).toBe('id_token_invalid');
    jwks = { keys: [key.jwk] };
  });

  it('asks for fresh keys once when the signing key is not in the cached set (rotation)', async () => {
    const rotated = await signer('idp-2');
    const asked: boolean[] = [];
    const token = await new SignJWT(claims)
      .setProtectedHeader({ alg: 'RS256', kid: rotated.kid })
      .sign(rotated.privateKey);
    const payload = await verifyIdToken(token, expected, (refresh) => {
      asked.push(refresh);
      return Promise.resolve({ keys: refresh ? [key.jwk, rotated.jwk] : [key.jwk] });
    });
    expect(payload.sub).toBe('emp-1001');
    expect(asked).toEqual([false, true]);
  });
});

describe('upstream key set cache', () => {
  let issuer: TestIssuer;
  beforeAll(async () => {
    issuer = await startIssuer();
  });
  afterAll(() => issuer.close());

  it('refetches the keys on request only once the cached set is older than the refetch interval', async () => {
    let now = 1_000_000;
    const discovery = new OidcDiscovery({
      now: () => now,
      addressPolicy: { ...STRICT_POLICY, allowLoopback: true },
    });
    const first = await signer('k1');
    const second = await signer('k2');
    issuer.publish([first.jwk]);
    const url = `${issuer.issuer}/jwks`;
    expect((await discovery.keys(url)).keys.map((k) => k.kid)).toEqual(['k1']);
    issuer.publish([first.jwk, second.jwk]);
    expect((await discovery.keys(url)).keys.map((k) => k.kid)).toEqual(['k1']);
    expect((await discovery.keys(url, true)).keys.map((k) => k.kid)).toEqual(['k1']);
    now += JWKS_REFETCH_MS;
    expect((await discovery.keys(url, true)).keys.map((k) => k.kid)).toEqual(['k1', 'k2']);
  });

  it('refuses a key set URL (as a tenant’s discovery names it) at an address the strict policy denies', async () => {
    const discovery = new OidcDiscovery({ now: () => 0, addressPolicy: STRICT_POLICY });
    const error = await discovery.keys('https://169.254.169.254/jwks').then(
      () => undefined,
      (e: unknown) => e as { reason?: string },
    );
    expect(error?.reason).toBe('upstream_not_allowed');
  });
});
