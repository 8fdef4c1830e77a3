import { expect } from 'vitest';
import { grant } from '../http/world.ts';
import { payments } from '../http/harness.ts';
import { peopleClient, peopleWorld, type PeopleHarness } from './harness.ts';

/**
 * What the device flow's tests share (RFC 8628, issue 13): clients that may use the device grant, and a
 * browser without script driving the verification and confirmation pages with its cookies.
 */

export const DEVICE_GRANT = 'urn:ietf:params:oauth:grant-type:device_code';
export const DEVICE_CLI = 'device-cli.people';
export const TV = { clientId: 'tv.people', secret: 'secret-tv-app-7Hd3' };

/** The people world with a native CLI (public) and a web TV app (confidential) that use the device grant. */
export function deviceWorld(h: PeopleHarness) {
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

/** A browser as HTTP requests: it keeps the cookies it is given and never runs script. */
export class FormBrowser {
  readonly cookies = new Map<string, string>();
  constructor(cookie?: string) {
    if (cookie !== undefined) this.take(cookie);
  }

  header(): string {
    return [...this.cookies].map(([k, v]) => `${k}=${v}`).join('; ');
  }

  async get(url: string): Promise<Response> {
    return this.#keep(await fetch(url, { redirect: 'manual', headers: { cookie: this.header() } }));
  }

  async post(url: string, fields: Record<string, string>): Promise<Response> {
    return this.#keep(
      await fetch(url, {
        method: 'POST',
        redirect: 'manual',
        headers: { 'content-type': 'application/x-www-form-urlencoded', cookie: this.header() },
        body: new URLSearchParams(fields).toString(),
      }),
    );
  }

  take(cookie: string): void {
    const [pair = ''] = cookie.split(';');
    const eq = pair.indexOf('=');
    this.cookies.set(pair.slice(0, eq).trim(), pair.slice(eq + 1).trim());
  }

  #keep(res: Response): Response {
    for (const c of res.headers.getSetCookie()) this.take(c);
    return res;
  }
}

/** A hidden field's value on a page. */
export function field(page: string, name: string): string {
  const found = new RegExp(`name="${name}" value="([^"]*)"`).exec(page);
  if (found === null) throw new Error(`no field ${name} on the page:\n${page}`);
  return found[1] as string;
}

/** Opens the verification page and submits `typed`: the response to the submission. */
export async function enterCode(h: PeopleHarness, b: FormBrowser, typed: string): Promise<Response> {
  const page = await b.get(`${h.issuer}/device`);
  expect(page.status).toBe(200);
  return b.post(`${h.issuer}/device`, { csrf: field(await page.text(), 'csrf'), user_code: typed });
}

/** Follows a 303 to the confirmation page and answers it: the response to the answer, and the page's text. */
export async function answerConfirmation(
  b: FormBrowser,
  toConfirm: Response,
  decision: 'allow' | 'deny',
): Promise<{ answer: Response; page: string }> {
  expect(toConfirm.status).toBe(303);
  const location = toConfirm.headers.get('location') as string;
  expect(new URL(location).pathname).toBe('/consent');
  const page = await (await b.get(location)).text();
  const answer = await b.post(new URL('/consent', location).href, {
    request: field(page, 'request'),
    csrf: field(page, 'csrf'),
    decision,
  });
  return { answer, page };
}

/** Starts a device authorization for the CLI: the JSON response. */
export async function startDevice(
  h: PeopleHarness,
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
  h: PeopleHarness,
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
