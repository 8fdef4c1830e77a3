import * as oidc from 'openid-client';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { randomToken } from '../../src/people/digest.ts';
import type { SessionRecord } from '../../src/people/records.ts';
import { sessionCookieName } from '../../src/people/session.ts';
import { startPeopleHarness, WEB_SECRET, type PeopleHarness } from './harness.ts';
import { alice, ALICE_ID, writeUser } from './token-fixtures.ts';

/**
 * The token side after the real authorization endpoint (issue 12): a person with an SSO session is sent by
 * openid-client to /oauth2/authorize, comes back with a code, and the relying party redeems, refreshes and
 * reads userinfo. The session is written as the sign-in writes it, since the login pages are another part.
 */
describe('openid-client through /oauth2/authorize and /oauth2/token', () => {
  let h: PeopleHarness;
  let cookie: string;
  beforeAll(async () => {
    h = await startPeopleHarness({ now: 'real' });
    const now = Date.now();
    await writeUser(h.state, alice(now), now);
    const id = randomToken();
    const session: SessionRecord = {
      userId: ALICE_ID,
      sid: 'sid-through-authorize',
      connection: 'people/test-people',
      authTime: Math.floor(now / 1000),
      amr: ['pwd'],
      consents: {},
    };
    await h.state.insert(
      'session',
      id,
      { value: session, owner: ALICE_ID, expiresAtMs: now + 3_600_000 },
      now,
    );
    cookie = `${sessionCookieName(false)}=${id}`;
  });
  afterAll(() => h.close());

  it('signs alice in to the web app: code, tokens, a refresh and userinfo', async () => {
    const config = await oidc.discovery(
      new URL(h.issuer),
      'web-app.people',
      undefined,
      oidc.ClientSecretBasic(WEB_SECRET),
      { execute: [oidc.allowInsecureRequests] },
    );
    const verifier = oidc.randomPKCECodeVerifier();
    const state = oidc.randomState();
    const nonce = oidc.randomNonce();
    const url = oidc.buildAuthorizationUrl(config, {
      redirect_uri: 'https://app.example.com/callback',
      scope: 'openid email offline_access',
      code_challenge: await oidc.calculatePKCECodeChallenge(verifier),
      code_challenge_method: 'S256',
      state,
      nonce,
    });
    const res = await fetch(url, { headers: { cookie }, redirect: 'manual' });
    expect(res.status).toBe(303);
    const callback = new URL(res.headers.get('location') as string);
    expect(callback.origin + callback.pathname).toBe('https://app.example.com/callback');

    const tokens = await oidc.authorizationCodeGrant(config, callback, {
      pkceCodeVerifier: verifier,
      expectedState: state,
      expectedNonce: nonce,
      idTokenExpected: true,
    });
    expect(tokens.claims()).toMatchObject({
      sub: ALICE_ID,
      sid: 'sid-through-authorize',
      email: 'alice@example.com',
    });
    expect(tokens.refresh_token).toBeDefined();

    const refreshed = await oidc.refreshTokenGrant(config, tokens.refresh_token as string);
    expect(refreshed.claims()).toMatchObject({ sub: ALICE_ID });
    expect(await oidc.fetchUserInfo(config, refreshed.access_token, ALICE_ID)).toEqual({
      sub: ALICE_ID,
      email: 'alice@example.com',
      email_verified: true,
    });

    // The same code again: refused, and what it issued is revoked.
    await expect(
      oidc.authorizationCodeGrant(config, callback, {
        pkceCodeVerifier: verifier,
        expectedState: state,
        expectedNonce: nonce,
      }),
    ).rejects.toMatchObject({ error: 'invalid_grant' });
    await expect(oidc.refreshTokenGrant(config, refreshed.refresh_token as string)).rejects.toMatchObject({
      error: 'invalid_grant',
    });
  });
});
