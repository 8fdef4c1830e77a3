/**
 * The relying party of the browser sign-in tests: openid-client configured by OpenID Connect discovery, as a
 * web app would be, starting authorization code + PKCE S256 with state and nonce and exchanging the code the
 * browser lands with.
 */
import * as oidc from 'openid-client';
import type { Page } from 'playwright-core';
import type { CallbackServer } from '../support/browser.ts';

/** A confidential client of the test world. */
export interface RelyingPartyClient {
  clientId: string;
  secret: string;
}

/** openid-client configured by discovery at `issuer` (plain http on 127.0.0.1, hence allowInsecureRequests). */
export async function relyingParty(issuer: string, client: RelyingPartyClient): Promise<oidc.Configuration> {
  return oidc.discovery(new URL(issuer), client.clientId, undefined, oidc.ClientSecretBasic(client.secret), {
    execute: [oidc.allowInsecureRequests],
  });
}

/** A started sign-in: the authorization URL and what the exchange must check against. */
export interface Started {
  url: URL;
  verifier: string;
  state: string;
  nonce: string;
}

/** Builds the authorization URL with a fresh PKCE verifier (S256), state and nonce. */
export async function startSignIn(
  config: oidc.Configuration,
  redirectUri: string,
  scope: string,
): Promise<Started> {
  const verifier = oidc.randomPKCECodeVerifier();
  const state = oidc.randomState();
  const nonce = oidc.randomNonce();
  const url = oidc.buildAuthorizationUrl(config, {
    redirect_uri: redirectUri,
    scope,
    code_challenge: await oidc.calculatePKCECodeChallenge(verifier),
    code_challenge_method: 'S256',
    state,
    nonce,
  });
  return { url, verifier, state, nonce };
}

/** openid-client's code exchange, checking state, iss (RFC 9207), PKCE and the ID token's nonce. */
export async function exchange(
  config: oidc.Configuration,
  landed: URL,
  started: Started,
): Promise<oidc.TokenEndpointResponse & oidc.TokenEndpointResponseHelpers> {
  return oidc.authorizationCodeGrant(config, landed, {
    pkceCodeVerifier: started.verifier,
    expectedState: started.state,
    expectedNonce: started.nonce,
    idTokenExpected: true,
  });
}

/** The browser's next landing on the relying party, once the page shows it. */
export async function landing(page: Page, app: CallbackServer): Promise<URL> {
  const landed = await app.next();
  await page.waitForURL(landed.href);
  return landed;
}
