import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import { systemClock } from '../../../src/clock.ts';
import { STRICT_POLICY } from '../../../src/outbound/address-policy.ts';
import { oidcProvider } from '../../../src/people/upstream/oidc.ts';
import type { UpstreamDeps } from '../../../src/people/upstream/upstream-http.ts';
import { UpstreamSignInError, type UpstreamProvider } from '../../../src/people/upstream/upstream.ts';
import type { CompiledConnection, ConnectionSignIn } from '../../../src/store/snapshot.ts';
import { PUBLIC_LATCHKEY_AT_IDP, startCompanyIdp, type CompanyIdp } from '../../support/oidc-upstream.ts';
import { companyConnection } from '../harness.ts';

const CALLBACK = 'http://127.0.0.1:8080/login/callback';
const DEV_POLICY = { ...STRICT_POLICY, allowLoopback: true };
const deps = (overrides: Partial<UpstreamDeps> = {}): UpstreamDeps => ({
  now: systemClock,
  addressPolicy: DEV_POLICY,
  ...overrides,
});

type SignInConnection = CompiledConnection & { signIn: ConnectionSignIn };

/** The whole round trip: begin, the person signs in at the IdP, finish with what came back. */
async function signInThrough(
  provider: UpstreamProvider,
  idp: CompanyIdp,
  connection: SignInConnection,
  accountId = 'emp-1001',
  pendingOverride: { nonce?: string } = {},
) {
  const state = 'state-from-the-pages';
  const start = await provider.begin(connection, CALLBACK, state);
  const back = await idp.signIn(start.url, accountId);
  expect(back.origin + back.pathname).toBe(CALLBACK);
  expect(back.searchParams.get('state')).toBe(state);
  return provider.finish(connection, CALLBACK, back.searchParams, {
    codeVerifier: start.codeVerifier,
    ...(start.nonce === undefined ? {} : { nonce: start.nonce }),
    ...pendingOverride,
  });
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

describe('type: oidc against node-oidc-provider as the company IdP', () => {
  let idp: CompanyIdp;
  beforeAll(async () => {
    idp = await startCompanyIdp({ redirectUris: [CALLBACK] });
  });
  afterAll(() => idp.close());

  it('sends the person upstream with code, PKCE S256, state and nonce', async () => {
    const start = await oidcProvider(deps()).begin(companyConnection(idp.issuer), CALLBACK, 'st-1');
    const url = new URL(start.url);
    expect(url.origin + url.pathname).toBe(`${idp.issuer}/auth`);
    expect(Object.fromEntries(url.searchParams)).toEqual({
      response_type: 'code',
      client_id: 'latchkey',
      redirect_uri: CALLBACK,
      scope: 'openid email profile',
      state: 'st-1',
      nonce: start.nonce,
      code_challenge: expect.stringMatching(/^[\w-]{43}$/) as unknown,
      code_challenge_method: 'S256',
    });
    expect(start.codeVerifier).toMatch(/^[\w-]{43}$/);
  });

  it('signs a person in, with the claims userinfo adds to the ID token', async () => {
    const identity = await signInThrough(
      oidcProvider(deps()),
      idp,
      companyConnection(idp.issuer, { scopes: ['groups'] }),
    );
    expect(idp.tokenAuth.at(-1)).toBe('basic');
    expect(identity).toEqual({
      connection: 'corp/company-idp',
      subject: 'emp-1001',
      email: 'carol@corp.example',
      emailVerified: true,
      name: 'Carol Corp',
      username: 'carol',
      groups: ['engineering', 'oncall'],
      amr: ['fed'],
    });
  });

  it('reports an unverified email as unverified', async () => {
    const identity = await signInThrough(
      oidcProvider(deps()),
      idp,
      companyConnection(idp.issuer),
      'emp-1002',
    );
    expect(identity).toMatchObject({ subject: 'emp-1002', email: 'dave@corp.example', emailVerified: false });
  });

  it('signs in as a public client (PKCE, no secret)', async () => {
    const identity = await signInThrough(
      oidcProvider(deps()),
      idp,
      companyConnection(idp.issuer, { clientId: PUBLIC_LATCHKEY_AT_IDP.clientId, clientSecret: undefined }),
    );
    expect(identity.subject).toBe('emp-1001');
  });

  it('fetches discovery and keys once for several sign-ins', async () => {
    const provider = oidcProvider(deps());
    const before = idp.requests.length;
    await signInThrough(provider, idp, companyConnection(idp.issuer));
    await signInThrough(provider, idp, companyConnection(idp.issuer));
    const fetched = idp.requests.slice(before);
    expect(fetched.filter((r) => r === 'GET /.well-known/openid-configuration')).toHaveLength(1);
    expect(fetched.filter((r) => r === 'GET /jwks')).toHaveLength(1);
  });

  it('refuses an ID token whose nonce is not the one sent', async () => {
    const refused = await refusal(
      signInThrough(oidcProvider(deps()), idp, companyConnection(idp.issuer), 'emp-1001', {
        nonce: 'another',
      }),
    );
    expect(refused.reason).toBe('nonce_mismatch');
  });

  it('refuses an expired ID token', async () => {
    const later = () => systemClock() + 2 * 3600_000;
    const refused = await refusal(
      signInThrough(oidcProvider(deps({ now: later })), idp, companyConnection(idp.issuer)),
    );
    expect(refused).toEqual({
      reason: 'id_token_invalid',
      message: "The sign-in provider's ID token was not accepted: it has expired.",
    });
  });

  it('refuses an ID token issued in the future (clocks apart beyond the skew)', async () => {
    const earlier = () => systemClock() - 3600_000;
    const refused = await refusal(
      signInThrough(oidcProvider(deps({ now: earlier })), idp, companyConnection(idp.issuer)),
    );
    expect(refused.reason).toBe('id_token_invalid');
  });

  describe('ID tokens the IdP re-signs', () => {
    afterAll(() => idp.tamperIdTokens(undefined));
    it.each([
      [
        'for another audience',
        (p: Record<string, unknown>) => ({ ...p, aud: 'someone-else' }),
        '"aud" claim',
      ],
      [
        'from another issuer',
        (p: Record<string, unknown>) => ({ ...p, iss: 'https://evil.example' }),
        '"iss" claim',
      ],
      [
        'for several audiences without azp',
        (p: Record<string, unknown>) => ({ ...p, aud: ['latchkey', 'someone-else'], azp: undefined }),
        '"azp" claim',
      ],
      [
        'with an azp of another client',
        (p: Record<string, unknown>) => ({ ...p, azp: 'someone-else' }),
        '"azp" claim',
      ],
      ['without sub', (p: Record<string, unknown>) => ({ ...p, sub: undefined }), '"sub" claim'],
      ['without a nonce', (p: Record<string, unknown>) => ({ ...p, nonce: undefined }), 'nonce'],
    ])('refuses one %s', async (_, change, quoted) => {
      idp.tamperIdTokens(change);
      const refused = await refusal(signInThrough(oidcProvider(deps()), idp, companyConnection(idp.issuer)));
      expect(refused.reason).toMatch(/^(id_token_invalid|nonce_mismatch)$/);
      expect(refused.message).toContain(quoted);
    });

    it('accepts several audiences when azp is Latchkey', async () => {
      idp.tamperIdTokens((p) => ({ ...p, aud: ['latchkey', 'someone-else'], azp: 'latchkey' }));
      const identity = await signInThrough(oidcProvider(deps()), idp, companyConnection(idp.issuer));
      expect(identity.subject).toBe('emp-1001');
    });

    it('refuses one signed by a key that is not the IdP’s', async () => {
      idp.tamperIdTokens((p) => p, 'stranger');
      const refused = await refusal(signInThrough(oidcProvider(deps()), idp, companyConnection(idp.issuer)));
      expect(refused).toEqual({
        reason: 'id_token_invalid',
        message: "The sign-in provider's ID token was not accepted: its signature does not verify.",
      });
    });
  });

  it('reports the error the IdP sent back, never its description', async () => {
    const callback = new URLSearchParams({
      error: 'access_denied',
      error_description: '<script>phish</script>',
      iss: idp.issuer,
    });
    const refused = await refusal(
      oidcProvider(deps()).finish(companyConnection(idp.issuer), CALLBACK, callback, {
        codeVerifier: 'v',
        nonce: 'n',
      }),
    );
    expect(refused).toEqual({
      reason: 'upstream_error',
      message: 'The sign-in provider did not sign you in (access_denied).',
    });
  });

  it.each([
    ['another issuer', 'https://evil.example'],
    ['no issuer although the IdP promises one (RFC 9207)', undefined],
  ])('refuses a callback from %s', async (_, iss) => {
    const callback = new URLSearchParams({ code: 'c', ...(iss === undefined ? {} : { iss }) });
    const refused = await refusal(
      oidcProvider(deps()).finish(companyConnection(idp.issuer), CALLBACK, callback, {
        codeVerifier: 'v',
        nonce: 'n',
      }),
    );
    expect(refused.reason).toBe('issuer_mismatch');
  });

  it('refuses when the code exchange fails (a wrong PKCE verifier), without the upstream body', async () => {
    const provider = oidcProvider(deps());
    const connection = companyConnection(idp.issuer);
    const start = await provider.begin(connection, CALLBACK, 's');
    const back = await idp.signIn(start.url, 'emp-1001');
    const refused = await refusal(
      provider.finish(connection, CALLBACK, back.searchParams, {
        codeVerifier: 'x'.repeat(43),
        nonce: start.nonce!,
      }),
    );
    expect(refused).toEqual({
      reason: 'token_exchange_failed',
      message: "The sign-in provider did not accept Latchkey's sign-in code (invalid_grant).",
    });
  });

  it('refuses a wrong client secret at the code exchange', async () => {
    const refused = await refusal(
      signInThrough(
        oidcProvider(deps()),
        idp,
        companyConnection(idp.issuer, { clientSecret: 'not-the-secret' }),
      ),
    );
    expect(refused.reason).toBe('token_exchange_failed');
    expect(refused.message).not.toContain('not-the-secret');
  });

  it('honours the Connection’s endpoint overrides', async () => {
    const overridden = companyConnection(idp.issuer, {
      authorizationUrl: `${idp.issuer}/auth?tenant=corp`,
      tokenUrl: 'https://169.254.169.254/token',
    });
    const provider = oidcProvider(deps());
    const start = await provider.begin(overridden, CALLBACK, 's');
    expect(new URL(start.url).searchParams.get('tenant')).toBe('corp');
    const back = await idp.signIn(start.url, 'emp-1001');
    const refused = await refusal(provider.finish(overridden, CALLBACK, back.searchParams, start));
    expect(refused.reason).toBe('upstream_not_allowed');
  });

  it.each([
    ['an issuer', { issuer: 'not a url' }, {}],
    ['an authorization URL', {}, { authorizationUrl: 'nope' }],
  ])(
    'refuses a Connection whose %s is not a URL, without a 500',
    async (_, connectionOverride, signInOverride) => {
      const connection = { ...companyConnection(idp.issuer, signInOverride), ...connectionOverride };
      const refused = await refusal(oidcProvider(deps()).begin(connection, CALLBACK, 's'));
      expect(refused.reason).toBe('connection_incomplete');
    },
  );

  it('refuses an issuer whose discovery names another issuer', async () => {
    const refused = await refusal(
      oidcProvider(deps()).begin(
        companyConnection(idp.issuer.replace('127.0.0.1', 'localhost')),
        CALLBACK,
        's',
      ),
    );
    expect(refused.reason).toBe('discovery_invalid');
  });
});

describe('type: oidc with the claims in the ID token and client_secret_post only', () => {
  let idp: CompanyIdp;
  beforeAll(async () => {
    idp = await startCompanyIdp({
      redirectUris: [CALLBACK],
      claimsInIdToken: true,
      tokenEndpointAuthMethod: 'client_secret_post',
    });
  });
  afterAll(() => idp.close());

  it('signs in without asking userinfo when the ID token has every mapped claim', async () => {
    // A userinfo URL Latchkey may not contact: asking it would fail the sign-in.
    const connection = companyConnection(idp.issuer, {
      scopes: ['groups'],
      profileUrl: 'https://169.254.169.254/userinfo',
    });
    const identity = await signInThrough(oidcProvider(deps()), idp, connection);
    expect(identity).toMatchObject({
      subject: 'emp-1001',
      email: 'carol@corp.example',
      groups: ['engineering', 'oncall'],
    });
    expect(idp.requests).not.toContain('GET /me');
    expect(idp.tokenAuth).toEqual(['body']);
  });
});

describe('type: oidc under the strict address policy (SSRF)', () => {
  const strict = deps({
    addressPolicy: STRICT_POLICY,
    // Names resolve without DNS: the vetted lookup must refuse what they resolve to.
    resolve: (hostname, _options, callback) =>
      callback(null, [
        { address: hostname === 'rebind.corp.test' ? '127.0.0.1' : '169.254.169.254', family: 4 },
      ]),
  });
  it.each([
    ['a metadata address', 'https://169.254.169.254'],
    ['a loopback address over http', 'http://127.0.0.1:9'],
    ['a name that resolves to loopback', 'https://rebind.corp.test'],
    ['a name that resolves to a metadata address', 'https://metadata.corp.test'],
    ['localhost', 'https://localhost'],
  ])('refuses a Connection at %s', async (_, issuer) => {
    const refused = await refusal(oidcProvider(strict).begin(companyConnection(issuer), CALLBACK, 's'));
    expect(refused.reason).toBe('upstream_not_allowed');
  });
});

describe('the company IdP learning Latchkey’s callback after it started', () => {
  let idp: CompanyIdp;
  beforeAll(async () => {
    idp = await startCompanyIdp({ redirectUris: [] });
  });
  afterAll(() => idp.close());

  it('refuses the callback until it is registered, then signs in through it', async () => {
    const connection = companyConnection(idp.issuer);
    const provider = oidcProvider(deps());
    const early = await provider.begin(connection, CALLBACK, 's');
    await expect(idp.signIn(early.url, 'emp-1001')).rejects.toThrow(/answered 400/);
    idp.registerRedirectUri(CALLBACK);
    await expect(signInThrough(provider, idp, connection)).resolves.toMatchObject({ subject: 'emp-1001' });
  });
});
