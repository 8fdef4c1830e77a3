import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import { systemClock } from '../../../src/clock.ts';
import { STRICT_POLICY } from '../../../src/outbound/address-policy.ts';
import {
  githubEndpoints,
  githubIdentity,
  githubProvider,
  organizationAllowed,
} from '../../../src/people/upstream/github.ts';
import type { UpstreamDeps } from '../../../src/people/upstream/upstream-http.ts';
import { UpstreamSignInError } from '../../../src/people/upstream/upstream.ts';
import type { CompiledConnection, ConnectionSignIn } from '../../../src/store/snapshot.ts';
import { LATCHKEY_AT_GITHUB, startGithubStandIn, type GithubStandIn } from '../../support/github-stand-in.ts';
import { signIn } from '../harness.ts';

const CALLBACK = 'http://127.0.0.1:8080/login/callback';
const deps: UpstreamDeps = { now: systemClock, addressPolicy: { ...STRICT_POLICY, allowLoopback: true } };

type SignInConnection = CompiledConnection & { signIn: ConnectionSignIn };

function githubConnection(baseUrl: string, overrides: Partial<ConnectionSignIn> = {}): SignInConnection {
  return {
    namespace: 'corp',
    name: 'github',
    type: 'github',
    keys: [],
    signIn: signIn({ displayName: 'GitHub', ...LATCHKEY_AT_GITHUB, baseUrl, ...overrides }),
  };
}

async function refusal(promise: Promise<unknown>): Promise<{ reason: string; message: string }> {
  const error = await promise.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(error).toBeInstanceOf(UpstreamSignInError);
  const { reason, message } = error as UpstreamSignInError;
  return { reason, message };
}

describe('type: github against the GitHub stand-in', () => {
  let github: GithubStandIn;
  beforeAll(async () => {
    github = await startGithubStandIn(CALLBACK);
  });
  afterAll(() => github.close());

  async function signInAs(login: string, connection = githubConnection(github.baseUrl)) {
    github.signInAs(login);
    const provider = githubProvider(deps);
    const start = await provider.begin(connection, CALLBACK, 'st-gh');
    const back = await github.authorize(start.url);
    expect(back.searchParams.get('state')).toBe('st-gh');
    return {
      provider,
      start,
      back,
      finish: () => provider.finish(connection, CALLBACK, back.searchParams, start),
    };
  }

  it('sends the person to GitHub with PKCE S256, state and the documented scopes', async () => {
    const start = await githubProvider(deps).begin(githubConnection(github.baseUrl), CALLBACK, 'st-1');
    const url = new URL(start.url);
    expect(url.origin + url.pathname).toBe(`${github.baseUrl}/login/oauth/authorize`);
    expect(Object.fromEntries(url.searchParams)).toEqual({
      client_id: LATCHKEY_AT_GITHUB.clientId,
      redirect_uri: CALLBACK,
      scope: 'read:user user:email read:org',
      state: 'st-1',
      code_challenge: expect.stringMatching(/^[\w-]{43}$/) as unknown,
      code_challenge_method: 'S256',
    });
    expect(start.nonce).toBeUndefined();
  });

  it('signs a person in by their numeric id, with the primary email and organizations and teams as groups', async () => {
    const { finish } = await signInAs('octocat');
    expect(await finish()).toEqual({
      connection: 'corp/github',
      subject: '583231',
      email: 'octocat@github.example',
      emailVerified: true,
      name: 'The Octocat',
      username: 'octocat',
      groups: ['Latchkey-Dev', 'octo-org', 'Latchkey-Dev/platform', 'octo-org/docs'],
      amr: ['fed'],
    });
  });

  it('reports an unverified primary email as unverified', async () => {
    const { finish } = await signInAs('monalisa');
    expect(await finish()).toEqual({
      connection: 'corp/github',
      subject: '2',
      email: 'mona@unverified.example',
      emailVerified: false,
      username: 'monalisa',
      groups: [],
      amr: ['fed'],
    });
  });

  it('reads every page of organizations', async () => {
    const { finish } = await signInAs('hubber');
    const identity = await finish();
    expect(identity.groups).toHaveLength(150);
    expect(identity.groups.at(-1)).toBe('org-149');
  });

  it.each([
    ['a member of an allowed organization (any case)', 'octocat', ['latchkey-dev'], undefined],
    ['a member of none of them', 'octocat', ['other-org'], 'organization_not_allowed'],
    ['an account in no organization', 'monalisa', ['latchkey-dev'], 'organization_not_allowed'],
    ['anyone when no organization is listed', 'monalisa', [], undefined],
  ])('allowedOrganizations: %s', async (_, login, allowed, reason) => {
    const { finish } = await signInAs(
      login,
      githubConnection(github.baseUrl, { allowedOrganizations: allowed }),
    );
    if (reason === undefined) await expect(finish()).resolves.toMatchObject({ username: login });
    else expect((await refusal(finish())).reason).toBe(reason);
  });

  it('refuses a code presented twice (GitHub codes are single use)', async () => {
    const { finish } = await signInAs('octocat');
    await finish();
    expect(await refusal(finish())).toEqual({
      reason: 'token_exchange_failed',
      message: "The sign-in provider did not accept Latchkey's sign-in code (bad_verification_code).",
    });
  });

  it('refuses a wrong PKCE verifier', async () => {
    const { provider, back } = await signInAs('octocat');
    const connection = githubConnection(github.baseUrl);
    const refused = await refusal(
      provider.finish(connection, CALLBACK, back.searchParams, { codeVerifier: 'y'.repeat(43) }),
    );
    expect(refused.reason).toBe('token_exchange_failed');
  });

  it('refuses a wrong client secret, and does not repeat it', async () => {
    const connection = githubConnection(github.baseUrl, { clientSecret: 'wrong-secret-value' });
    const { finish } = await signInAs('octocat', connection);
    const refused = await refusal(finish());
    expect(refused).toEqual({
      reason: 'token_exchange_failed',
      message: "The sign-in provider did not accept Latchkey's sign-in code (incorrect_client_credentials).",
    });
  });

  it('reports GitHub refusing a redirect URI other than the registered callback', async () => {
    github.signInAs('octocat');
    const provider = githubProvider(deps);
    const elsewhere = 'http://127.0.0.1:9999/somewhere-else';
    const start = await provider.begin(githubConnection(github.baseUrl), elsewhere, 's');
    const back = await github.authorize(start.url);
    expect(back.origin + back.pathname).toBe(CALLBACK);
    const refused = await refusal(
      provider.finish(githubConnection(github.baseUrl), CALLBACK, back.searchParams, start),
    );
    expect(refused).toEqual({
      reason: 'upstream_error',
      message: 'The sign-in provider did not sign you in (redirect_uri_mismatch).',
    });
  });

  it('reports the error GitHub sent back', async () => {
    const refused = await refusal(
      githubProvider(deps).finish(
        githubConnection(github.baseUrl),
        CALLBACK,
        new URLSearchParams({ error: 'access_denied', state: 's' }),
        { codeVerifier: 'v' },
      ),
    );
    expect(refused.reason).toBe('upstream_error');
  });

  it('refuses a GitHub Enterprise host the strict policy denies, before sending it anything', async () => {
    const strict: UpstreamDeps = { now: systemClock, addressPolicy: STRICT_POLICY };
    const before = github.requests.length;
    const refused = await refusal(
      githubProvider(strict).finish(
        githubConnection(github.baseUrl),
        CALLBACK,
        new URLSearchParams({ code: 'c' }),
        {
          codeVerifier: 'v',
        },
      ),
    );
    expect(refused.reason).toBe('upstream_not_allowed');
    expect(github.requests.length).toBe(before);
  });
});

describe('GitHub endpoints', () => {
  it.each([
    [
      'github.com',
      {},
      {
        authorize: 'https://github.com/login/oauth/authorize',
        token: 'https://github.com/login/oauth/access_token',
        user: 'https://api.github.com/user',
      },
    ],
    [
      'GitHub Enterprise',
      { baseUrl: 'https://ghe.corp.example/' },
      {
        authorize: 'https://ghe.corp.example/login/oauth/authorize',
        token: 'https://ghe.corp.example/login/oauth/access_token',
        user: 'https://ghe.corp.example/api/v3/user',
      },
    ],
    [
      'overrides',
      {
        baseUrl: 'https://ghe.corp.example',
        authorizationUrl: 'https://a.example/authorize',
        tokenUrl: 'https://a.example/token',
        profileUrl: 'https://a.example/api/user/',
      },
      {
        authorize: 'https://a.example/authorize',
        token: 'https://a.example/token',
        user: 'https://a.example/api/user',
      },
    ],
  ])('%s', (_, overrides, endpoints) => {
    expect(githubEndpoints(signIn(overrides))).toEqual(endpoints);
  });
});

describe('GitHub identity', () => {
  const connection = { namespace: 'corp', name: 'github', signIn: signIn() };
  const answers = { emails: [], orgs: [], teams: [] };
  it.each([
    ['a string id', { id: '583231', login: 'octocat' }],
    ['no id (a login is never the subject)', { login: 'octocat' }],
    ['id 0', { id: 0 }],
    ['a negative id', { id: -5 }],
    ['a fractional id', { id: 1.5 }],
    ['an id beyond safe integers', { id: 2 ** 60 }],
    ['not an object', ['octocat']],
  ])('refuses %s', (_, user) => {
    expect(() => githubIdentity(connection, { ...answers, user })).toThrow(
      expect.objectContaining({ reason: 'claims_invalid' }) as Error,
    );
  });

  it('takes no email when none is primary', () => {
    const identity = githubIdentity(connection, {
      ...answers,
      user: { id: 7, login: 'x' },
      emails: [{ email: 'a@example.com', primary: false, verified: true }],
    });
    expect(identity).toMatchObject({ subject: '7', emailVerified: false });
    expect(identity.email).toBeUndefined();
  });

  it('skips malformed organizations and teams', () => {
    const identity = githubIdentity(connection, {
      ...answers,
      user: { id: 7 },
      orgs: [{ login: 'a' }, { login: '' }, null, 'b', { login: 3 }],
      teams: [{ slug: 't', organization: { login: 'a' } }, { slug: 't' }, { organization: { login: 'a' } }],
    });
    expect(identity.groups).toEqual(['a', 'a/t']);
  });

  it.each([
    [['Latchkey-Dev'], ['latchkey-dev'], true],
    [['a', 'b'], ['c'], false],
    [[], ['c'], false],
    [[], [], true],
    [['x'], [], true],
  ])('organizations %j allowed by %j: %s', (orgs, allowed, ok) => {
    expect(organizationAllowed(orgs, allowed)).toBe(ok);
  });
});

describe('the GitHub stand-in’s login form (for a browser walk)', () => {
  let github: GithubStandIn;
  beforeAll(async () => {
    github = await startGithubStandIn(CALLBACK);
  });
  afterAll(() => github.close());

  it('shows a login form when no account is signed in, then approves as the account that signed in', async () => {
    const provider = githubProvider(deps);
    const connection = githubConnection(github.baseUrl);
    const start = await provider.begin(connection, CALLBACK, 'st-form');
    const page = await fetch(start.url);
    const html = await page.text();
    expect(html).toContain('<form method="post" action="/session">');
    const returnTo = /name="return_to" value="([^"]+)"/.exec(html)![1]!.replace(/&amp;/g, '&');
    const signedIn = await fetch(`${github.baseUrl}/session`, {
      method: 'POST',
      redirect: 'manual',
      body: new URLSearchParams({ login: 'octocat', return_to: returnTo }),
    });
    const back = await github.authorize(new URL(signedIn.headers.get('location')!, github.baseUrl).href);
    await expect(provider.finish(connection, CALLBACK, back.searchParams, start)).resolves.toMatchObject({
      subject: '583231',
    });
  });
});
