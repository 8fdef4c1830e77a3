import * as oidc from 'openid-client';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createSession } from '../../src/people/session.ts';
import { startPeopleHarness, WEB_SECRET, type PeopleHarness } from './harness.ts';
import { alice, ALICE_ID, writeUser } from './token-fixtures.ts';

/**
 * openid-client as the relying party pushes its request (RFC 9126), sends the browser with the request_uri,
 * checks `iss` and `state` on the way back (RFC 9207), redeems the code, and signs out through
 * end_session_endpoint with its ID token as the hint.
 */
describe('openid-client with PAR and RP-initiated logout', () => {
  let h: PeopleHarness;
  let cookie: string;
  let sessionId: string;
  beforeAll(async () => {
    h = await startPeopleHarness({ now: 'real' });
    const now = (): number => Date.now();
    await writeUser(h.state, alice(now()), now());
    const session = await createSession(
      { state: h.state, now },
      { userId: ALICE_ID, connection: 'people/test-people', amr: ['pwd'] },
    );
    sessionId = session.id;
    cookie = `latchkey-session=${session.id}`;
  });
  afterAll(() => h.close());

  it('signs in through a pushed request and signs out with the ID token as the hint', async () => {
    const config = await oidc.discovery(
      new URL(h.issuer),
      'web-app.people',
      undefined,
      oidc.ClientSecretBasic(WEB_SECRET),
      {
        execute: [oidc.allowInsecureRequests],
      },
    );
    const verifier = oidc.randomPKCECodeVerifier();
    const state = oidc.randomState();
    const nonce = oidc.randomNonce();
    const url = await oidc.buildAuthorizationUrlWithPAR(config, {
      redirect_uri: 'https://app.example.com/callback',
      scope: 'openid email',
      code_challenge: await oidc.calculatePKCECodeChallenge(verifier),
      code_challenge_method: 'S256',
      state,
      nonce,
    });
    expect([...url.searchParams.keys()].sort()).toEqual(['client_id', 'request_uri']);
    const res = await fetch(url, { headers: { cookie }, redirect: 'manual' });
    expect(res.status).toBe(303);
    const callback = new URL(res.headers.get('location') as string);
    const tokens = await oidc.authorizationCodeGrant(config, callback, {
      pkceCodeVerifier: verifier,
      expectedState: state,
      expectedNonce: nonce,
      idTokenExpected: true,
    });
    expect(tokens.claims()?.sub).toBe(ALICE_ID);

    const replay = await fetch(url, { headers: { cookie }, redirect: 'manual' });
    expect(new URL(replay.headers.get('location') as string).searchParams.get('error')).toBe(
      'invalid_request_uri',
    );

    const logout = oidc.buildEndSessionUrl(config, {
      id_token_hint: tokens.id_token as string,
      post_logout_redirect_uri: 'https://app.example.com/signed-out',
      state: 'bye',
    });
    const out = await fetch(logout, { headers: { cookie }, redirect: 'manual' });
    expect(out.status).toBe(303);
    expect(out.headers.get('location')).toBe('https://app.example.com/signed-out?state=bye');
    expect(await h.state.get('session', sessionId, Date.now())).toBeUndefined();
  });
});
