import { decodeJwt } from 'jose';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { DEVICE_CODE_LIFETIME_MS } from '../../src/people/device/poll.ts';
import { signedIn } from './authorize-support.ts';
import {
  answerConfirmation,
  DEVICE_CLI,
  DEVICE_GRANT,
  deviceWorld,
  enterCode,
  browserOf,
  pollOnce,
  startDevice,
  TV,
} from './device-support.ts';
import { startPeopleHarness, type PeopleHarness } from './harness.ts';
import type { Browser } from './login-browser.ts';
import { alice, ALICE_ID, basic, post, writeUser } from './token-fixtures.ts';

/**
 * The device authorization grant end to end over HTTP (RFC 8628, issue 13): the device authorization endpoint,
 * the verification and confirmation pages as a browser without script uses them, and the token endpoint's
 * polling with its interval enforced. The clock is the harness's, moved by the tests.
 */

let h: PeopleHarness;

beforeAll(async () => {
  h = await startPeopleHarness({
    userCodeLimits: {
      perBrowser: { failures: 3, windowSeconds: 900 },
      perAddress: { failures: 100, windowSeconds: 900 },
    },
  });
  h.source.snapshot = deviceWorld(h);
});
afterAll(() => h.close());
beforeEach(async () => {
  h.clock.now += 3_600_000;
  await writeUser(h.state, alice(h.clock.now), h.clock.now);
});

async function aliceBrowser(): Promise<Browser> {
  return browserOf(h, (await signedIn(h, ALICE_ID)).id);
}

describe('device authorization endpoint (RFC 8628 §3.1, §3.2)', () => {
  it('is in the discovery document with the grant type', async () => {
    const metadata = (await (await fetch(`${h.issuer}/.well-known/openid-configuration`)).json()) as Record<
      string,
      unknown
    >;
    expect(metadata.device_authorization_endpoint).toBe(`${h.issuer}/oauth2/device_authorization`);
    expect(metadata.grant_types_supported).toContain(DEVICE_GRANT);
  });

  it('answers a public client with the codes, the page, the lifetime and the interval', async () => {
    const { status, body } = await startDevice(h);
    expect(status).toBe(200);
    expect(body).toEqual({
      device_code: expect.stringMatching(/^[BCDFGHJKLMNPQRSTVWXZ]{8}\.[\w-]{43}$/),
      user_code: expect.stringMatching(/^[BCDFGHJKLMNPQRSTVWXZ]{4}-[BCDFGHJKLMNPQRSTVWXZ]{4}$/),
      verification_uri: `${h.issuer}/device`,
      verification_uri_complete: `${h.issuer}/device?user_code=${body.user_code as string}`,
      expires_in: 600,
      interval: 5,
    });
  });

  it('authenticates a confidential client as the token endpoint does', async () => {
    const res = await post(
      `${h.issuer}/oauth2/device_authorization`,
      { scope: 'openid' },
      {
        authorization: basic(TV.clientId, TV.secret),
      },
    );
    expect(res.status).toBe(200);
    const wrong = await post(
      `${h.issuer}/oauth2/device_authorization`,
      { scope: 'openid' },
      {
        authorization: basic(TV.clientId, 'not-the-secret'),
      },
    );
    expect(wrong.status).toBe(401);
    expect(wrong.body.error).toBe('invalid_client');
    const none = await post(`${h.issuer}/oauth2/device_authorization`, { client_id: TV.clientId });
    expect(none.body.error).toBe('invalid_client');
  });

  it.each([
    [{ client_id: 'cli.people' }, 400, 'unauthorized_client'],
    [{ client_id: 'nobody.people' }, 401, 'invalid_client'],
    [{ client_id: DEVICE_CLI, resource: 'not a uri' }, 400, 'invalid_target'],
    [{ client_id: DEVICE_CLI, scope: 'a"b' }, 400, 'invalid_scope'],
  ])('refuses %j with %s %s', async (params, status, error) => {
    const res = await post(`${h.issuer}/oauth2/device_authorization`, params);
    expect(res.status).toBe(status);
    expect(res.body.error).toBe(error);
    expect(res.headers.get('cache-control')).toBe('no-store');
  });

  it('answers other methods 405', async () => {
    const res = await fetch(`${h.issuer}/oauth2/device_authorization`);
    expect(res.status).toBe(405);
    expect(res.headers.get('allow')).toBe('POST');
  });
});

describe('polling (RFC 8628 §3.4, §3.5)', () => {
  it('is pending, slows a device that polls too fast by 5 s each time, and issues once approved', async () => {
    const { body } = await startDevice(h);
    const deviceCode = body.device_code as string;
    expect((await pollOnce(h, deviceCode)).body.error).toBe('authorization_pending');
    h.clock.now += 1000;
    expect((await pollOnce(h, deviceCode)).body.error).toBe('slow_down');
    h.clock.now += 6000;
    const second = await pollOnce(h, deviceCode);
    expect(second.status).toBe(400);
    expect(second.body).toEqual({
      error: 'slow_down',
      error_description: expect.stringContaining('15 seconds'),
    });
    h.clock.now += 15_000;
    expect((await pollOnce(h, deviceCode)).body.error).toBe('authorization_pending');

    const b = await aliceBrowser();
    const answered = h.seen('signIn.deviceAnswered');
    const seenBefore = answered.length;
    const { answer, page } = await answerConfirmation(
      b,
      await enterCode(b, body.user_code as string),
      'allow',
    );
    expect(page).toContain(body.user_code as string);
    expect(answer.status).toBe(200);
    expect(await answer.text()).toContain('Your device is signed in');
    expect(answered.slice(seenBefore)).toEqual([{ clientId: DEVICE_CLI, approved: true }]);

    // The answer is given at once, whatever the interval.
    const issued = await pollOnce(h, deviceCode);
    expect(issued.status).toBe(200);
    expect(issued.body).toMatchObject({ token_type: 'Bearer', scope: 'openid offline_access payments:read' });
    expect(decodeJwt(issued.body.id_token as string)).toMatchObject({ sub: ALICE_ID, aud: DEVICE_CLI });
    expect(decodeJwt(issued.body.access_token as string)).toMatchObject({
      sub: ALICE_ID,
      client_id: DEVICE_CLI,
    });
    expect(issued.body.refresh_token).toEqual(expect.any(String));

    const again = await pollOnce(h, deviceCode);
    expect(again.body.error).toBe('invalid_grant');
    const refreshed = await post(`${h.issuer}/oauth2/token`, {
      grant_type: 'refresh_token',
      refresh_token: issued.body.refresh_token as string,
      client_id: DEVICE_CLI,
    });
    expect(refreshed.status).toBe(200);
  });

  it('answers access_denied after the person denies, and nothing is issued', async () => {
    const { body } = await startDevice(h);
    const b = await aliceBrowser();
    const answered = h.seen('signIn.deviceAnswered');
    const seenBefore = answered.length;
    const { answer } = await answerConfirmation(b, await enterCode(b, body.user_code as string), 'deny');
    expect(await answer.text()).toContain('Device sign-in denied');
    expect(answered.slice(seenBefore)).toEqual([{ clientId: DEVICE_CLI, approved: false }]);
    expect((await pollOnce(h, body.device_code as string)).body.error).toBe('access_denied');
    h.clock.now += 5000;
    expect((await pollOnce(h, body.device_code as string)).body.error).toBe('access_denied');
  });

  it('answers expired_token once the codes expired, and the page no longer takes the code', async () => {
    const { body } = await startDevice(h);
    h.clock.now += DEVICE_CODE_LIFETIME_MS;
    expect((await pollOnce(h, body.device_code as string)).body.error).toBe('expired_token');
    const b = await aliceBrowser();
    const res = await enterCode(b, body.user_code as string);
    expect(res.status).toBe(400);
    expect(await res.text()).toContain('That code is not known, was already used or has expired');
  });

  it.each([
    ['another client', (code: string) => ({ code, client: 'tv' })],
    [
      'a device code with another secret part',
      (code: string) => ({ code: `${code.slice(0, 9)}${'A'.repeat(43)}`, client: 'cli' }),
    ],
    ['a made-up code', () => ({ code: 'not-a-device-code', client: 'cli' })],
  ])('refuses %s with invalid_grant', async (_, present) => {
    const { body } = await startDevice(h);
    const { code, client } = present(body.device_code as string);
    const res =
      client === 'tv'
        ? await post(
            `${h.issuer}/oauth2/token`,
            { grant_type: DEVICE_GRANT, device_code: code },
            {
              authorization: basic(TV.clientId, TV.secret),
            },
          )
        : await pollOnce(h, code);
    expect(res.status).toBe(400);
    expect(res.body.error).toBe('invalid_grant');
    // The rightful device is not disturbed.
    expect((await pollOnce(h, body.device_code as string)).body.error).toBe('authorization_pending');
  });

  it('refuses a poll without device_code and a client without the grant', async () => {
    expect(
      (await post(`${h.issuer}/oauth2/token`, { grant_type: DEVICE_GRANT, client_id: DEVICE_CLI })).body
        .error,
    ).toBe('invalid_request');
    const other = await post(`${h.issuer}/oauth2/token`, {
      grant_type: DEVICE_GRANT,
      client_id: 'cli.people',
      device_code: 'x',
    });
    expect(other.body.error).toBe('unauthorized_client');
  });
});

describe('verification page (RFC 8628 §3.3, §5.4)', () => {
  it('takes the code typed in lower case with spaces, and confirms even for a first-party client', async () => {
    const { body } = await startDevice(h);
    const typed = ` ${(body.user_code as string).toLowerCase().replace('-', ' ')} `;
    const b = await aliceBrowser();
    const { page } = await answerConfirmation(b, await enterCode(b, typed), 'allow');
    expect(page).toContain('Sign in to Device CLI on your device?');
    expect(page).toContain('If someone sent you this link or this code, deny.');
  });

  it('fills in the code of verification_uri_complete and does nothing until it is submitted', async () => {
    const { body } = await startDevice(h);
    const b = await aliceBrowser();
    const res = await b.get(body.verification_uri_complete as string);
    expect(res.status).toBe(200);
    // Its form posts to itself, and a right code answers with a redirect to this origin's pages.
    expect(res.headers.get('content-security-policy')).toContain("form-action 'self';");
    expect(await res.text()).toContain(`value="${body.user_code as string}"`);
    expect((await pollOnce(h, body.device_code as string)).body.error).toBe('authorization_pending');
  });

  it('sends a person without a session to sign in first, then to the confirmation', async () => {
    const { body } = await startDevice(h);
    const b = browserOf(h);
    const res = await enterCode(b, body.user_code as string);
    expect(res.status).toBe(303);
    expect(new URL(res.headers.get('location') as string).pathname).toBe('/login');
  });

  it('tells a malformed code apart from an unknown one, and limits wrong codes per browser', async () => {
    const b = await aliceBrowser();
    const malformed = await enterCode(b, 'ABC');
    expect(malformed.status).toBe(400);
    expect(await malformed.text()).toContain('That is not a device code');
    for (let i = 0; i < 3; i++) {
      const wrong = await enterCode(b, 'BBBB-BBBB');
      expect(wrong.status).toBe(400);
      expect(await wrong.text()).toContain('That code is not known');
    }
    const { body } = await startDevice(h);
    const throttled = await enterCode(b, body.user_code as string);
    expect(throttled.status).toBe(429);
    expect(Number(throttled.headers.get('retry-after'))).toBeGreaterThan(0);
    // Another browser is not held back by this one's guesses.
    const other = await aliceBrowser();
    expect((await enterCode(other, body.user_code as string)).status).toBe(303);
  });

  it('refuses a form without the page token', async () => {
    const b = await aliceBrowser();
    await b.get('/device');
    const res = await b.post('/device', { user_code: 'BBBB-BBBB', csrf: 'forged' });
    expect(res.status).toBe(403);
  });

  it('records one answer when two tabs answer the same device', async () => {
    const { body } = await startDevice(h);
    const b = await aliceBrowser();
    const first = await enterCode(b, body.user_code as string);
    const second = await enterCode(b, body.user_code as string);
    const allowed = await answerConfirmation(b, first, 'allow');
    const denied = await answerConfirmation(b, second, 'deny');
    expect(allowed.answer.status).toBe(200);
    expect(denied.answer.status).toBe(400);
    expect(await denied.answer.text()).toContain('This device sign-in has expired');
    expect((await pollOnce(h, body.device_code as string)).status).toBe(200);
  });
});
