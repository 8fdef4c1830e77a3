import { describe, expect, it } from 'vitest';
import { accessTokenClaims } from '../../src/server/claims.ts';
import type { CompiledApi } from '../../src/store/snapshot.ts';

const api: CompiledApi = {
  namespace: 'payments',
  name: 'payments-api',
  identifier: 'https://payments.internal',
  scopes: ['payments:read', 'payments:write'],
  lifetimeSeconds: 300,
  algorithm: 'RS256',
  introspectors: new Set(),
  people: { permissionsClaim: false, groupsClaim: false, enforceRoles: false },
};
const input = { issuer: 'https://auth.example.com', clientId: 'worker.billing', api, jti: 'j1' };

describe('accessTokenClaims', () => {
  it('builds the RFC 9068 claims from the clock, truncating iat to whole seconds', () => {
    expect(
      accessTokenClaims({ ...input, scopes: ['payments:read', 'payments:write'] }, 1_900_000_000_999),
    ).toEqual({
      iss: 'https://auth.example.com',
      sub: 'worker.billing',
      aud: 'https://payments.internal',
      client_id: 'worker.billing',
      scope: 'payments:read payments:write',
      iat: 1_900_000_000,
      exp: 1_900_000_300,
      jti: 'j1',
    });
  });

  it('omits scope when there is none, and adds org_id and org_name for an organization', () => {
    const claims = accessTokenClaims(
      {
        ...input,
        scopes: [],
        organization: { id: 'org_acme', name: 'acme', namespace: 'orgs', connections: [], members: [] },
      },
      0,
    );
    expect(claims).not.toHaveProperty('scope');
    expect(claims).toMatchObject({ org_id: 'org_acme', org_name: 'acme', iat: 0, exp: 300 });
  });
});
