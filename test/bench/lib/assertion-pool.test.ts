import { generateKeyPairSync } from 'node:crypto';
import { compactVerify, decodeProtectedHeader, type JWK } from 'jose';
import { describe, expect, it } from 'vitest';
import {
  ASSERTION_MARGIN_SECONDS,
  assertionClaims,
  assertionLifetime,
  assertionPoolSize,
  MAX_ASSERTION_LIFETIME_SECONDS,
  MIN_POOL_SIZE,
  POOL_HEADROOM,
  signAssertions,
} from '../../../bench/lib/assertion-pool.ts';

describe('the size of a pool of assertions', () => {
  it('covers a run at the fastest shared-secret rate, with headroom', () => {
    expect(assertionPoolSize(9_000, 6)).toBe(81_000);
    expect(assertionPoolSize(9_000, 6)).toBe(Math.ceil(9_000 * 6 * POOL_HEADROOM));
  });

  it('rounds up, so a fractional rate never leaves a request without an assertion', () => {
    expect(assertionPoolSize(1_000.1, 3)).toBe(4_501);
  });

  it('never goes below the smallest pool, also before anything was measured', () => {
    expect(assertionPoolSize(0, 6)).toBe(MIN_POOL_SIZE);
    expect(assertionPoolSize(10, 1)).toBe(MIN_POOL_SIZE);
  });

  it.each([Number.NaN, -1, Number.POSITIVE_INFINITY])('refuses a rate of %s', (rate) => {
    expect(() => assertionPoolSize(rate, 6)).toThrow(RangeError);
  });

  it.each([0, -6, Number.NaN, Number.POSITIVE_INFINITY])('refuses a run of %s seconds', (seconds) => {
    expect(() => assertionPoolSize(1_000, seconds)).toThrow(RangeError);
  });
});

describe('the lifetime of the assertions of a run', () => {
  it('is warm-up and measurement plus the margin for signing and starting', () => {
    expect(assertionLifetime(6)).toBe(6 + ASSERTION_MARGIN_SECONDS);
    expect(assertionLifetime(2.5)).toBe(33);
  });

  it('refuses a run longer than Latchkey lets an assertion live', () => {
    const longest = MAX_ASSERTION_LIFETIME_SECONDS - ASSERTION_MARGIN_SECONDS;
    expect(assertionLifetime(longest)).toBe(MAX_ASSERTION_LIFETIME_SECONDS);
    expect(() => assertionLifetime(longest + 1)).toThrow('Latchkey accepts at most 300s');
  });
});

describe('client assertions (RFC 7523 §3)', () => {
  it('name the client as iss and sub, the server as aud, and expire after their lifetime', () => {
    expect(assertionClaims('bench-jwt', 'https://issuer.test', 'j1', 1_000, 36)).toEqual({
      iss: 'bench-jwt',
      sub: 'bench-jwt',
      aud: 'https://issuer.test',
      jti: 'j1',
      iat: 1_000,
      exp: 1_036,
    });
  });

  const { publicKey, privateKey } = generateKeyPairSync('ec', { namedCurve: 'P-256' });
  const signer = {
    clientId: 'bench-jwt',
    privateJwk: privateKey.export({ format: 'jwk' }) as JWK,
    kid: 'bench-jwt-1',
    alg: 'ES256' as const,
  };

  it('are signed ES256 with the client key, each with a jti of its own', async () => {
    const pool = signAssertions(signer, 'https://issuer.test', 50, 1_700_000_000.9, 36);
    expect(pool).toHaveLength(50);
    const jtis = new Set<unknown>();
    for (const assertion of pool) {
      expect(decodeProtectedHeader(assertion)).toEqual({ alg: 'ES256', typ: 'JWT', kid: 'bench-jwt-1' });
      const { payload } = await compactVerify(assertion, publicKey, { algorithms: ['ES256'] });
      const claims = JSON.parse(Buffer.from(payload).toString('utf8')) as Record<string, unknown>;
      expect(claims).toMatchObject({ iss: 'bench-jwt', aud: 'https://issuer.test', iat: 1_700_000_000 });
      expect(claims.exp).toBe(1_700_000_036);
      jtis.add(claims.jti);
    }
    expect(jtis.size).toBe(50);
  });

  it('make an empty pool when none are asked for', () => {
    expect(signAssertions(signer, 'https://issuer.test', 0, 0, 36)).toEqual([]);
  });
});
