/**
 * The device flow in a real browser (RFC 8628, issue 13): openid-client plays the CLI, starting the device
 * authorization and polling the token endpoint; headless chromium with JavaScript disabled plays the person, who
 * opens the verification page, types the code by keyboard, signs in through the test Connection and confirms on a
 * page that shows the code. Also a denial through verification_uri_complete, a wrong code and an expired one.
 * Screenshots are kept in test-output/screenshots/browser/device/.
 */
import * as oidc from 'openid-client';
import type { Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { digestOf } from '../../src/people/digest.ts';
import { DEVICE_CODE_LIFETIME_MS } from '../../src/people/device/poll.ts';
import { DEVICE_CLI, deviceWorld } from '../people/device-support.ts';
import { PEOPLE, startPeopleHarness, type PeopleHarness } from '../people/harness.ts';
import { expectNamedTabStops, openBrowser, screenshot, tabTo, type TestBrowser } from '../support/browser.ts';

let h: PeopleHarness;
let web: TestBrowser;
let cli: oidc.Configuration;

beforeAll(async () => {
  [h, web] = await Promise.all([startPeopleHarness({ now: 'real' }), openBrowser()]);
  h.source.snapshot = deviceWorld(h);
  cli = await oidc.discovery(new URL(h.issuer), DEVICE_CLI, undefined, oidc.None(), {
    execute: [oidc.allowInsecureRequests],
  });
});

afterAll(async () => {
  await web?.close();
  await h?.close();
});

/** Types a code into the verification page by keyboard and sends it. */
async function typeCode(page: Page, code: string): Promise<void> {
  await page.getByRole('heading', { name: 'Sign in on a device' }).waitFor();
  await tabTo(page, 'textbox', 'Code from your device');
  await page.keyboard.press('ControlOrMeta+A');
  await page.keyboard.type(code);
  await page.keyboard.press('Enter');
}

async function signInByKeyboard(page: Page, username: keyof typeof PEOPLE): Promise<void> {
  await page.getByRole('heading', { name: 'Sign in to Device CLI' }).waitFor();
  await tabTo(page, 'textbox', 'Username');
  await page.keyboard.type(username);
  await tabTo(page, 'textbox', 'Password');
  await page.keyboard.type(PEOPLE[username].password);
  await page.keyboard.press('Enter');
}

async function confirmationPage(page: Page): Promise<void> {
  await page.getByRole('heading', { name: 'Sign in to Device CLI on your device?' }).waitFor();
}

describe('the device flow, JavaScript disabled', () => {
  it('signs alice in on the CLI: the code typed by keyboard, a sign-in, a confirmation showing the code', async () => {
    const device = await oidc.initiateDeviceAuthorization(cli, { scope: 'openid offline_access' });
    expect(device.verification_uri).toBe(`${h.issuer}/device`);
    const page = await web.newPage({ javaScript: false });
    await page.goto(device.verification_uri);
    await page.getByRole('heading', { name: 'Sign in on a device' }).waitFor();
    await screenshot(page, 'enter-code');
    const stops = await expectNamedTabStops(page);
    expect(stops.map((s) => `${s.role} "${s.name}"`)).toEqual(
      expect.arrayContaining(['textbox "Code from your device"', 'button "Continue"']),
    );
    await typeCode(page, device.user_code.toLowerCase());
    await signInByKeyboard(page, 'alice');
    await confirmationPage(page);
    await expect(page.locator('#device-code').textContent()).resolves.toBe(device.user_code);
    await screenshot(page, 'confirm');
    const confirmStops = await expectNamedTabStops(page);
    expect(confirmStops.map((s) => `${s.role} "${s.name}"`)).toEqual(
      expect.arrayContaining(['button "Confirm and sign in the device"', 'button "Deny"']),
    );
    await tabTo(page, 'button', 'Confirm and sign in the device');
    await page.keyboard.press('Enter');
    await page.getByRole('heading', { name: 'Your device is signed in' }).waitFor();
    await screenshot(page, 'approved');

    const tokens = await oidc.pollDeviceAuthorizationGrant(cli, device);
    expect(tokens.claims()).toMatchObject({ iss: h.issuer, aud: DEVICE_CLI });
    expect(tokens.claims()?.sub).toMatch(/^usr_/);
    expect(tokens.refresh_token).toEqual(expect.any(String));
  });

  it('fills the code in from verification_uri_complete, and a denial reaches the CLI as access_denied', async () => {
    const device = await oidc.initiateDeviceAuthorization(cli, { scope: 'openid' });
    const page = await web.newPage({ javaScript: false });
    await page.goto(device.verification_uri_complete as string);
    await expect(page.getByLabel('Code from your device').inputValue()).resolves.toBe(device.user_code);
    await screenshot(page, 'complete-uri');
    await tabTo(page, 'button', 'Continue');
    await page.keyboard.press('Enter');
    await signInByKeyboard(page, 'bob');
    await confirmationPage(page);
    await tabTo(page, 'button', 'Deny');
    await page.keyboard.press('Enter');
    await page.getByRole('heading', { name: 'Device sign-in denied' }).waitFor();
    await screenshot(page, 'denied');
    await expect(oidc.pollDeviceAuthorizationGrant(cli, device)).rejects.toMatchObject({
      error: 'access_denied',
    });
  });

  it('says so of a wrong code, announced and marked on the field', async () => {
    const page = await web.newPage({ javaScript: false });
    await page.goto(`${h.issuer}/device`);
    await typeCode(page, 'BBBB-BBBB');
    await page.getByRole('alert').filter({ hasText: 'That code is not known' }).waitFor();
    await expect(page.getByLabel('Code from your device').getAttribute('aria-invalid')).resolves.toBe('true');
    await screenshot(page, 'wrong-code');
    await typeCode(page, 'ABC');
    // The same heading is on the page before and after: wait for the new alert itself.
    await page.getByRole('alert').filter({ hasText: 'That is not a device code' }).waitFor();
    await expect(page.getByLabel('Code from your device').inputValue()).resolves.toBe('ABC');
  });

  it('refuses an expired code', async () => {
    const nowMs = Date.now();
    const userCode = 'ZZZZXXXX';
    await h.state.insert(
      'device_authorization',
      userCode,
      {
        value: {
          deviceCodeDigest: digestOf(`${userCode}.x`),
          clientId: DEVICE_CLI,
          scopes: ['openid'],
          resources: [],
          createdAtMs: nowMs - DEVICE_CODE_LIFETIME_MS - 1,
          intervalSeconds: 5,
        },
        expiresAtMs: nowMs + 60_000,
      },
      nowMs,
    );
    const page = await web.newPage({ javaScript: false });
    await page.goto(`${h.issuer}/device?user_code=ZZZZ-XXXX`);
    await tabTo(page, 'button', 'Continue');
    await page.keyboard.press('Enter');
    await page.getByRole('alert').filter({ hasText: 'has expired' }).waitFor();
    await screenshot(page, 'expired-code');
  });
});
