import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { basic, form } from '../http/harness.ts';
import { startPeopleHarness, WEB_SECRET, type PeopleHarness } from './harness.ts';
import { authorizeUrl, get, pkce, postForm, signedIn, webRequest } from './authorize-support.ts';

/** With the runtime state down, sign-in fails closed and says so: 503 and Retry-After, never a 500 or a hang. */

let h: PeopleHarness;
let cookie: string;
beforeAll(async () => {
  h = await startPeopleHarness();
  cookie = (await signedIn(h)).cookie;
  await h.state.close();
});
afterAll(() => h.close());

describe('the runtime state is down', () => {
  it('GET /oauth2/authorize shows the unavailable page', async () => {
    const res = await get(authorizeUrl(h, webRequest(pkce().challenge)), cookie);
    expect(res.status).toBe(503);
    expect(res.headers.get('retry-after')).toBe('1');
    expect(res.headers.get('content-type')).toBe('text/html; charset=utf-8');
    expect(res.headers.get('location')).toBeNull();
  });

  it('POST /oauth2/par answers temporarily_unavailable', async () => {
    const res = await postForm(`${h.issuer}/oauth2/par`, form(webRequest(pkce().challenge)), {
      authorization: basic('web-app.people', WEB_SECRET),
    });
    expect(res.status).toBe(503);
    expect(((await res.json()) as { error: string }).error).toBe('temporarily_unavailable');
  });

  it('GET /oauth2/logout shows the unavailable page', async () => {
    const res = await get(`${h.issuer}/oauth2/logout`, cookie);
    expect(res.status).toBe(503);
    expect(res.headers.get('retry-after')).toBe('1');
    expect(res.headers.get('content-type')).toBe('text/html; charset=utf-8');
  });
});
