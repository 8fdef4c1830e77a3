/**
 * A person signs in through a real browser (issue 12, "Tests that prove it"): openid-client, configured by
 * discovery, builds a relying party's authorization URL (PKCE S256, state, nonce); headless chromium with
 * JavaScript disabled follows it to Latchkey's login page, a test user signs in by keyboard alone, a
 * third-party client's consent page is passed, the browser lands on the client's redirect URI (a 127.0.0.1
 * server), and openid-client exchanges the code for tokens; a second sign-in rides the session cookie, and
 * RP-initiated logout ends it. A client's logo loads from its own https host (answered by `page.route`) without
 * a referrer. Screenshots of the pages are kept in test-output/screenshots/browser/sign-in/.
 */
import * as oidc from 'openid-client';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { payments } from '../http/harness.ts';
import { grant } from '../http/world.ts';
import {
  PEOPLE,
  peopleClient,
  peopleWorld,
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
import { solidPng } from '../support/png.ts';
import type { Page } from 'playwright-core';
import { exchange, landing, relyingParty, startSignIn, type Started } from './relying-party.ts';

const FIRST_PARTY = { clientId: 'browser-web.people', secret: 'secret-browser-web-3Jq7', name: 'Web app' };
const THIRD_PARTY = {
  clientId: 'browser-third-party.people',
  secret: 'secret-browser-third-party-9Pw2',
  name: 'Third-party app',
};
const BRANDED = {
  clientId: 'browser-branded.people',
  secret: 'secret-browser-branded-4Lk8',
  name: 'Branded app',
};
const LOGO = 'https://logo.example/brand/app.png';

let h: PeopleHarness;
let web: TestBrowser;
let app: CallbackServer;

beforeAll(async () => {
  [h, web, app] = await Promise.all([
    startPeopleHarness({ now: 'real' }),
    openBrowser(),
    startCallbackServer(),
  ]);
  // The harness's clients redirect to hosts this machine cannot reach; these two land on the callback server.
  h.source.snapshot = peopleWorld(h.keys, {
    clients: [
      peopleClient(
        {
          clientId: FIRST_PARTY.clientId,
          secrets: [FIRST_PARTY.secret],
          grants: [grant(payments, ['payments:read'])],
        },
        {
          displayName: FIRST_PARTY.name,
          redirectUris: [app.url],
          postLogoutRedirectUris: [`${app.origin}/signed-out`],
        },
      ),
      peopleClient(
        { clientId: THIRD_PARTY.clientId, secrets: [THIRD_PARTY.secret] },
        { displayName: THIRD_PARTY.name, firstParty: false, redirectUris: [app.url] },
      ),
      peopleClient(
        { clientId: BRANDED.clientId, secrets: [BRANDED.secret] },
        { displayName: BRANDED.name, firstParty: false, redirectUris: [app.url], logoUri: LOGO },
      ),
    ],
  });
});

afterAll(async () => {
  await web?.close();
  await Promise.all([app?.close(), h?.close()]);
});

/** Fills the test users' form by keyboard: Tab to each field, type, Enter. */
async function signInByKeyboard(
  page: Page,
  username: keyof typeof PEOPLE,
  password: string = PEOPLE[username].password,
): Promise<void> {
  await tabTo(page, 'textbox', 'Username');
  await page.keyboard.press('ControlOrMeta+A');
  await page.keyboard.type(username);
  await tabTo(page, 'textbox', 'Password');
  await page.keyboard.press('ControlOrMeta+A');
  await page.keyboard.type(password);
  await page.keyboard.press('Enter');
}

/** Opens the authorization URL and waits for the login page of `client`. */
async function openLoginPage(page: Page, started: Started, client: string): Promise<void> {
  await page.goto(started.url.href);
  await page.getByRole('heading', { name: `Sign in to ${client}` }).waitFor();
}

/** Waits for the third-party app's consent page (keyboard steps must not start on the page before it). */
async function consentPage(page: Page): Promise<void> {
  await page.getByRole('heading', { name: `${THIRD_PARTY.name} wants access to your account` }).waitFor();
}

describe('response_type=code in a browser, JavaScript disabled', () => {
  it('signs alice in to a first-party web app by keyboard, after a wrong password, and openid-client gets tokens and userinfo', async () => {
    const config = await relyingParty(h.issuer, FIRST_PARTY);
    const started = await startSignIn(config, app.url, 'openid profile email');
    const page = await web.newPage({ javaScript: false });
    await openLoginPage(page, started, FIRST_PARTY.name);
    await screenshot(page, 'login');
    const stops = await expectNamedTabStops(page);
    expect(stops.map((s) => `${s.role} "${s.name}"`)).toEqual(
      expect.arrayContaining(['textbox "Username"', 'textbox "Password"', 'button "Sign in"']),
    );

    await signInByKeyboard(page, 'alice', 'not-her-password');
    await page.getByText('The username or password is not right.').waitFor();
    await screenshot(page, 'login-wrong-password');
    await signInByKeyboard(page, 'alice');
    const landed = await landing(page, app);
    expect(landed.searchParams.get('state')).toBe(started.state);
    expect(landed.searchParams.get('iss')).toBe(h.issuer);
    await screenshot(page, 'landed-first-party');

    const tokens = await exchange(config, landed, started);
    const claims = tokens.claims();
    expect(claims).toMatchObject({ iss: h.issuer, aud: FIRST_PARTY.clientId, nonce: started.nonce });
    expect(claims?.sub).toMatch(/^usr_/);
    const userinfo = await oidc.fetchUserInfo(config, tokens.access_token, claims?.sub ?? '');
    expect(userinfo).toMatchObject({ email: PEOPLE.alice.email, name: PEOPLE.alice.name });
  });

  it('signs in again without a password while the session lasts, and not after logout', async () => {
    const config = await relyingParty(h.issuer, FIRST_PARTY);
    const page = await web.newPage({ javaScript: false });
    const first = await startSignIn(config, app.url, 'openid');
    await openLoginPage(page, first, FIRST_PARTY.name);
    await signInByKeyboard(page, 'bob');
    const tokens = await exchange(config, await landing(page, app), first);

    // The session cookie alone answers the second request: straight back with a code, no page shown.
    const second = await startSignIn(config, app.url, 'openid');
    await page.goto(second.url.href);
    const again = await landing(page, app);
    expect((await exchange(config, again, second)).claims()?.sub).toBe(tokens.claims()?.sub);

    const signedOut = `${app.origin}/signed-out`;
    await page.goto(
      oidc.buildEndSessionUrl(config, {
        id_token_hint: tokens.id_token ?? '',
        post_logout_redirect_uri: signedOut,
        state: 'after-logout',
      }).href,
    );
    const back = await landing(page, app);
    expect(`${back.origin}${back.pathname}`).toBe(signedOut);
    expect(back.searchParams.get('state')).toBe('after-logout');

    const third = await startSignIn(config, app.url, 'openid');
    await openLoginPage(page, third, FIRST_PARTY.name);
  });

  it('shows a third-party app the consent page, and Allow by keyboard lands with a code', async () => {
    const config = await relyingParty(h.issuer, THIRD_PARTY);
    const started = await startSignIn(config, app.url, 'openid email');
    const page = await web.newPage({ javaScript: false });
    await openLoginPage(page, started, THIRD_PARTY.name);
    await signInByKeyboard(page, 'bob');
    await consentPage(page);
    await expect(page.getByText('See your email address').isVisible()).resolves.toBe(true);
    await screenshot(page, 'consent');
    const stops = await expectNamedTabStops(page);
    expect(stops.map((s) => `${s.role} "${s.name}"`)).toEqual(
      expect.arrayContaining(['button "Allow"', 'button "Deny"']),
    );
    await tabTo(page, 'button', 'Allow');
    await page.keyboard.press('Enter');
    const landed = await landing(page, app);
    await screenshot(page, 'landed-third-party');
    const tokens = await exchange(config, landed, started);
    expect(tokens.claims()).toMatchObject({ iss: h.issuer, aud: THIRD_PARTY.clientId, nonce: started.nonce });
  });

  it('sends the third-party app access_denied when the person denies consent', async () => {
    const config = await relyingParty(h.issuer, THIRD_PARTY);
    const started = await startSignIn(config, app.url, 'openid email');
    const page = await web.newPage({ javaScript: false });
    await openLoginPage(page, started, THIRD_PARTY.name);
    await signInByKeyboard(page, 'alice');
    await consentPage(page);
    await tabTo(page, 'button', 'Deny');
    await page.keyboard.press('Enter');
    const landed = await landing(page, app);
    expect(Object.fromEntries(landed.searchParams)).toMatchObject({
      error: 'access_denied',
      state: started.state,
      iss: h.issuer,
    });
    expect(landed.searchParams.has('code')).toBe(false);
  });

  it("shows a client's logo from its own https host, asked for without a referrer, on the login and consent pages", async () => {
    const config = await relyingParty(h.issuer, BRANDED);
    const started = await startSignIn(config, app.url, 'openid email');
    const page = await web.newPage({ javaScript: false });
    const referrers: (string | undefined)[] = [];
    await page.route(`${new URL(LOGO).origin}/**`, async (route) => {
      referrers.push((await route.request().allHeaders()).referer);
      await route.fulfill({ contentType: 'image/png', body: solidPng(600, 300, [11, 87, 208]) });
    });
    const logo = page.locator('img.logo');
    const loadedWidth = () =>
      logo.evaluate((img: { complete: boolean; naturalWidth: number }) => img.complete && img.naturalWidth);
    const loaded = () => expect.poll(loadedWidth, { timeout: 10_000 }).toBe(600);

    await openLoginPage(page, started, BRANDED.name);
    await loaded();
    await expect(logo.getAttribute('alt')).resolves.toBe('');
    // The stylesheet caps it at 12rem × 4rem whatever size the tenant serves: 600×300 shows as 128×64.
    await expect(logo.boundingBox()).resolves.toMatchObject({ width: 128, height: 64 });
    await screenshot(page, 'login-logo');
    await signInByKeyboard(page, 'alice');
    await page.getByRole('heading', { name: `${BRANDED.name} wants access to your account` }).waitFor();
    await loaded();
    await screenshot(page, 'consent-logo');

    expect(referrers).toHaveLength(2);
    expect(referrers.every((r) => r === undefined)).toBe(true);
  });
});
