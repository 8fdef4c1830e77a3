/**
 * The whole sign-in of issue 12 in a real browser with JavaScript disabled: relying party (openid-client) →
 * Latchkey's login page, where the person chooses the company IdP → the IdP's own login page (node-oidc-provider
 * behind an `oidc` Connection) → Latchkey's consent page for a third-party app → back at the app with a code,
 * exchanged for tokens → logout, after which the login page asks again. Every step by keyboard; screenshots of
 * each page in test-output/screenshots/browser/upstream-sign-in/.
 */
import * as oidc from 'openid-client';
import type { Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { STRICT_POLICY } from '../../src/outbound/address-policy.ts';
import type { CompiledConnection } from '../../src/store/snapshot.ts';
import {
  peopleClient,
  peopleWorld,
  signIn,
  startPeopleHarness,
  type PeopleHarness,
} from '../people/harness.ts';
import {
  expectNamedTabStops,
  openBrowser,
  screenshot,
  startCallbackServer,
  tabTo,
  type CallbackServer,
  type TestBrowser,
} from '../support/browser.ts';
import {
  COMPANY_PEOPLE,
  LATCHKEY_AT_IDP,
  startCompanyIdp,
  type CompanyIdp,
} from '../support/oidc-upstream.ts';
import { exchange, landing, relyingParty, startSignIn } from './relying-party.ts';

const APP = {
  clientId: 'browser-partner.people',
  secret: 'secret-browser-partner-6Tz4',
  name: 'Partner app',
};
const CAROL = 'emp-1001';

let idp: CompanyIdp;
let h: PeopleHarness;
let web: TestBrowser;
let app: CallbackServer;

function companyConnection(issuer: string): CompiledConnection {
  return {
    namespace: 'corp',
    name: 'company-idp',
    type: 'oidc',
    issuer,
    keys: [],
    signIn: signIn({ displayName: 'Company IdP', ...LATCHKEY_AT_IDP }),
  };
}

beforeAll(async () => {
  [idp, h, web, app] = await Promise.all([
    startCompanyIdp({ redirectUris: [] }),
    // The company IdP listens on 127.0.0.1, which the outbound policy refuses unless told otherwise.
    startPeopleHarness({ now: 'real', addressPolicy: { ...STRICT_POLICY, allowLoopback: true } }),
    openBrowser(),
    startCallbackServer(),
  ]);
  idp.registerRedirectUri(`${h.issuer}/login/callback`);
  h.source.snapshot = peopleWorld(h.keys, {
    connections: [companyConnection(idp.issuer)],
    clients: [
      peopleClient(
        { clientId: APP.clientId, secrets: [APP.secret] },
        {
          displayName: APP.name,
          firstParty: false,
          redirectUris: [app.url],
          postLogoutRedirectUris: [`${app.origin}/signed-out`],
          connections: ['people/test-people', 'corp/company-idp'],
        },
      ),
    ],
  });
});

afterAll(async () => {
  await web?.close();
  await Promise.all([app?.close(), h?.close(), idp?.close()]);
});

/** Opens the authorization URL and waits for the login page, which offers both Connections. */
async function openLoginPage(page: Page, url: URL): Promise<void> {
  await page.goto(url.href);
  await page.getByRole('heading', { name: `Sign in to ${APP.name}` }).waitFor();
  await page.getByRole('heading', { name: 'Choose how to sign in' }).waitFor();
}

describe('a third-party app, the company IdP behind an oidc Connection, JavaScript disabled', () => {
  it('walks app → login page → the IdP → consent → back with tokens, by keyboard', async () => {
    const config = await relyingParty(h.issuer, APP);
    const started = await startSignIn(config, app.url, 'openid profile email');
    const page = await web.newPage({ javaScript: false });

    await openLoginPage(page, started.url);
    await screenshot(page, '1-login-choose');
    expect((await expectNamedTabStops(page)).map((s) => `${s.role} "${s.name}"`)).toEqual(
      expect.arrayContaining(['button "Continue with Company IdP"', 'button "Continue with Test people"']),
    );
    await tabTo(page, 'button', 'Continue with Company IdP');
    await page.keyboard.press('Enter');

    await page.getByRole('heading', { name: 'Company IdP' }).waitFor();
    expect(new URL(page.url()).origin).toBe(idp.issuer);
    await screenshot(page, '2-upstream-login');
    await tabTo(page, 'textbox', 'Employee id');
    await page.keyboard.type(CAROL);
    await tabTo(page, 'textbox', 'Password');
    await page.keyboard.type(COMPANY_PEOPLE[CAROL]?.password ?? '');
    await page.keyboard.press('Enter');

    await page.getByRole('heading', { name: `${APP.name} wants access to your account` }).waitFor();
    expect(new URL(page.url()).origin).toBe(h.issuer);
    await expect(page.getByText('See your name and username').isVisible()).resolves.toBe(true);
    await expect(page.getByText('See your email address').isVisible()).resolves.toBe(true);
    await screenshot(page, '3-consent');
    await tabTo(page, 'button', 'Allow');
    await page.keyboard.press('Enter');

    const landed = await landing(page, app);
    await screenshot(page, '4-back-at-the-app');
    const tokens = await exchange(config, landed, started);
    const sub = tokens.claims()?.sub ?? '';
    expect(sub).toMatch(/^usr_/);
    expect(tokens.claims()).toMatchObject({ iss: h.issuer, aud: APP.clientId, nonce: started.nonce });
    expect(await oidc.fetchUserInfo(config, tokens.access_token, sub)).toMatchObject({
      email: 'carol@corp.example',
      name: 'Carol Corp',
    });

    // Logout without a redirect shows Latchkey's signed-out page; the next sign-in asks again.
    await page.goto(oidc.buildEndSessionUrl(config, { id_token_hint: tokens.id_token ?? '' }).href);
    await page.getByRole('heading', { name: 'You are signed out' }).waitFor();
    await screenshot(page, '5-signed-out');
    await openLoginPage(page, (await startSignIn(config, app.url, 'openid')).url);
  });
});
