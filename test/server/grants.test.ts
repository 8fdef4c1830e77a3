import { describe, expect, it } from 'vitest';
import { checkFederatedClaims } from '../../src/server/assertion/claims.ts';
import type { Refusal } from '../../src/server/assertion/refusal.ts';
import { InvalidClient, InvalidGrant, InvalidRequest, type OAuthError } from '../../src/server/errors.ts';
import { GRANTS, servedGrants } from '../../src/server/grants/index.ts';

describe('the grant registry', () => {
  it('registers each handler under its own grant_type', () => {
    for (const [type, grant] of GRANTS) expect(grant.type).toBe(type);
  });

  it('lets only the grants that carry their own credential go without client authentication', () => {
    const optional = [...GRANTS.values()].filter((g) => g.clientAuthentication === 'optional');
    expect(optional.map((g) => g.type)).toEqual([
      'urn:ietf:params:oauth:grant-type:jwt-bearer',
      'urn:ietf:params:oauth:grant-type:token-exchange',
    ]);
    for (const grant of GRANTS.values()) {
      expect(grant.identify !== undefined).toBe(grant.clientAuthentication === 'optional');
    }
  });

  it('serves the people grants, the only ones a public client may use, only with runtime state', () => {
    const people = ['authorization_code', 'refresh_token', 'urn:ietf:params:oauth:grant-type:device_code'];
    expect([...GRANTS.values()].filter((g) => g.publicClients === true).map((g) => g.type)).toEqual(people);
    expect([...servedGrants(true).keys()]).toEqual([...GRANTS.keys()]);
    expect([...servedGrants(false).keys()]).toEqual([...GRANTS.keys()].filter((g) => !people.includes(g)));
  });
});

describe('checkFederatedClaims answers in the error of the parameter that carried the token', () => {
  const NOW = 1_900_000_000;
  const rules = { audiences: ['https://id.example'], nowSeconds: NOW };
  const expired = { aud: 'https://id.example', exp: NOW - 3600 };
  const refusals: [string, Refusal | undefined, new (...args: never[]) => OAuthError, string][] = [
    [
      'client_assertion (the default)',
      undefined,
      InvalidClient,
      "client_assertion has expired ('exp' is in the past)",
    ],
    [
      'assertion',
      { parameter: 'assertion', refuse: (d) => new InvalidGrant(d) },
      InvalidGrant,
      "assertion has expired ('exp' is in the past)",
    ],
    [
      'subject_token',
      { parameter: 'subject_token', refuse: (d) => new InvalidRequest(d) },
      InvalidRequest,
      "subject_token has expired ('exp' is in the past)",
    ],
  ];
  it.each(refusals)('refuses an expired %s with its own error', (_, refusal, type, description) => {
    let caught: unknown;
    try {
      checkFederatedClaims(expired, { ...rules, ...(refusal === undefined ? {} : { refusal }) });
    } catch (err) {
      caught = err;
    }
    expect(caught).toBeInstanceOf(type);
    expect((caught as OAuthError).description).toBe(description);
  });
});
