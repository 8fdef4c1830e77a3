import { beforeAll, describe, expect, it } from 'vitest';
import { generateSigningKeys, keySetOf } from '../../src/keys/generate.ts';
import type { SigningKeys } from '../../src/keys/signing-keys.ts';
import { compile } from '../../src/store/compile.ts';
import type { DeclaredObject, WorldInputs } from '../../src/store/objects.ts';
import type { CompiledPeopleClient, ConnectionSignIn } from '../../src/store/snapshot.ts';
import { digestSecret } from '../../src/store/secrets.ts';
import { declare, secret, world } from './world.ts';

// Issue 12, "The API model grows": what the authorization endpoint, the pages, the upstreams and the token
// grants read (CompiledClient.people, CompiledConnection.signIn), compiled from manifests.

let keys: SigningKeys;
beforeAll(async () => {
  keys = keySetOf(await generateSigningKeys());
});

const UPSTREAM_SECRET = 'upstream-client-secret-do-not-leak';
const WEB_SECRET = 'w'.repeat(43);

const corpSso = (extra: object = {}) =>
  declare.connection('people', 'corp-sso', {
    type: 'oidc',
    issuer: 'https://sso.example.com',
    displayName: 'Corporate SSO',
    clientId: 'latchkey',
    clientSecretRef: { name: 'corp-sso-oauth' },
    scopes: ['email', 'profile'],
    ...extra,
  });
const testPeople = declare.connection('people', 'test-people', {
  type: 'test',
  testUsers: [
    {
      username: 'alice',
      password: 'alice-password-1',
      email: 'alice@example.com',
      name: 'Alice',
      groups: ['admins'],
    },
    { username: 'bob', password: 'bob-password-2', emailVerified: false },
  ],
});
const webApp = (extra: object = {}) =>
  declare.client('people', 'web-app', {
    appType: 'web',
    grantTypes: ['authorization_code', 'refresh_token'],
    redirectUris: ['https://app.example.com/callback'],
    connections: [{ name: 'corp-sso' }],
    ...extra,
  });
const upstreamSecret = secret('people', 'corp-sso-oauth', { client_secret: UPSTREAM_SECRET });
const webSecret = secret('people', 'web-app-oauth', { client_secret: WEB_SECRET });

function compiled(
  objects: DeclaredObject[],
  extra: Partial<WorldInputs> = {},
  secrets = [upstreamSecret, webSecret],
) {
  return compile({ ...world(objects, secrets), ...extra }, keys, 1);
}

function resolution(c: ReturnType<typeof compile>, key: string) {
  const r = c.resolutions.get(key as never);
  if (r === undefined) throw new Error(`no resolution for ${key}`);
  return r;
}

const ready = (c: ReturnType<typeof compile>, key: string) => resolution(c, key).conditions[0];

describe('CompiledClient.people', () => {
  it('compiles a web client with the defaults: its name, 1h ID tokens, 14-day idle and 30-day refresh families, 10s grace', () => {
    const c = compiled([corpSso(), webApp()]);
    const expected: CompiledPeopleClient = {
      appType: 'web',
      displayName: 'web-app',
      redirectUris: ['https://app.example.com/callback'],
      postLogoutRedirectUris: [],
      allowedOrigins: [],
      connections: ['people/corp-sso'],
      firstParty: false,
      requirePushedAuthorizationRequests: false,
      idTokenLifetimeSeconds: 3600,
      refreshToken: { idleSeconds: 14 * 86400, absoluteSeconds: 30 * 86400, reuseGraceSeconds: 10 },
    };
    expect(c.snapshot.clients.get('web-app.people')?.people).toEqual(expected);
    expect(ready(c, 'OAuthClient/people/web-app')).toMatchObject({ status: 'True', reason: 'Reconciled' });
  });

  it('compiles every field a spec sets', () => {
    const c = compiled(
      [
        corpSso(),
        testPeople,
        webApp({
          displayName: 'Web app',
          postLogoutRedirectUris: ['https://app.example.com/signed-out'],
          connections: [{ name: 'test-people' }, { name: 'corp-sso', namespace: 'people' }],
          firstParty: true,
          requirePushedAuthorizationRequests: true,
          idToken: { lifetime: '15m' },
          refreshToken: { idleLifetime: '24h', absoluteLifetime: '168h', reuseGrace: '2s' },
        }),
      ],
      { allowTestConnections: true },
    );
    expect(c.snapshot.clients.get('web-app.people')?.people).toEqual({
      appType: 'web',
      displayName: 'Web app',
      redirectUris: ['https://app.example.com/callback'],
      postLogoutRedirectUris: ['https://app.example.com/signed-out'],
      allowedOrigins: [],
      connections: ['people/test-people', 'people/corp-sso'],
      firstParty: true,
      requirePushedAuthorizationRequests: true,
      idTokenLifetimeSeconds: 900,
      refreshToken: { idleSeconds: 86400, absoluteSeconds: 7 * 86400, reuseGraceSeconds: 2 },
    } satisfies CompiledPeopleClient);
  });

  it('serves a public SPA, which has no credential, with its origins', () => {
    const spa = declare.client('people', 'spa', {
      appType: 'spa',
      tokenEndpointAuthMethod: 'none',
      grantTypes: ['authorization_code'],
      redirectUris: ['https://spa.example.com/cb'],
      allowedOrigins: ['https://spa.example.com'],
      connections: [{ name: 'corp-sso' }],
    });
    const c = compiled([corpSso(), spa]);
    const client = c.snapshot.clients.get('spa.people');
    expect(client).toMatchObject({ authMethod: 'none', secretDigests: [] });
    expect(client?.people).toMatchObject({ appType: 'spa', allowedOrigins: ['https://spa.example.com'] });
    expect(ready(c, 'OAuthClient/people/spa')).toMatchObject({ status: 'True' });
  });

  it('leaves machine clients without people settings', () => {
    const c = compiled([declare.client('people', 'worker', {})], {}, [
      secret('people', 'worker-oauth', { client_secret: WEB_SECRET }),
    ]);
    expect(c.snapshot.clients.get('worker.people')).not.toHaveProperty('people');
  });

  it.each<[string, object, string, string]>([
    [
      'a Connection that does not exist',
      { connections: [{ name: 'nope' }] },
      'ReferenceNotFound',
      'spec.connections[0]: Connection people/nope not found',
    ],
    [
      'a kubernetes Connection',
      { connections: [{ name: 'cluster' }] },
      'ConnectionCannotSignIn',
      'spec.connections[0]: Connection people/cluster is of type kubernetes: workloads federate through it, people cannot sign in through it',
    ],
    [
      'an oidc Connection without clientId',
      { connections: [{ name: 'federation-only' }] },
      'ConnectionCannotSignIn',
      'spec.connections[0]: Connection people/federation-only has no spec.clientId: people cannot sign in through it',
    ],
    [
      'a test Connection under the operator',
      { connections: [{ name: 'test-people' }] },
      'ConnectionCannotSignIn',
      'spec.connections[0]: Connection people/test-people is of type test, which only latchkey dev lets people sign in through',
    ],
    [
      'no Connection at all',
      { connections: undefined },
      'ConnectionCannotSignIn',
      'spec.connections: a client that signs people in needs a Connection they sign in through (oidc, github, google, or test with latchkey dev)',
    ],
  ])('is not Ready when it offers %s, and says why', (_, extra, reason, message) => {
    const c = compiled([
      corpSso(),
      testPeople,
      declare.connection('people', 'cluster', { type: 'kubernetes' }),
      declare.connection('people', 'federation-only', { type: 'oidc', issuer: 'https://ci.example.com' }),
      webApp(extra),
    ]);
    expect(ready(c, 'OAuthClient/people/web-app')).toEqual({
      type: 'Ready',
      status: 'False',
      reason,
      message,
    });
    // The client keeps its other grants and offers nothing people cannot use.
    expect(c.snapshot.clients.get('web-app.people')?.people?.connections).toEqual([]);
  });

  it('offers the Connections that work when one of them does not, each once, and is not Ready', () => {
    const c = compiled([
      corpSso(),
      webApp({ connections: [{ name: 'corp-sso' }, { name: 'gone' }, { name: 'corp-sso' }] }),
    ]);
    expect(c.snapshot.clients.get('web-app.people')?.people?.connections).toEqual(['people/corp-sso']);
    expect(ready(c, 'OAuthClient/people/web-app')).toMatchObject({
      status: 'False',
      reason: 'ReferenceNotFound',
      message: 'spec.connections[1]: Connection people/gone not found',
    });
  });

  it("offers a Connection of another namespace only when its allowedNamespaces selects the client's", () => {
    const shared = (allowedNamespaces?: object) =>
      declare.connection('identity', 'corp-sso', {
        type: 'google',
        clientId: 'g',
        ...(allowedNamespaces ? { allowedNamespaces } : {}),
      });
    const client = webApp({ connections: [{ name: 'corp-sso', namespace: 'identity' }] });
    const refused = compiled([shared(), client]);
    expect(ready(refused, 'OAuthClient/people/web-app')).toMatchObject({
      reason: 'ReferenceNotAllowed',
      message:
        'spec.connections[0]: Connection identity/corp-sso does not allow references from namespace people (its spec.allowedNamespaces)',
    });
    const allowed = compile(
      world([shared({ matchLabels: { team: 'apps' } }), client], [webSecret], { people: { team: 'apps' } }),
      keys,
      1,
    );
    expect(allowed.snapshot.clients.get('web-app.people')?.people?.connections).toEqual([
      'identity/corp-sso',
    ]);
  });
});

const DEFAULT_CLAIMS = {
  userId: 'sub',
  email: 'email',
  emailVerified: 'email_verified',
  name: 'name',
  username: 'preferred_username',
};

describe('CompiledConnection.signIn', () => {
  it('compiles an oidc Connection with its client secret read from the Secret, and the defaults', () => {
    const c = compiled([corpSso()]);
    const expected: ConnectionSignIn = {
      displayName: 'Corporate SSO',
      clientId: 'latchkey',
      clientSecret: UPSTREAM_SECRET,
      scopes: ['email', 'profile'],
      claims: DEFAULT_CLAIMS,
      userMatchingMode: 'identifier',
      trustEmail: false,
      hostedDomains: [],
      allowedOrganizations: [],
      testUsers: [],
    };
    expect(c.snapshot.connections.get('people/corp-sso')?.signIn).toEqual(expected);
    expect(resolution(c, 'Connection/people/corp-sso').conditions).toContainEqual({
      type: 'SecretReady',
      status: 'True',
      reason: 'SecretAvailable',
      message: 'the upstream client secret is in Secret people/corp-sso-oauth key client_secret',
    });
  });

  it('compiles the overrides, the claim mapping and the matching mode as written', () => {
    const c = compiled(
      [
        corpSso({
          clientSecretRef: { name: 'corp-sso-oauth', key: 'secret' },
          authorizationUrl: 'https://sso.example.com/authorize',
          tokenUrl: 'https://sso.example.com/token',
          profileUrl: 'https://sso.example.com/userinfo',
          claimMapping: { userId: 'oid', groups: 'realm_access.roles' },
          userMatchingMode: 'email_link',
          trustEmail: true,
        }),
      ],
      {},
      [secret('people', 'corp-sso-oauth', { secret: UPSTREAM_SECRET })],
    );
    expect(c.snapshot.connections.get('people/corp-sso')?.signIn).toMatchObject({
      clientSecret: UPSTREAM_SECRET,
      authorizationUrl: 'https://sso.example.com/authorize',
      tokenUrl: 'https://sso.example.com/token',
      profileUrl: 'https://sso.example.com/userinfo',
      claims: { ...DEFAULT_CLAIMS, userId: 'oid', groups: 'realm_access.roles' },
      userMatchingMode: 'email_link',
      trustEmail: true,
    });
  });

  it('presets Google: its issuer, and only the hosted domains listed', () => {
    const c = compiled([
      declare.connection('people', 'google', {
        type: 'google',
        clientId: 'g.apps',
        hostedDomains: ['example.com'],
      }),
    ]);
    const google = c.snapshot.connections.get('people/google');
    expect(google).toMatchObject({ type: 'google', issuer: 'https://accounts.google.com' });
    expect(google?.signIn).toMatchObject({
      displayName: 'google',
      clientId: 'g.apps',
      hostedDomains: ['example.com'],
    });
    expect(google?.signIn).not.toHaveProperty('clientSecret');
  });

  it('presets GitHub: https://github.com unless baseUrl names an Enterprise server; it has no issuer to verify', () => {
    const c = compiled([
      declare.connection('people', 'github', {
        type: 'github',
        clientId: 'Iv1.a',
        clientSecretRef: { name: 'corp-sso-oauth' },
      }),
      declare.connection('people', 'ghe', {
        type: 'github',
        clientId: 'Iv1.b',
        baseUrl: 'https://github.example.com',
        allowedOrganizations: ['acme'],
      }),
    ]);
    expect(c.snapshot.connections.get('people/github')?.signIn).toMatchObject({
      baseUrl: 'https://github.com',
      clientSecret: UPSTREAM_SECRET,
      allowedOrganizations: [],
    });
    expect(c.snapshot.connections.get('people/ghe')?.signIn).toMatchObject({
      baseUrl: 'https://github.example.com',
      allowedOrganizations: ['acme'],
    });
    expect(resolution(c, 'Connection/people/ghe').conditions).toEqual([
      { type: 'Ready', status: 'True', reason: 'Reconciled', message: 'Connection is in effect' },
    ]);
  });

  it('has no sign-in for a kubernetes Connection or an oidc one without clientId', () => {
    const c = compiled([
      declare.connection('people', 'cluster', { type: 'kubernetes' }),
      declare.connection('people', 'ci', { type: 'oidc', issuer: 'https://ci.example.com' }),
    ]);
    expect(c.snapshot.connections.get('people/cluster')).not.toHaveProperty('signIn');
    expect(c.snapshot.connections.get('people/ci')).not.toHaveProperty('signIn');
  });

  it.each<[string, object[], string]>([
    [
      'the Secret is missing',
      [],
      "Secret people/corp-sso-oauth (spec.clientSecretRef) not found: it holds Latchkey's client secret at the upstream",
    ],
    [
      'the Secret lacks the key',
      [secret('people', 'corp-sso-oauth', { other: UPSTREAM_SECRET })],
      'Secret people/corp-sso-oauth has no key client_secret (spec.clientSecretRef.key)',
    ],
  ])(
    'is not Ready and offers no sign-in while %s, naming the Secret and key, never a value',
    (_, secrets, message) => {
      const c = compiled([corpSso()], {}, secrets as never[]);
      const r = resolution(c, 'Connection/people/corp-sso');
      expect(r.conditions).toContainEqual({
        type: 'SecretReady',
        status: 'False',
        reason: 'SecretMissing',
        message,
      });
      // False, not the Unknown of the issuer nobody has checked yet: the Secret is what to act on.
      expect(r.conditions[0]).toMatchObject({ type: 'Ready', status: 'False', reason: 'SecretMissing' });
      expect(c.snapshot.connections.get('people/corp-sso')).not.toHaveProperty('signIn');
      expect(JSON.stringify(r)).not.toContain(UPSTREAM_SECRET);
    },
  );

  it('picks up the Secret when it appears, also when compiled from the previous compile', () => {
    const before = compile(world([corpSso()], []), keys, 1);
    const after = compile(world([corpSso()], [upstreamSecret]), keys, 2, before);
    expect(before.snapshot.connections.get('people/corp-sso')?.signIn).toBeUndefined();
    expect(after.snapshot.connections.get('people/corp-sso')?.signIn?.clientSecret).toBe(UPSTREAM_SECRET);
  });

  it('never puts the client secret into a resolution, the status the operator writes', () => {
    const c = compiled([corpSso(), webApp()]);
    expect(JSON.stringify([...c.resolutions.values()])).not.toContain(UPSTREAM_SECRET);
  });
});

describe('type: test, for latchkey dev only', () => {
  it.each<[string, boolean | undefined, string]>([
    ['the operator (the default)', undefined, 'TestConnectionNotAllowed'],
    ['latchkey dev', true, 'Reconciled'],
  ])('under %s, Ready says %s', (_, allowTestConnections, reason) => {
    const c = compiled([testPeople], allowTestConnections === undefined ? {} : { allowTestConnections });
    expect(ready(c, 'Connection/people/test-people')?.reason).toBe(reason);
  });

  it('is refused by the operator with what to declare instead, and never compiled', () => {
    const c = compiled([testPeople]);
    expect(ready(c, 'Connection/people/test-people')).toEqual({
      type: 'Ready',
      status: 'False',
      reason: 'TestConnectionNotAllowed',
      message:
        'type test is for latchkey dev only: declare an oidc, github or google Connection in a cluster (the passwords of spec.testUsers are in plain text in the manifests)',
    });
    expect(c.snapshot.connections.get('people/test-people')).not.toHaveProperty('signIn');
  });

  it('compiles its people in dev mode with SHA-256 digests of their passwords, never the passwords', () => {
    const c = compiled([testPeople], { allowTestConnections: true });
    const signIn = c.snapshot.connections.get('people/test-people')?.signIn;
    expect(signIn).toEqual({
      displayName: 'test-people',
      scopes: [],
      claims: DEFAULT_CLAIMS,
      userMatchingMode: 'identifier',
      trustEmail: false,
      hostedDomains: [],
      allowedOrganizations: [],
      testUsers: [
        {
          username: 'alice',
          passwordDigest: digestSecret('alice-password-1'),
          email: 'alice@example.com',
          emailVerified: true,
          name: 'Alice',
          groups: ['admins'],
        },
        { username: 'bob', passwordDigest: digestSecret('bob-password-2'), emailVerified: false, groups: [] },
      ],
    } satisfies ConnectionSignIn);
    expect(JSON.stringify(signIn)).not.toContain('alice-password-1');
  });

  it('recompiles when the mode changes, even from the previous compile', () => {
    const dev = compiled([testPeople], { allowTestConnections: true });
    const operator = compile(world([testPeople]), keys, 2, dev);
    expect(operator.snapshot.connections.get('people/test-people')).not.toHaveProperty('signIn');
  });
});
