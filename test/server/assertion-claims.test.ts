import { describe, expect, it } from 'vitest';
import {
  checkAssertionClaims,
  CLOCK_SKEW_SECONDS,
  DEFAULT_MAX_ASSERTION_LIFETIME_SECONDS,
} from '../../src/server/assertion/claims.ts';
import { InvalidClient } from '../../src/server/errors.ts';

const NOW = 1_900_000_000;
const ISSUER = 'https://id.example';
const TOKEN_ENDPOINT = 'https://id.example/oauth2/token';
const rules = {
  clientId: 'worker.billing',
  audiences: [ISSUER, TOKEN_ENDPOINT],
  nowSeconds: NOW,
  maxLifetimeSeconds: DEFAULT_MAX_ASSERTION_LIFETIME_SECONDS,
};
const good = {
  iss: 'worker.billing',
  sub: 'worker.billing',
  aud: TOKEN_ENDPOINT,
  iat: NOW,
  exp: NOW + 60,
  jti: 'j-1',
};

function failure(claims: Record<string, unknown>, given = rules): string {
  try {
    checkAssertionClaims(claims, given);
  } catch (err) {
    expect(err).toBeInstanceOf(InvalidClient);
    return (err as InvalidClient).description;
  }
  throw new Error('the claims passed');
}

describe('checkAssertionClaims (RFC 7523 section 3)', () => {
  it('returns jti and exp of claims that hold', () => {
    expect(checkAssertionClaims(good, rules)).toEqual({ jti: 'j-1', exp: NOW + 60 });
  });

  it('tolerates the clock skew at each bound, and not a second more', () => {
    const edge = {
      ...good,
      exp: NOW - CLOCK_SKEW_SECONDS + 1,
      nbf: NOW + CLOCK_SKEW_SECONDS,
      iat: NOW + CLOCK_SKEW_SECONDS,
    };
    expect(checkAssertionClaims(edge, rules).exp).toBe(NOW - CLOCK_SKEW_SECONDS + 1);
    expect(failure({ ...good, exp: NOW - CLOCK_SKEW_SECONDS })).toBe(
      "client_assertion has expired ('exp' is in the past)",
    );
    expect(failure({ ...good, nbf: NOW + CLOCK_SKEW_SECONDS + 1 })).toBe(
      "client_assertion is not valid yet ('nbf' is in the future)",
    );
    expect(failure({ ...good, iat: NOW + CLOCK_SKEW_SECONDS + 1 })).toBe(
      "client_assertion 'iat' is in the future",
    );
    const longest = NOW + DEFAULT_MAX_ASSERTION_LIFETIME_SECONDS + CLOCK_SKEW_SECONDS;
    expect(checkAssertionClaims({ ...good, exp: longest }, rules).exp).toBe(longest);
    expect(failure({ ...good, exp: longest + 1 })).toBe(
      "client_assertion 'exp' is more than 300 seconds ahead: sign assertions that expire sooner, or raise the OAuthClient's spec.clientAssertion.maxLifetime (at most 1h)",
    );
  });

  it.each([
    [60, NOW + 120, true],
    [60, NOW + 121, false],
    [3600, NOW + 3600, true],
    [3600, NOW + 3660, true],
    [3600, NOW + 3661, false],
  ])("holds a client's own limit of %i s: exp %i accepted %s (issue 9, item 13)", (limit, exp, ok) => {
    const own = { ...rules, maxLifetimeSeconds: limit };
    if (ok) expect(checkAssertionClaims({ ...good, exp }, own).exp).toBe(exp);
    else
      expect(failure({ ...good, exp }, own)).toMatch(
        new RegExp(`^client_assertion 'exp' is more than ${limit} seconds ahead: `),
      );
  });

  it.each<[string, Record<string, unknown>, string]>([
    ['exp NaN', { exp: NaN }, "client_assertion 'exp' must be a NumericDate (seconds since the epoch)"],
    [
      'exp Infinity',
      { exp: Infinity },
      "client_assertion 'exp' must be a NumericDate (seconds since the epoch)",
    ],
    ['exp null', { exp: null }, "client_assertion 'exp' must be a NumericDate (seconds since the epoch)"],
    [
      'exp an array',
      { exp: [NOW + 60] },
      "client_assertion 'exp' must be a NumericDate (seconds since the epoch)",
    ],
    ['nbf a string', { nbf: String(NOW) }, "client_assertion 'nbf' must be a NumericDate"],
    ['iat an object', { iat: {} }, "client_assertion 'iat' must be a NumericDate"],
    ['jti empty', { jti: '' }, "client_assertion 'jti' is missing: every assertion needs a unique one"],
    ['jti a number', { jti: 7 }, "client_assertion 'jti' must be a string"],
    ['jti huge', { jti: 'x'.repeat(100_000) }, "client_assertion 'jti' is longer than 256 characters"],
    ['iss __proto__', { iss: '__proto__' }, "client_assertion 'iss' must be the client_id 'worker.billing'"],
    [
      'iss an array holding the client',
      { iss: ['worker.billing'] },
      "client_assertion 'iss' must be the client_id 'worker.billing'",
    ],
    [
      'sub of another client',
      { sub: 'other.billing' },
      "client_assertion 'sub' must be the client_id 'worker.billing'",
    ],
    [
      'aud empty',
      { aud: '' },
      "client_assertion 'aud' must be the issuer 'https://id.example' or the token endpoint URL",
    ],
    [
      'aud an empty array',
      { aud: [] },
      "client_assertion 'aud' must be the issuer 'https://id.example' or the token endpoint URL",
    ],
    [
      'aud with a trailing slash',
      { aud: `${ISSUER}/` },
      "client_assertion 'aud' must be the issuer 'https://id.example' or the token endpoint URL",
    ],
    [
      'aud an object',
      { aud: { 0: ISSUER } },
      "client_assertion 'aud' must be the issuer 'https://id.example' or the token endpoint URL",
    ],
  ])('refuses %s, quoting the claim', (_, claims, expected) => {
    expect(failure({ ...good, ...claims })).toBe(expected);
  });

  it('accepts aud as an array that names this server among others', () => {
    expect(checkAssertionClaims({ ...good, aud: [7, 'https://other.example', ISSUER] }, rules).jti).toBe(
      'j-1',
    );
  });
});
