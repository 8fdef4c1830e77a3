import { describe, expect, it } from 'vitest';
import {
  audienceRequiredDetail,
  scopeRefusalDetail,
  targetRefusalDetail,
} from '../../src/server/grants/target-detail.ts';
import { api, grant, permissions } from '../http/world.ts';

const payments = api(
  'payments',
  'RS256',
  ['payments:read', 'payments:write', 'payments:refund'],
  300,
  'payments',
);
const ledger = api('ledger', 'ES256', ['ledger:read'], 300, 'finance');
const hr = api('hr', 'RS256', ['hr:read'], 300, 'people');
const apis = new Map([payments, ledger, hr].map((a) => [a.identifier, a]));

describe('the private detail of a missing audience', () => {
  it('lists the APIs to choose from when the client is granted several', () => {
    expect(audienceRequiredDetail(permissions(grant(payments), grant(ledger)))).toBe(
      'audience is required (or resource): this client is granted several APIs, send one of https://payments.internal, https://ledger.internal',
    );
  });

  it('shows the first five of many', () => {
    const many = permissions(...Array.from({ length: 7 }, (_, i) => grant(api(`api${i}`, 'RS256', ['r']))));
    expect(audienceRequiredDetail(many)).toMatch(
      /send one of https:\/\/api0\.internal, .*https:\/\/api4\.internal and 2 more$/,
    );
  });

  it('says where to look when the client is granted none', () => {
    expect(audienceRequiredDetail(permissions())).toBe(
      "audience is required (or resource), but this client is granted no API: a grant or Role that is not in effect grants nothing (the OAuthClient's ReferencesResolved condition says which)",
    );
  });

  it('names the organization the permissions are of', () => {
    expect(audienceRequiredDetail(permissions(), "this client in organization 'acme'")).toContain(
      "but this client in organization 'acme' is granted no API",
    );
  });
});

describe('the private detail of invalid_target', () => {
  const granted = permissions(grant(payments, ['payments:read']));
  const table: [string, 'audience' | 'resource', string, string][] = [
    [
      'an API in effect that the client is not granted',
      'audience',
      'https://hr.internal',
      "audience 'https://hr.internal' is ResourceServer people/hr, which is not granted to this client; this client is granted https://payments.internal",
    ],
    [
      'an identifier with a trailing slash',
      'audience',
      'https://payments.internal/',
      "audience 'https://payments.internal/' is the identifier of no ResourceServer in effect (did you mean 'https://payments.internal'?); this client is granted https://payments.internal",
    ],
    [
      'an identifier without its scheme',
      'resource',
      'payments.internal',
      "resource 'payments.internal' is the identifier of no ResourceServer in effect (did you mean 'https://payments.internal'?); this client is granted https://payments.internal",
    ],
    [
      'an identifier in other case',
      'audience',
      'HTTPS://Ledger.Internal',
      "audience 'HTTPS://Ledger.Internal' is the identifier of no ResourceServer in effect (did you mean 'https://ledger.internal'?); this client is granted https://payments.internal",
    ],
    [
      'an identifier nothing resembles',
      'audience',
      'https://nothing.example',
      "audience 'https://nothing.example' is the identifier of no ResourceServer in effect; this client is granted https://payments.internal",
    ],
    [
      'hostile text (quoted, bounded, printable)',
      'audience',
      `https://x\n${'y'.repeat(200)}`,
      `audience 'https://x?${'y'.repeat(87)}...' is the identifier of no ResourceServer in effect; this client is granted https://payments.internal`,
    ],
  ];
  it.each(table)('%s', (_, parameter, requested, detail) => {
    expect(targetRefusalDetail(parameter, requested, granted, { apis })).toBe(detail);
  });

  it('says the client is granted no API when it is granted none', () => {
    expect(targetRefusalDetail('audience', 'https://hr.internal', permissions(), { apis })).toBe(
      "audience 'https://hr.internal' is ResourceServer people/hr, which is not granted to this client; this client is granted no API",
    );
  });
});

describe('the private detail of invalid_scope', () => {
  const table: [string, string[], string[], string][] = [
    [
      'a declared scope the client is not granted',
      ['payments:read'],
      ['payments:refund'],
      "scope not granted for https://payments.internal (ResourceServer payments/payments): 'payments:refund' (declared, not granted); this client is granted 'payments:read'",
    ],
    [
      'a scope the API does not declare',
      ['payments:read', 'payments:write'],
      ['payments:admin'],
      "scope not granted for https://payments.internal (ResourceServer payments/payments): 'payments:admin' (not declared by the API); this client is granted 'payments:read', 'payments:write'",
    ],
    [
      'both, and a client granted none of its scopes',
      [],
      ['payments:read', 'foo'],
      "scope not granted for https://payments.internal (ResourceServer payments/payments): 'payments:read' (declared, not granted), 'foo' (not declared by the API); this client is granted none of its scopes",
    ],
  ];
  it.each(table)('%s', (_, scopes, missing, detail) => {
    expect(scopeRefusalDetail(grant(payments, scopes), missing)).toBe(detail);
  });

  it('lists at most ten refused scopes', () => {
    const missing = Array.from({ length: 12 }, (_, i) => `s${i}`);
    expect(scopeRefusalDetail(grant(payments, []), missing)).toContain(
      "'s9' (not declared by the API) and 2 more;",
    );
  });
});
