/**
 * The people sign-in fields of OAuthClient and Connection (issue 12), one table of specs and what the schema says
 * of each: `[]` when valid, else the problems as `path: message`. The unit test holds the zod schema to it and the
 * integration test the API server's CRD (its CEL rules and patterns), so the two stay one rule set.
 */

/** A pattern or size refusal: the API server words it its own way, so only the path is compared. */
export const FORMAT = 'format';

export interface SpecCase {
  name: string;
  kind: 'OAuthClient' | 'Connection' | 'Role' | 'Organization' | 'ResourceServer';
  spec: Record<string, unknown>;
  /** `path: message` of each problem, or `path: format` for a pattern or size refusal. */
  problems: string[];
  /** What the API server says instead, where the CRD enforces a rule by its structure rather than CEL. */
  server?: string;
}

export const WEB = {
  appType: 'web',
  grantTypes: ['authorization_code', 'refresh_token'],
  redirectUris: ['https://app.example.com/callback'],
  postLogoutRedirectUris: ['https://app.example.com/signed-out'],
  connections: [{ name: 'corp-sso' }, { name: 'partners', namespace: 'shared' }],
};
export const SPA = {
  appType: 'spa',
  tokenEndpointAuthMethod: 'none',
  grantTypes: ['authorization_code'],
  redirectUris: ['https://spa.example.com/cb'],
  allowedOrigins: ['https://spa.example.com', 'http://localhost:5173'],
};
export const NATIVE = {
  appType: 'native',
  tokenEndpointAuthMethod: 'none',
  grantTypes: ['authorization_code', 'refresh_token'],
  redirectUris: ['http://127.0.0.1/callback', 'http://[::1]:8400/cb', 'com.example.app:/oauth2redirect'],
};

const client = (name: string, spec: Record<string, unknown>, problems: string[] = []): SpecCase => ({
  name,
  kind: 'OAuthClient',
  spec,
  problems,
});
const connection = (name: string, spec: Record<string, unknown>, problems: string[] = []): SpecCase => ({
  name,
  kind: 'Connection',
  spec,
  problems,
});

const PUBLIC_ONLY =
  'tokenEndpointAuthMethod: spa and native clients cannot keep a secret (RFC 8252 §8.4): tokenEndpointAuthMethod must be none (PKCE protects their codes)';
const NONE_ONLY =
  'tokenEndpointAuthMethod: tokenEndpointAuthMethod none (a public client) is only for appType spa and native: a web client keeps a secret on its server';
const PRIVATE_USE =
  'redirectUris: a private-use URI scheme (com.example.app:/cb, RFC 8252 §7.1) is only for appType native: other clients use https';
const PEOPLE_ONLY =
  'grantTypes: redirectUris, postLogoutRedirectUris, allowedOrigins, connections, logoUri, firstParty and requirePushedAuthorizationRequests are only for clients that sign people in: add authorization_code or the device grant to grantTypes';

/** Logo URLs and why each is accepted or refused (the person's browser fetches it from the tenant's host). */
const LOGO_CASES: [string, string][] = [
  ['https://app.example.com/logo.png', 'on https'],
  ['https://cdn.example.com:8443/brand/logo.svg?v=2', 'on https with a port and a query'],
  ['https://[2001:db8::1]/logo.png', 'on an IPv6 literal'],
  [`https://app.example.com/${'a'.repeat(2048 - 'https://app.example.com/'.length)}`, 'of 2048 characters'],
  ['http://app.example.com/logo.png', 'refused: in the clear'],
  ['http://127.0.0.1/logo.png', 'refused: http even to loopback'],
  ['data:image/png;base64,iVBORw0KGgo=', 'refused: data:'],
  ['javascript:alert(1)', 'refused: javascript:'],
  ['https://user:pass@app.example.com/logo.png', 'refused: with userinfo'],
  ['https://app.example.com@evil.example/logo.png', 'refused: with userinfo that looks like a host'],
  ['https://app.example.com/logo.png#x', 'refused: with a fragment'],
  ['//app.example.com/logo.png', 'refused: scheme-relative'],
  ['/logo.png', 'refused: relative'],
  ['https://a;img-src */logo.png', 'refused: a host that would break the CSP header'],
  ['https://app.example.com/logo png', 'refused: with a space'],
  [
    `https://app.example.com/${'a'.repeat(2049 - 'https://app.example.com/'.length)}`,
    'refused: of 2049 characters',
  ],
];

export const CLIENT_CASES: SpecCase[] = [
  client('a web client with refresh tokens and two Connections', WEB),
  client('a SPA with its origins', SPA),
  client('a native client with loopback and private-use redirects', NATIVE),
  client('a machine client, as before', {}),
  client('a first-party web client requiring PAR, with its lifetimes', {
    ...WEB,
    firstParty: true,
    requirePushedAuthorizationRequests: true,
    idToken: { lifetime: '24h' },
    refreshToken: { idleLifetime: '1h', absoluteLifetime: '1h', reuseGrace: '60s' },
  }),
  client('a native device-flow CLI with refresh tokens and no redirect', {
    appType: 'native',
    tokenEndpointAuthMethod: 'none',
    grantTypes: ['urn:ietf:params:oauth:grant-type:device_code', 'refresh_token'],
  }),
  client('authorization_code without redirectUris', { ...WEB, redirectUris: undefined }, [
    'redirectUris: authorization_code needs at least one redirectUri (RFC 6749 §3.1.2)',
  ]),
  client('authorization_code on a non_interactive client', { ...WEB, appType: 'non_interactive' }, [
    'appType: authorization_code is for clients people use: appType must be web, spa or native',
  ]),
  client('a SPA with a client secret', { ...SPA, tokenEndpointAuthMethod: 'client_secret_basic' }, [
    PUBLIC_ONLY,
  ]),
  client('a native client with private_key_jwt', { ...NATIVE, tokenEndpointAuthMethod: 'private_key_jwt' }, [
    PUBLIC_ONLY,
    'jwks: private_key_jwt needs the public keys of the client: set exactly one of jwks and jwksUri, or federatedIdentities',
  ]),
  client('a web client without a secret', { ...WEB, tokenEndpointAuthMethod: 'none' }, [NONE_ONLY]),
  client(
    'a public non_interactive device client',
    {
      tokenEndpointAuthMethod: 'none',
      grantTypes: ['urn:ietf:params:oauth:grant-type:device_code'],
    },
    [
      NONE_ONLY,
      'appType: the device grant (RFC 8628) is for a device people sign in on elsewhere: appType must be native or web (a browser app uses authorization_code)',
    ],
  ),
  client('a device-flow SPA', { ...SPA, grantTypes: ['urn:ietf:params:oauth:grant-type:device_code'] }, [
    'appType: the device grant (RFC 8628) is for a device people sign in on elsewhere: appType must be native or web (a browser app uses authorization_code)',
  ]),
  client('a confidential web TV app with the device grant only', {
    ...WEB,
    redirectUris: undefined,
    grantTypes: ['urn:ietf:params:oauth:grant-type:device_code'],
  }),
  client(
    'refresh_token with client_credentials only',
    { grantTypes: ['client_credentials', 'refresh_token'] },
    [
      "grantTypes: refresh_token needs authorization_code or the device grant: a refresh token continues a person's sign-in",
    ],
  ),
  client('redirectUris on a machine client', { redirectUris: ['https://app.example.com/cb'] }, [PEOPLE_ONLY]),
  client('connections on a machine client', { connections: [{ name: 'corp-sso' }] }, [PEOPLE_ONLY]),
  client('firstParty on a machine client', { firstParty: true }, [PEOPLE_ONLY]),
  client('logoUri on a machine client', { logoUri: 'https://app.example.com/logo.png' }, [PEOPLE_ONLY]),
  client('idToken on a machine client', { idToken: { lifetime: '1h' } }, [
    'idToken: idToken is only for clients that sign people in (authorization_code or the device grant)',
  ]),
  client('refreshToken without the refresh_token grant', { ...SPA, refreshToken: {} }, [
    'refreshToken: refreshToken is only for clients with the refresh_token grant type',
  ]),
  client('a private-use redirect on a web client', { ...WEB, redirectUris: ['com.example.app:/cb'] }, [
    PRIVATE_USE,
  ]),
  client(
    'a private-use logout redirect on a SPA',
    { ...SPA, postLogoutRedirectUris: ['com.example.app:/out'] },
    [PRIVATE_USE],
  ),
  client('an ID token lifetime over 24h', { ...WEB, idToken: { lifetime: '25h' } }, [
    'idToken.lifetime: lifetime must be between 1s and 24h',
  ]),
  client(
    'an idle lifetime longer than the absolute one',
    { ...WEB, refreshToken: { idleLifetime: '721h' } },
    ['refreshToken.idleLifetime: idleLifetime must be at least 1s and at most absoluteLifetime'],
  ),
  client('a reuse grace over 60s', { ...WEB, refreshToken: { reuseGrace: '61s' } }, [
    'refreshToken.reuseGrace: reuseGrace must be at most 60s: a stolen refresh token is usable by both holders during it',
  ]),
  client(
    'an http redirect to a host that is not loopback',
    { ...WEB, redirectUris: ['http://app.example.com/cb'] },
    [`redirectUris.0: ${FORMAT}`],
  ),
  client('a redirect with a fragment', { ...WEB, redirectUris: ['https://app.example.com/cb#x'] }, [
    `redirectUris.0: ${FORMAT}`,
  ]),
  client('a relative redirect', { ...NATIVE, redirectUris: ['/callback'] }, [`redirectUris.0: ${FORMAT}`]),
  client('a redirect with credentials', { ...WEB, redirectUris: ['https://user:pw@app.example.com/cb'] }, [
    `redirectUris.0: ${FORMAT}`,
  ]),
  client('a private-use scheme that is not a reverse domain', { ...NATIVE, redirectUris: ['myapp:/cb'] }, [
    `redirectUris.0: ${FORMAT}`,
  ]),
  client('a javascript: redirect', { ...NATIVE, redirectUris: ['javascript:/alert(1)'] }, [
    `redirectUris.0: ${FORMAT}`,
  ]),
  client('an origin with a path', { ...SPA, allowedOrigins: ['https://spa.example.com/app'] }, [
    `allowedOrigins.0: ${FORMAT}`,
  ]),
  ...LOGO_CASES.map(([uri, why]) =>
    client(
      `a logo ${why}`,
      { ...WEB, logoUri: uri },
      why.startsWith('refused') ? [`logoUri: ${FORMAT}`] : [],
    ),
  ),
  client(
    '33 redirect URIs',
    { ...WEB, redirectUris: Array.from({ length: 33 }, (_, i) => `https://app.example.com/cb${i}`) },
    [`redirectUris: ${FORMAT}`],
  ),
];

const GITHUB = { type: 'github', clientId: 'Iv1.abc', clientSecretRef: { name: 'github-oauth' } };
const TEST = {
  type: 'test',
  testUsers: [
    { username: 'alice', password: 'alice-password' },
    { username: 'bob', password: 'bob-password' },
  ],
};
const ONLY_UPSTREAMS =
  'type: clientId, scopes, authorizationUrl, tokenUrl and profileUrl are only for Connections of type oidc, github and google';

export const CONNECTION_CASES: SpecCase[] = [
  connection('an oidc Connection people sign in through, with its claim mapping', {
    type: 'oidc',
    issuer: 'https://sso.example.com',
    clientId: 'latchkey',
    clientSecretRef: { name: 'corp-sso-oauth' },
    scopes: ['email', 'profile'],
    claimMapping: { userId: 'oid', groups: 'realm_access.roles' },
    userMatchingMode: 'email_link',
    trustEmail: true,
  }),
  connection('a GitHub Enterprise Connection for two organizations', {
    ...GITHUB,
    baseUrl: 'https://github.example.com',
    allowedOrganizations: ['acme', 'acme-labs'],
    profileUrl: 'https://github.example.com/api/v3/user',
  }),
  connection('a google Connection for one hosted domain', {
    type: 'google',
    clientId: '123.apps.googleusercontent.com',
    hostedDomains: ['example.com'],
  }),
  connection('a test Connection with two people', TEST),
  connection('a kubernetes Connection, as before', { type: 'kubernetes' }),
  connection('a github Connection without clientId', { type: 'github' }, [
    "clientId: a Connection of type github or google needs spec.clientId: Latchkey's client id there",
  ]),
  connection('a kubernetes Connection with a clientId', { type: 'kubernetes', clientId: 'x' }, [
    ONLY_UPSTREAMS,
  ]),
  connection('a test Connection with scopes', { ...TEST, scopes: ['openid'] }, [ONLY_UPSTREAMS]),
  connection('a kubernetes Connection that trusts email', { type: 'kubernetes', trustEmail: true }, [
    'type: userMatchingMode and trustEmail are for Connections people sign in through, not kubernetes',
  ]),
  connection('a github Connection with a claim mapping', { ...GITHUB, claimMapping: { userId: 'id' } }, [
    'claimMapping: claimMapping is only for Connections of type oidc and google',
  ]),
  connection(
    'a google Connection with an issuer',
    { type: 'google', clientId: 'g', issuer: 'https://evil.example' },
    [
      "issuer: issuer is only for Connections of type oidc and kubernetes: google's is https://accounts.google.com",
    ],
  ),
  connection(
    'an oidc Connection with hostedDomains',
    { type: 'oidc', issuer: 'https://sso.example.com', hostedDomains: ['example.com'] },
    ['hostedDomains: hostedDomains: only for a Connection of type google'],
  ),
  connection(
    'a google Connection with a baseUrl',
    { type: 'google', clientId: 'g', baseUrl: 'https://github.com' },
    ['baseUrl: baseUrl, allowedOrganizations: only for a Connection of type github'],
  ),
  connection('testUsers on a github Connection', { ...GITHUB, testUsers: TEST.testUsers }, [
    'testUsers: testUsers: only for a Connection of type test',
  ]),
  connection('a test Connection without people', { type: 'test' }, [
    'testUsers: a Connection of type test needs spec.testUsers',
  ]),
  {
    ...connection(
      'a test Connection with one username twice',
      { type: 'test', testUsers: [...TEST.testUsers, { username: 'alice', password: 'other' }] },
      ['testUsers: each of testUsers needs a username of its own'],
    ),
    server: 'spec.testUsers[2]: Duplicate value: {"username":"alice"}',
  },
  connection(
    'a test Connection with 51 people',
    {
      type: 'test',
      testUsers: Array.from({ length: 51 }, (_, i) => ({ username: `user${i}`, password: 'p' })),
    },
    [`testUsers: ${FORMAT}`],
  ),
  connection('an upstream URL in the clear', { ...GITHUB, tokenUrl: 'http://github.example.com/token' }, [
    `tokenUrl: ${FORMAT}`,
  ]),
];
