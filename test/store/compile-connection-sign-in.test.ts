import { describe, expect, it } from 'vitest';
import { compile } from '../../src/store/compile.ts';
import type { ConnectionSignIn } from '../../src/store/snapshot.ts';
import { digestSecret } from '../../src/store/secrets.ts';
import {
  compiled,
  corpSso,
  keys,
  ready,
  resolution,
  testPeople,
  UPSTREAM_SECRET,
  upstreamSecret,
  webApp,
} from './people-world.ts';
import { declare, secret, world } from './world.ts';

// Issue 12, "The API model grows": what the authorization endpoint, the pages, the upstreams and the token
// grants read (CompiledClient.people, CompiledConnection.signIn), compiled from manifests.

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
