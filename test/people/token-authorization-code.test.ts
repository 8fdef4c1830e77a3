import { createLocalJWKSet, decodeJwt, decodeProtectedHeader, jwtVerify } from 'jose';
import * as oidc from 'openid-client';
import { afterAll, beforeAll, describe, expect, it, onTestFinished } from 'vitest';
import { atHash } from '../../src/people/tokens/id-token.ts';
import { payments } from '../http/harness.ts';
import { peopleClient, peopleWorld, startPeopleHarness, WEB_SECRET, type PeopleHarness } from './harness.ts';
import { alice, ALICE_ID, basic, post, writeCode, writeUser, type IssuedCode } from './token-fixtures.ts';

const WEB = basic('web-app.people', WEB_SECRET);

describe('grant_type=authorization_code with openid-client as the relying party', () => {
  let h: PeopleHarness;
  beforeAll(async () => {
    h = await startPeopleHarness({ now: 'real' });
    await writeUser(h.state, alice(Date.now()), Date.now());
  });
  afterAll(() => h.close());

  const discover = (clientId: string, auth: oidc.ClientAuth) =>
    oidc.discovery(new URL(h.issuer), clientId, undefined, auth, { execute: [oidc.allowInsecureRequests] });
  const callback = (redirectUri: string, code: string) =>
    new URL(`${redirectUri}?${new URLSearchParams({ code, state: 'st-1', iss: h.issuer })}`);

  it('redeems a code with PKCE for an access token, an ID token and a refresh token a resource server verifies', async () => {
    const config = await discover('web-app.people', oidc.ClientSecretBasic(WEB_SECRET));
    const { code, verifier, record } = await writeCode(h.state, Date.now());
    const tokens = await oidc.authorizationCodeGrant(config, callback(record.redirectUri, code), {
      pkceCodeVerifier: verifier,
      expectedState: 'st-1',
      expectedNonce: 'nonce-1',
      idTokenExpected: true,
    });
    expect(tokens.token_type).toBe('bearer');
    expect(tokens.scope).toBe('openid profile email offline_access');
    expect(tokens.refresh_token).toMatch(/^[A-Za-z0-9_-]{43}$/);

    const jwks = createLocalJWKSet({ keys: [...h.keys.published] });
    const access = await jwtVerify(tokens.access_token, jwks, {
      issuer: h.issuer,
      audience: payments.identifier,
      typ: 'at+jwt',
    });
    expect(access.payload).toMatchObject({
      sub: ALICE_ID,
      client_id: 'web-app.people',
      scope: 'openid profile email offline_access',
      auth_time: record.authTime,
    });

    const id = await jwtVerify(tokens.id_token as string, jwks, {
      issuer: h.issuer,
      audience: 'web-app.people',
      algorithms: ['RS256'],
    });
    expect(id.protectedHeader).toMatchObject({ alg: 'RS256', typ: 'JWT' });
    expect(id.payload).toEqual({
      iss: h.issuer,
      sub: ALICE_ID,
      aud: 'web-app.people',
      exp: (id.payload.iat as number) + 3600,
      iat: expect.any(Number),
      auth_time: record.authTime,
      nonce: 'nonce-1',
      amr: ['pwd'],
      sid: 'sid-1',
      at_hash: atHash(tokens.access_token, 'RS256'),
      azp: 'web-app.people',
      name: 'Alice Example',
      preferred_username: 'alice',
      groups: ['admins'],
      email: 'alice@example.com',
      email_verified: true,
    });
    expect(tokens.claims()).toMatchObject({ sub: ALICE_ID, nonce: 'nonce-1' });
  });

  it('lets a public client (a SPA) redeem its code by client_id alone', async () => {
    const config = await discover('spa.people', oidc.None());
    const { code, verifier, record } = await writeCode(h.state, Date.now(), {
      clientId: 'spa.people',
      redirectUri: 'https://spa.example.com/cb',
      scopes: ['openid'],
    });
    const tokens = await oidc.authorizationCodeGrant(config, callback(record.redirectUri, code), {
      pkceCodeVerifier: verifier,
      expectedState: 'st-1',
      expectedNonce: 'nonce-1',
    });
    // The SPA is granted no API: its token is for userinfo alone, with the issuer as audience.
    expect(decodeJwt(tokens.access_token)).toMatchObject({ aud: h.issuer, scope: 'openid', sub: ALICE_ID });
    expect(tokens.refresh_token).toBeUndefined();
    expect(decodeProtectedHeader(tokens.id_token as string).alg).toBe('RS256');
  });
});

describe('grant_type=authorization_code refusals', () => {
  let h: PeopleHarness;
  beforeAll(async () => {
    h = await startPeopleHarness();
    await writeUser(h.state, alice(h.clock.now), h.clock.now);
  });
  afterAll(() => h.close());

  const token = () => `${h.issuer}/oauth2/token`;
  const redeem = (code: string, verifier: string | undefined, extra: Record<string, string> = {}) =>
    post(
      token(),
      {
        grant_type: 'authorization_code',
        code,
        redirect_uri: 'https://app.example.com/callback',
        ...(verifier === undefined ? {} : { code_verifier: verifier }),
        ...extra,
      },
      { authorization: WEB },
    );
  const invalidGrant = (description: string) => ({ error: 'invalid_grant', error_description: description });

  const refusals: [string, (c: IssuedCode) => ReturnType<typeof redeem>, object][] = [
    [
      'a missing code_verifier',
      ({ code }) => redeem(code, undefined),
      invalidGrant('code_verifier is missing: PKCE is required (RFC 7636)'),
    ],
    [
      'a wrong code_verifier',
      ({ code }) => redeem(code, 'w'.repeat(43)),
      invalidGrant('code_verifier does not match the code_challenge of the authorization request'),
    ],
    [
      'the challenge sent back as the verifier (plain PKCE)',
      ({ code, record }) => redeem(code, record.codeChallenge),
      invalidGrant('code_verifier does not match the code_challenge of the authorization request'),
    ],
    [
      'a code_verifier of 42 characters',
      ({ code }) => redeem(code, 'x'.repeat(42)),
      invalidGrant('code_verifier must be 43 to 128 unreserved characters (RFC 7636 section 4.1)'),
    ],
    [
      'a code_verifier with characters outside the unreserved set',
      ({ code, verifier }) => redeem(code, `${verifier}+/`),
      invalidGrant('code_verifier must be 43 to 128 unreserved characters (RFC 7636 section 4.1)'),
    ],
    [
      'another redirect_uri',
      ({ code, verifier }) => redeem(code, verifier, { redirect_uri: 'https://app.example.com/callback/' }),
      invalidGrant('redirect_uri differs from the one of the authorization request'),
    ],
    [
      'a code unknown to the server',
      ({ verifier }) => redeem('not-a-code', verifier),
      invalidGrant('code is invalid or has expired'),
    ],
  ];
  it.each(refusals)(
    'refuses %s with invalid_grant and keeps the code for its client',
    async (_, send, expected) => {
      const issued = await writeCode(h.state, h.clock.now);
      const res = await send(issued);
      expect(res.status).toBe(400);
      expect(res.body).toEqual(expected);
      expect(res.headers.get('cache-control')).toBe('no-store');
      expect((await redeem(issued.code, issued.verifier)).status).toBe(200);
    },
  );

  it.each(['__proto__', 'constructor', 'x'.repeat(8000), 'NaN', '%00', 'a b'])(
    'refuses the hostile code %s with invalid_grant, not a 5xx',
    async (code) => {
      const { verifier } = await writeCode(h.state, h.clock.now);
      expect((await redeem(code, verifier)).body).toEqual(invalidGrant('code is invalid or has expired'));
    },
  );

  it('refuses a missing redirect_uri or code with invalid_request', async () => {
    const { code, verifier } = await writeCode(h.state, h.clock.now);
    const noRedirect = await post(
      token(),
      { grant_type: 'authorization_code', code, code_verifier: verifier },
      { authorization: WEB },
    );
    expect(noRedirect.body).toEqual({
      error: 'invalid_request',
      error_description: 'redirect_uri is missing',
    });
    const noCode = await redeem('', verifier);
    expect(noCode.body).toEqual({ error: 'invalid_request', error_description: 'code is missing' });
  });

  it('refuses a code issued to another client', async () => {
    const { code, verifier } = await writeCode(h.state, h.clock.now, { clientId: 'third-party.people' });
    expect((await redeem(code, verifier)).body).toEqual(invalidGrant('code was issued to another client'));
  });

  it('refuses a code past its 60 seconds', async () => {
    const { code, verifier } = await writeCode(h.state, h.clock.now);
    h.clock.now += 60_000;
    try {
      expect((await redeem(code, verifier)).body).toEqual(invalidGrant('code is invalid or has expired'));
    } finally {
      h.clock.now -= 60_000;
    }
  });

  it('refuses a second use and revokes the access token and the refresh-token family of the first (RFC 6749 §4.1.2)', async () => {
    const { code, verifier } = await writeCode(h.state, h.clock.now);
    const first = await redeem(code, verifier);
    expect(first.status).toBe(200);
    const accessToken = first.body.access_token as string;
    const refreshToken = first.body.refresh_token as string;
    const introspect = () =>
      post(`${h.issuer}/oauth2/introspect`, { token: accessToken }, { authorization: WEB });
    expect((await introspect()).body).toMatchObject({ active: true, sub: ALICE_ID });

    const failed = h.seen('token.failed');
    const second = await redeem(code, verifier);
    expect(second.body).toEqual(invalidGrant('code was already used: the tokens issued with it are revoked'));
    expect(failed.at(-1)).toMatchObject({
      error: 'invalid_grant',
      grantType: 'authorization_code',
      clientId: 'web-app.people',
      detail: "authorization code reused by 'web-app.people': access token revoked, 1 refresh tokens deleted",
    });
    expect((await introspect()).body).toEqual({ active: false });
    // Neither the code, nor its verifier, nor a token reaches an event, hence no log line.
    for (const secret of [code, verifier, accessToken, refreshToken]) {
      expect(JSON.stringify(failed)).not.toContain(secret);
    }
    const refreshed = await post(
      token(),
      { grant_type: 'refresh_token', refresh_token: refreshToken },
      { authorization: WEB },
    );
    expect(refreshed.body).toEqual(invalidGrant('refresh_token is invalid, expired or revoked'));
  });

  it('lets only one of two concurrent redemptions through', async () => {
    const { code, verifier } = await writeCode(h.state, h.clock.now);
    const refreshTokens = async () => (await h.state.counts()).get('refresh_token');
    const before = await refreshTokens();
    const answers = await Promise.all([redeem(code, verifier), redeem(code, verifier)]);
    expect(answers.map((a) => a.status).sort()).toEqual([200, 400]);
    expect(answers.find((a) => a.status === 200)?.body.refresh_token).toEqual(expect.any(String));
    // The loser stored no family of its own, and as a reuse it ended the winner's: no refresh token is added.
    expect(await refreshTokens()).toBe(before);
  });

  it('issues a refresh token only for offline_access, and an ID token only for openid', async () => {
    const { code, verifier } = await writeCode(h.state, h.clock.now, { scopes: ['payments:read'] });
    const res = await redeem(code, verifier);
    expect(res.body).toEqual({
      access_token: expect.any(String),
      token_type: 'Bearer',
      expires_in: 300,
      scope: 'payments:read',
    });
    expect(decodeJwt(res.body.access_token as string)).toMatchObject({
      aud: payments.identifier,
      sub: ALICE_ID,
    });
  });

  it('leaves offline_access out of the scope when the client may not refresh', async () => {
    const original = h.source.snapshot;
    const noRefresh = peopleClient({
      clientId: 'web-app.people',
      secrets: [WEB_SECRET],
      grantTypes: ['authorization_code'],
    });
    h.source.snapshot = peopleWorld(h.keys, { clients: [noRefresh] });
    onTestFinished(() => {
      h.source.snapshot = original;
    });
    const { code, verifier } = await writeCode(h.state, h.clock.now, {
      scopes: ['openid', 'offline_access'],
    });
    const res = await redeem(code, verifier);
    expect(res.body.scope).toBe('openid');
    expect(res.body).not.toHaveProperty('refresh_token');
  });

  it('refuses a resource the client is not granted with invalid_target', async () => {
    const { code, verifier } = await writeCode(h.state, h.clock.now, { resources: ['https://hr.internal'] });
    expect((await redeem(code, verifier)).body).toEqual({
      error: 'invalid_target',
      error_description: "resource 'https://hr.internal' is unknown or not granted to this client",
    });
  });
});

describe('public clients at the token endpoint', () => {
  let h: PeopleHarness;
  beforeAll(async () => {
    h = await startPeopleHarness();
  });
  afterAll(() => h.close());

  it('may not use client_credentials by client_id alone', async () => {
    const res = await post(`${h.issuer}/oauth2/token`, {
      grant_type: 'client_credentials',
      client_id: 'spa.people',
    });
    expect(res.status).toBe(401);
    expect(res.body).toEqual({ error: 'invalid_client', error_description: 'client_secret is required' });
  });

  it('are public only with people sign-in settings: a none client without them cannot authenticate', async () => {
    const { people: _, ...bare } = peopleClient({ clientId: 'bare-public.people', authMethod: 'none' });
    const original = h.source.snapshot;
    h.source.snapshot = peopleWorld(h.keys, { clients: [bare] });
    onTestFinished(() => {
      h.source.snapshot = original;
    });
    const { code, verifier } = await writeCode(h.state, h.clock.now, { clientId: 'bare-public.people' });
    const res = await post(`${h.issuer}/oauth2/token`, {
      grant_type: 'authorization_code',
      client_id: 'bare-public.people',
      code,
      code_verifier: verifier,
      redirect_uri: 'https://app.example.com/callback',
    });
    expect(res.status).toBe(401);
    expect(res.body.error).toBe('invalid_client');
  });

  it('and a confidential client still needs its secret for authorization_code', async () => {
    const { code, verifier } = await writeCode(h.state, h.clock.now);
    const res = await post(`${h.issuer}/oauth2/token`, {
      grant_type: 'authorization_code',
      client_id: 'web-app.people',
      code,
      code_verifier: verifier,
      redirect_uri: 'https://app.example.com/callback',
    });
    expect(res.body).toEqual({ error: 'invalid_client', error_description: 'client_secret is required' });
  });
});
