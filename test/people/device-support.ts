import { expect } from 'vitest';
import { grant } from '../http/world.ts';
import { payments } from '../http/harness.ts';
import { sessionCookieName } from '../../src/people/session.ts';
import { peopleClient, peopleWorld, type PeopleHarness } from './harness.ts';
import { Browser, formOf } from './login-browser.ts';
import type { CompanyIdp } from '../support/oidc-upstream.ts';

/**
 * What the device flow's tests share (RFC 8628, issue 13): clients that may use the device grant, and the
 * steps of the verification and confirmation pages as a browser without script takes them.
 */

export const DEVICE_GRANT = 'urn:ietf:params:oauth:grant-type:device_code';
export const DEVICE_CLI = 'device-cli.people';
export const TV = { clientId: 'tv.people', secret: 'secret-tv-app-7Hd3' };

/** The people world with a native CLI (public) and a web TV app (confidential) that use the device grant. */
export function deviceWorld(h: Pick<PeopleHarness, 'keys'>) {
  return peopleWorld(h.keys, {
    clients: [
      peopleClient(
        {
          clientId: DEVICE_CLI,
          authMethod: 'none',
          grantTypes: [DEVICE_GRANT, 'refresh_token'],
          grants: [grant(payments, ['payments:read'])],
        },
        { appType: 'native', displayName: 'Device CLI', redirectUris: [] },
      ),
      peopleClient(
        { clientId: TV.clientId, secrets: [TV.secret], grantTypes: [DEVICE_GRANT] },
        { displayName: 'TV app', redirectUris: [] },
      ),
    ],
  });
}

/** A browser signed in as alice (a session of the test Connection), or signed out. */
export function browserOf(h: Pick<PeopleHarness, 'issuer'>, session?: string): Browser {
  const b = new Browser(h);
  if (session !== undefined) b.cookies.set(sessionCookieName(false), session);
  return b;
}

/** Opens the verification page and submits `typed`: the response to the submission. */
export async function enterCode(b: Browser, typed: string): Promise<Response> {
  const page = await b.get('/device');
  expect(page.status).toBe(200);
  const form = formOf(await page.text(), '/device');
  return b.post(form.action, { ...form.fields, user_code: typed });
}

/** Follows a 303 to the confirmation page and answers it: the response to the answer, and the page's text. */
export async function answerConfirmation(
  b: Browser,
  toConfirm: Response,
  decision: 'allow' | 'deny',
): Promise<{ answer: Response; page: string }> {
  expect(toConfirm.status).toBe(303);
  const location = toConfirm.headers.get('location') as string;
  expect(new URL(location).pathname).toBe('/consent');
  const page = await (await b.get(location)).text();
  const form = formOf(page, '/consent');
  const answer = await b.post(form.action, { ...form.fields, decision });
  return { answer, page };
}

/** Starts a device authorization for the CLI: the JSON response. */
export async function startDevice(
  h: Pick<PeopleHarness, 'issuer'>,
  params: Record<string, string> = { client_id: DEVICE_CLI, scope: 'openid offline_access payments:read' },
): Promise<{ status: number; body: Record<string, unknown> }> {
  const res = await fetch(`${h.issuer}/oauth2/device_authorization`, {
    method: 'POST',
    headers: { 'content-type': 'application/x-www-form-urlencoded' },
    body: new URLSearchParams(params).toString(),
  });
  return { status: res.status, body: (await res.json()) as Record<string, unknown> };
}

/** One poll of the token endpoint by the CLI. */
export async function pollOnce(
  h: Pick<PeopleHarness, 'issuer'>,
  deviceCode: string,
  clientId = DEVICE_CLI,
): Promise<{ status: number; body: Record<string, unknown> }> {
  const res = await fetch(`${h.issuer}/oauth2/token`, {
    method: 'POST',
    headers: { 'content-type': 'application/x-www-form-urlencoded' },
    body: new URLSearchParams({
      grant_type: DEVICE_GRANT,
      device_code: deviceCode,
      client_id: clientId,
    }).toString(),
  });
  return { status: res.status, body: (await res.json()) as Record<string, unknown> };
}

/** The person opens the address the CLI printed, signs in at the company IdP as `accountId`, and answers. */
export async function answerThroughIdp(
  h: Pick<PeopleHarness, 'issuer'>,
  idp: CompanyIdp,
  shown: { url: string; code: string },
  accountId: string,
  decision: 'allow' | 'deny',
): Promise<void> {
  const { url, code } = shown;
  const browser = new Browser(h);
  const page = await (await browser.get(url)).text();
  expect(page).toContain(`value="${code}"`);
  const codeForm = formOf(page, '/device');
  const entered = await browser.post(codeForm.action, { ...codeForm.fields, user_code: code });
  const upstream = await browser.follow(entered);
  const toIdp = new URL(upstream.headers.get('location') as string);
  expect(toIdp.origin).toBe(idp.issuer);
  const callback = await idp.signIn(toIdp.href, accountId);
  const confirm = await browser.follow(await browser.get(callback.href));
  const confirmPage = await confirm.text();
  expect(confirmPage).toContain(code);
  const form = formOf(confirmPage, '/consent');
  const answered = await browser.post(form.action, { ...form.fields, decision });
  expect(answered.status).toBe(200);
}
