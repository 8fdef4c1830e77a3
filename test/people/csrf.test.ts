import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { browserCookieName, checkCsrfToken, csrfToken } from '../../src/people/csrf.ts';
import { authorizeUrl, pkce, webRequest } from './authorize-support.ts';
import { PEOPLE, startPeopleHarness, type PeopleHarness } from './harness.ts';
import { Browser, formOf } from './login-browser.ts';

const BROWSER = 'b'.repeat(43);

describe('csrfToken', () => {
  it('fits one browser, one form and one request only', () => {
    const token = csrfToken(BROWSER, 'consent', 'req-1');
    expect(token).toMatch(/^[\w-]{43}$/);
    expect(checkCsrfToken(BROWSER, 'consent', 'req-1', token)).toBe(true);
    expect(checkCsrfToken('c'.repeat(43), 'consent', 'req-1', token)).toBe(false);
    expect(checkCsrfToken(BROWSER, 'test_user', 'req-1', token)).toBe(false);
    expect(checkCsrfToken(BROWSER, 'consent', 'req-2', token)).toBe(false);
    for (const hostile of [undefined, '', token.slice(1), `${token}x`, '__proto__', 'ünïcödé'.repeat(6)]) {
      expect(checkCsrfToken(BROWSER, 'consent', 'req-1', hostile)).toBe(false);
    }
  });

  it('names the cookie __Host- on https only (RFC 6265bis §4.1.3.2)', () => {
    expect(browserCookieName(true)).toBe('__Host-latchkey-browser');
    expect(browserCookieName(false)).toBe('latchkey-browser');
  });
});

describe('CSRF on POST /login/password, through the real server', () => {
  let h: PeopleHarness;
  beforeAll(async () => {
    h = await startPeopleHarness();
  });
  afterAll(() => h.close());

  async function form(browser: Browser) {
    const login = await browser.follow(await browser.get(authorizeUrl(h, webRequest(pkce().challenge))));
    const f = formOf(await login.text(), '/login/password');
    return { action: f.action, fields: { ...f.fields, username: 'alice', password: PEOPLE.alice.password } };
  }

  it('accepts the form as the page sent it, with Origin: null (what no-referrer forms send)', async () => {
    const browser = new Browser(h);
    const { action, fields } = await form(browser);
    expect((await browser.post(action, fields, { origin: 'null' })).status).toBe(303);
  });

  it('accepts the issuer as Origin', async () => {
    const browser = new Browser(h);
    const { action, fields } = await form(browser);
    expect((await browser.post(action, fields, { origin: new URL(h.issuer).origin })).status).toBe(303);
  });

  const refusals: [
    string,
    (b: Browser, f: Record<string, string>) => [Record<string, string>, Record<string, string>],
  ][] = [
    ['without a token', (_b, f) => [{ ...f, csrf: '' }, {}]],
    [
      'with the token left out',
      (_b, f) => [Object.fromEntries(Object.entries(f).filter(([k]) => k !== 'csrf')), {}],
    ],
    ['from another site (Origin)', (_b, f) => [f, { origin: 'https://evil.example' }]],
    [
      'without the browser cookie',
      (b, f) => {
        b.cookies.clear();
        return [f, {}];
      },
    ],
    [
      'with another browser cookie',
      (b, f) => {
        b.cookies.set('latchkey-browser', 'x'.repeat(43));
        return [f, {}];
      },
    ],
    [
      "with another form's token",
      (b, f) => [
        {
          ...f,
          csrf: csrfToken(b.cookies.get('latchkey-browser') as string, 'consent', f.request as string),
        },
        {},
      ],
    ],
  ];
  it.each(refusals)(
    'refuses it %s with a 403 page, before any password is checked',
    async (_name, change) => {
      const failures = h.seen('signIn.failed');
      const before = failures.length;
      const browser = new Browser(h);
      const { action, fields } = await form(browser);
      const [body, headers] = change(browser, fields);
      const res = await browser.post(action, body, headers);
      expect(res.status).toBe(403);
      expect(res.headers.get('content-type')).toBe('text/html; charset=utf-8');
      expect(await res.text()).toContain('This form cannot be accepted');
      expect(browser.cookies.has('latchkey-session')).toBe(false);
      expect(failures.length).toBe(before);
    },
  );

  it('refuses a duplicate field as bad input, never a 5xx', async () => {
    const browser = new Browser(h);
    const { action, fields } = await form(browser);
    const body = `${new URLSearchParams(fields).toString()}&csrf=again`;
    const res = await fetch(new URL(action, h.issuer), {
      method: 'POST',
      redirect: 'manual',
      headers: { 'content-type': 'application/x-www-form-urlencoded', cookie: browser.cookieHeader() },
      body,
    });
    expect(res.status).toBe(400);
  });
});
