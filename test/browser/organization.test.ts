/**
 * The choice of organization in a real browser (issue 13): carol, a member of Acme Corp and Globex, signs in to
 * the portal, which requires an organization, through the test Connection's form and lands on the page that asks
 * which one; every choice is a named button the keyboard reaches. She chooses Globex by keyboard and the portal
 * gets a code for Globex. With JavaScript disabled the page works the same, and "Cancel sign-in" sends
 * access_denied back to the portal.
 *
 * The portal's redirect URI is on a host the browser cannot reach, and playwright does not route the target of a
 * redirect (test/support/browser.ts): where the browser was sent is read from the request it makes there.
 * Screenshots are kept in test-output/screenshots/browser/organization/.
 */
import * as oidc from 'openid-client';
import type { Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startPeopleHarness, type PeopleHarness } from '../people/harness.ts';
import {
  GLOBEX,
  organizationRequest,
  PASSWORDS,
  PAYMENTS,
  PORTAL,
  PORTAL_SECRET,
  serveOrganizationsWorld,
} from '../people/organizations-world.ts';
import { expectNamedTabStops, openBrowser, screenshot, tabTo, type TestBrowser } from '../support/browser.ts';

const CALLBACK = 'https://portal.example.com/callback';

let h: PeopleHarness;
let web: TestBrowser;

beforeAll(async () => {
  [h, web] = await Promise.all([startPeopleHarness({ now: 'real' }), openBrowser()]);
  serveOrganizationsWorld(h);
});

afterAll(async () => {
  await web?.close();
  await h?.close();
});

/** Opens the portal's authorization request and signs carol in on the test Connection's form. */
async function signInCarol(page: Page, params: Record<string, string>): Promise<void> {
  await page.goto(`${h.issuer}/oauth2/authorize?${new URLSearchParams(params).toString()}`);
  await page.getByLabel('Username').fill('carol');
  await page.getByLabel('Password').fill(PASSWORDS.carol);
  await page.getByRole('button', { name: 'Sign in' }).click();
}

/** Waits for the organization page, checks what it offers by role and name, and keeps a screenshot. */
async function organizationPage(page: Page, name: string): Promise<void> {
  await page.getByRole('heading', { name: 'Choose an organization' }).waitFor();
  expect(new URL(page.url()).pathname).toBe('/organization');
  await page.getByRole('button', { name: 'Acme Corp', exact: true }).waitFor();
  await page.getByRole('button', { name: 'Globex', exact: true }).waitFor();
  await screenshot(page, name);
  const stops = await expectNamedTabStops(page);
  expect(stops.filter((s) => s.role === 'button').map((s) => s.name)).toEqual([
    'Acme Corp',
    'Globex',
    'Cancel sign-in',
  ]);
}

/** Tabs to the button, presses Enter, and returns the URL the browser was then sent to on the portal. */
async function pressAndLand(page: Page, button: string): Promise<URL> {
  const sent = page.waitForRequest((r) => r.url().startsWith(`${CALLBACK}?`));
  await tabTo(page, 'button', button);
  await page.keyboard.press('Enter');
  return new URL((await sent).url());
}

/** Redeems the code as the portal does, checking state, nonce and PKCE. */
async function redeem(landed: URL, verifier: string) {
  const portal = await oidc.discovery(
    new URL(h.issuer),
    PORTAL,
    undefined,
    oidc.ClientSecretBasic(PORTAL_SECRET),
    {
      execute: [oidc.allowInsecureRequests],
    },
  );
  const checks = { pkceCodeVerifier: verifier, expectedState: 'state-1', expectedNonce: 'nonce-1' };
  return oidc.authorizationCodeGrant(portal, landed, checks, { resource: PAYMENTS });
}

describe('the choice of organization', () => {
  it('offers carol both her organizations, and Globex chosen by keyboard reaches the portal as a code', async () => {
    const { params, verifier } = organizationRequest(PORTAL);
    const page = await web.newPage();
    await signInCarol(page, params);
    await organizationPage(page, 'choose');

    const landed = await pressAndLand(page, 'Globex');
    expect(`${landed.origin}${landed.pathname}`).toBe(CALLBACK);
    expect(landed.searchParams.get('code')).toEqual(expect.any(String));
    expect(landed.searchParams.get('state')).toBe('state-1');
    expect(landed.searchParams.get('error')).toBeNull();
    const tokens = await redeem(landed, verifier);
    expect(tokens.claims()).toMatchObject({ iss: h.issuer, aud: PORTAL, org_id: GLOBEX });
  });

  it('works with JavaScript disabled, and Cancel sign-in sends access_denied to the portal', async () => {
    const { params } = organizationRequest(PORTAL);
    const page = await web.newPage({ javaScript: false });
    await signInCarol(page, params);
    await organizationPage(page, 'choose-no-javascript');

    const landed = await pressAndLand(page, 'Cancel sign-in');
    expect(`${landed.origin}${landed.pathname}`).toBe(CALLBACK);
    expect(landed.searchParams.get('error')).toBe('access_denied');
    expect(landed.searchParams.get('state')).toBe('state-1');
    expect(landed.searchParams.get('code')).toBeNull();
  });
});
