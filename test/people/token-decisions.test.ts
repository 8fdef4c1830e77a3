import { describe, expect, it } from 'vitest';
import type { RefreshTokenRecord } from '../../src/people/records.ts';
import { peopleAccessTokenClaims, peopleTokenTarget } from '../../src/people/tokens/access-token.ts';
import { checkCodeVerifier } from '../../src/people/tokens/pkce.ts';
import { narrowScopes, refreshTokenExpiry, refreshUse } from '../../src/people/tokens/refresh-family.ts';
import { InvalidTarget } from '../../src/server/errors.ts';
import { hr, ledger, payments } from '../http/harness.ts';
import { grant, permissions } from '../http/world.ts';

describe('checkCodeVerifier (RFC 7636 §4.6)', () => {
  const challenge = 'E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM';
  it.each([
    ['the verifier of RFC 7636 Appendix B', 'dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXk', 'ok'],
    ['no verifier', undefined, 'missing'],
    ['an empty verifier', '', 'missing'],
    ['the challenge itself (plain)', challenge, 'mismatch'],
    ['another verifier', 'dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXl', 'mismatch'],
    ['42 characters', 'a'.repeat(42), 'malformed'],
    ['129 characters', 'a'.repeat(129), 'malformed'],
    ['128 characters', 'a'.repeat(128), 'mismatch'],
    ['a reserved character', `${'a'.repeat(43)}/`, 'malformed'],
    ['a space', `${'a'.repeat(43)} `, 'malformed'],
    ['non-ASCII', `${'a'.repeat(43)}é`, 'malformed'],
    ['__proto__ padded', `__proto__${'a'.repeat(40)}`, 'mismatch'],
  ] as const)('%s → %s', (_, verifier, expected) => {
    expect(checkCodeVerifier(verifier, challenge)).toBe(expected);
  });
});

describe('refreshUse (RFC 9700 §4.14.2)', () => {
  const record: RefreshTokenRecord = {
    familyId: 'fam',
    clientId: 'web',
    userId: 'usr_1',
    sid: 'sid',
    scopes: ['openid'],
    resources: [],
    authTime: 0,
    amr: [],
    familyCreatedAtMs: 0,
  };
  it.each([
    ['never rotated', undefined, 1_000, 10, 'rotate'],
    ['rotated this millisecond, grace 0', 1_000, 1_000, 0, 'grace'],
    ['rotated 1 ms ago, grace 0', 999, 1_000, 0, 'reuse'],
    ['rotated 10 s ago, grace 10 s', 0, 10_000, 10, 'grace'],
    ['rotated 10.001 s ago, grace 10 s', 0, 10_001, 10, 'reuse'],
    ['rotated a day ago', 0, 86_400_000, 10, 'reuse'],
  ] as const)('%s → %s', (_, rotatedAtMs, nowMs, grace, expected) => {
    const r = rotatedAtMs === undefined ? record : { ...record, rotatedAtMs };
    expect(refreshUse(r, nowMs, grace)).toBe(expected);
  });
});

describe('refreshTokenExpiry', () => {
  const lifetimes = { idleSeconds: 100, absoluteSeconds: 1_000, reuseGraceSeconds: 10 };
  it.each([
    ['a new family: the idle lifetime', 0, 0, 100_000],
    ['mid-family: the idle lifetime from now', 500_000, 0, 600_000],
    ['near the end: the absolute lifetime', 950_000, 0, 1_000_000],
  ])('%s', (_, nowMs, createdMs, expected) => {
    expect(refreshTokenExpiry(nowMs, createdMs, lifetimes)).toBe(expected);
  });
});

describe('narrowScopes (RFC 6749 §6)', () => {
  const granted = ['openid', 'profile', 'payments:read'];
  it.each([
    ['no scope: the family scopes', undefined, { ok: true, scopes: granted }],
    ['fewer, in the family order', 'payments:read openid', { ok: true, scopes: ['openid', 'payments:read'] }],
    ['a wider scope', 'openid email', { ok: false, widening: ['email'], empty: false }],
    ['__proto__', '__proto__', { ok: false, widening: ['__proto__'], empty: false }],
    ['only spaces', '  ', { ok: false, widening: [], empty: true }],
  ])('%s', (_, scope, expected) => {
    expect(narrowScopes(granted, scope)).toEqual(expected);
  });
});

describe("peopleTokenTarget: a person's access token audience", () => {
  const one = permissions(grant(payments, ['payments:read']));
  const two = permissions(grant(payments, ['payments:read']), grant(ledger));
  const scopes = ['openid', 'payments:read', 'payments:write', 'ledger:read'];
  const target = (p: typeof one, authorized: string[], requested: string[]) => {
    const t = peopleTokenTarget(p, scopes, authorized, requested);
    return { aud: t.api?.api.identifier, scopes: t.scopes };
  };

  it.each([
    ['the one granted API', one, [], [], payments.identifier, ['openid', 'payments:read']],
    ['no API of several: userinfo only', two, [], [], undefined, ['openid']],
    ['the authorized resource', two, [ledger.identifier], [], ledger.identifier, ['openid', 'ledger:read']],
    [
      'the token request narrowing',
      two,
      [ledger.identifier, payments.identifier],
      [ledger.identifier],
      ledger.identifier,
      ['openid', 'ledger:read'],
    ],
    [
      'a resource at the token request alone',
      two,
      [],
      [payments.identifier],
      payments.identifier,
      ['openid', 'payments:read'],
    ],
  ] as const)('%s', (_, p, authorized, requested, aud, expected) => {
    expect(target(p, [...authorized], [...requested])).toEqual({ aud, scopes: expected });
  });

  it.each([
    [
      'a resource not granted',
      one,
      [hr.identifier],
      [],
      "resource 'https://hr.internal' is unknown or not granted to this client",
    ],
    [
      'a resource not authorized',
      two,
      [ledger.identifier],
      [payments.identifier],
      `resource '${payments.identifier}' was not named in the authorization request`,
    ],
    [
      'several resources authorized, none chosen',
      two,
      [ledger.identifier, payments.identifier],
      [],
      'the authorization named several resources: send one of them as resource',
    ],
    [
      'two resources at the token request',
      two,
      [],
      [ledger.identifier, payments.identifier],
      'only one resource may be requested per token',
    ],
  ] as const)('refuses %s with invalid_target', (_, p, authorized, requested, description) => {
    expect(() => target(p, [...authorized], [...requested])).toThrow(new InvalidTarget(description));
  });
});

describe('peopleAccessTokenClaims (RFC 9068 §2.2)', () => {
  it("gives the API's lifetime and algorithm, or 300 s and RS256 with the issuer as audience", () => {
    const input = {
      issuer: 'https://id.example',
      clientId: 'web',
      userId: 'usr_1',
      authTime: 5,
      jti: 'j',
      person: {},
    };
    const forLedger = peopleAccessTokenClaims(
      { ...input, target: { api: grant(ledger), scopes: ['ledger:read'] } },
      1_000_000,
    );
    expect(forLedger).toEqual({
      claims: {
        iss: 'https://id.example',
        sub: 'usr_1',
        aud: ledger.identifier,
        client_id: 'web',
        iat: 1_000,
        exp: 1_600,
        jti: 'j',
        auth_time: 5,
        scope: 'ledger:read',
      },
      lifetimeSeconds: 600,
      algorithm: 'ES256',
    });
    const forUserinfo = peopleAccessTokenClaims(
      { ...input, target: { api: undefined, scopes: [] } },
      1_000_000,
    );
    expect(forUserinfo.claims).not.toHaveProperty('scope');
    expect(forUserinfo).toMatchObject({
      claims: { aud: 'https://id.example', exp: 1_300 },
      algorithm: 'RS256',
    });
  });
});
