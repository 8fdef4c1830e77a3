import { createHash } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import type { UserRecord } from '../../src/people/records.ts';
import { atHash, idTokenClaims } from '../../src/people/tokens/id-token.ts';
import { personClaims } from '../../src/people/tokens/scopes.ts';

describe('atHash (OpenID Connect Core §3.1.3.6)', () => {
  it('matches the example of OpenID Connect Core Appendix A.4 for RS256', () => {
    expect(atHash('jHkWEdUXMU1BwAsC4vtUsZwnNvTIxEl0z9K3vx5KF0Y', 'RS256')).toBe('77QmUPtjPfzWtF2AnpK9RQ');
  });

  it.each([
    ['RS256', 'sha256', 16],
    ['ES256', 'sha256', 16],
    ['EdDSA', 'sha512', 32],
    ['Ed25519', 'sha512', 32],
  ] as const)('hashes for %s with %s and keeps the left %i bytes', (alg, hash, bytes) => {
    const token = 'an.access.token';
    const expected = createHash(hash).update(token).digest().subarray(0, bytes).toString('base64url');
    expect(atHash(token, alg)).toBe(expected);
  });
});

describe('idTokenClaims', () => {
  const input = {
    issuer: 'https://id.example',
    clientId: 'web',
    userId: 'usr_1',
    sid: 'sid-1',
    authTime: 1_900_000_000,
    amr: ['fed'],
    lifetimeSeconds: 600,
    accessToken: 'jHkWEdUXMU1BwAsC4vtUsZwnNvTIxEl0z9K3vx5KF0Y',
    algorithm: 'RS256' as const,
    person: { email: 'a@example.com', email_verified: true },
  };

  it('names the person, the client (aud and azp), the sign-in and the access token', () => {
    expect(idTokenClaims({ ...input, nonce: 'n-1' }, 1_900_000_100_999)).toEqual({
      iss: 'https://id.example',
      sub: 'usr_1',
      aud: 'web',
      exp: 1_900_000_700,
      iat: 1_900_000_100,
      auth_time: 1_900_000_000,
      nonce: 'n-1',
      amr: ['fed'],
      sid: 'sid-1',
      at_hash: '77QmUPtjPfzWtF2AnpK9RQ',
      azp: 'web',
      email: 'a@example.com',
      email_verified: true,
    });
  });

  it('leaves nonce out when there is none (a refreshed ID token, OpenID Connect Core §12.2)', () => {
    expect(idTokenClaims(input, 1_900_000_100_000)).not.toHaveProperty('nonce');
  });
});

describe('personClaims: the claims a scope releases (OpenID Connect Core §5.4)', () => {
  const user: UserRecord = {
    id: 'usr_1',
    email: 'a@example.com',
    emailVerified: false,
    name: 'A Person',
    username: 'a',
    groups: ['dev', 'ops'],
    createdAtMs: 0,
    lastSignInAtMs: 0,
  };
  it.each([
    [['openid'], {}],
    [['openid', 'email'], { email: 'a@example.com', email_verified: false }],
    [['profile'], { name: 'A Person', preferred_username: 'a', groups: ['dev', 'ops'] }],
    [['payments:read', 'offline_access'], {}],
  ])('%j releases %j', (scopes, claims) => {
    expect(personClaims(user, scopes)).toEqual(claims);
  });

  it('leaves out what the person has no value for', () => {
    const bare: UserRecord = { ...user, email: undefined, name: undefined, username: undefined, groups: [] };
    expect(personClaims(bare, ['profile', 'email'])).toEqual({ groups: [] });
  });
});
