import { describe, expect, it } from 'vitest';
import { compile } from '../../src/store/compile.ts';
import type { CompiledPeopleClient } from '../../src/store/snapshot.ts';
import { compiled, corpSso, keys, ready, testPeople, WEB_SECRET, webApp, webSecret } from './people-world.ts';
import { declare, secret, world } from './world.ts';

// Issue 12, "The API model grows": what the authorization endpoint, the pages, the upstreams and the token
// grants read (CompiledClient.people, CompiledConnection.signIn), compiled from manifests.

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
    expect(c.snapshot.clients.get('web-app.people')?.people).toStrictEqual(expected);
    expect(ready(c, 'OAuthClient/people/web-app')).toMatchObject({ status: 'True', reason: 'Reconciled' });
  });

  it('compiles every field a spec sets', () => {
    const c = compiled(
      [
        corpSso(),
        testPeople,
        webApp({
          displayName: 'Web app',
          logoUri: 'https://app.example.com/logo.png',
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
      logoUri: 'https://app.example.com/logo.png',
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

  it('serves a public CLI with the device grant and no redirect URI (RFC 8628, issue 13)', () => {
    const cli = declare.client('people', 'cli', {
      appType: 'native',
      tokenEndpointAuthMethod: 'none',
      grantTypes: ['urn:ietf:params:oauth:grant-type:device_code', 'refresh_token'],
      connections: [{ name: 'corp-sso' }],
    });
    const c = compiled([corpSso(), cli]);
    const client = c.snapshot.clients.get('cli.people');
    expect(client).toMatchObject({ authMethod: 'none', secretDigests: [] });
    expect(client?.people).toMatchObject({
      appType: 'native',
      redirectUris: [],
      connections: ['people/corp-sso'],
    });
    expect(ready(c, 'OAuthClient/people/cli')).toMatchObject({ status: 'True', reason: 'Reconciled' });
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
