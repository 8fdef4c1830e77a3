import { createHash } from 'node:crypto';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Browser, fillForm, mintCodes, pkcePair } from '../../../bench/lib/people-browser.ts';
import { nextPoolSize } from '../../../bench/peers/people-cases.ts';
import { nextCodeRate } from '../../../bench/peers/people-runs.ts';

describe('pkcePair', () => {
  it('gives a 43-character verifier and its S256 challenge (RFC 7636 §4.1, §4.2)', () => {
    const { verifier, challenge } = pkcePair();
    expect(verifier).toMatch(/^[A-Za-z0-9_-]{43}$/);
    expect(challenge).toBe(createHash('sha256').update(verifier).digest('base64url'));
  });
});

describe('fillForm', () => {
  const base = 'http://127.0.0.1:1/realms/bench/protocol/openid-connect/auth?x=1';

  it('fills the user name and password and keeps hidden and submit values', () => {
    const page = `<form method="get" action="/search"><input name="q"></form>
      <form id="kc-form-login" method="post" action="/login-actions/authenticate?session_code=a&amp;tab_id=b">
        <input type="text" name="username" value=""><input type="password" name="password">
        <input type="hidden" name="credentialId" value="c&quot;1"><input type="submit" name="login" value="Sign in">
        <input type="checkbox" name="rememberMe">
      </form>`;
    const filled = fillForm(page, base, 'alice', 'pw&1');
    expect(filled?.action).toBe('http://127.0.0.1:1/login-actions/authenticate?session_code=a&tab_id=b');
    expect(Object.fromEntries(new URLSearchParams(filled?.body))).toEqual({
      username: 'alice',
      password: 'pw&1',
      credentialId: 'c"1',
      login: 'Sign in',
    });
  });

  it('posts to the page itself when the form names no action', () => {
    const filled = fillForm(`<form method='POST'><input name='login' type='email'></form>`, base, 'a', 'b');
    expect(filled).toEqual({ action: base, body: 'login=a' });
  });

  it('finds nothing on a page without a form that posts', () => {
    expect(fillForm('<p>Signed out</p><form action="/x"></form>', base, 'a', 'b')).toBeUndefined();
  });
});

describe('the people browser against a login page', () => {
  let server: Server;
  let origin: string;
  let issued = 0;

  beforeAll(async () => {
    // Two interactions set a cookie of the same name on paths of their own, as node-oidc-provider does.
    server = createServer((req, res) => {
      const url = new URL(req.url ?? '/', 'http://x');
      const cookie = req.headers.cookie ?? '';
      if (url.pathname === '/authorize') {
        const id = String(++issued);
        res.writeHead(303, {
          location: `/interaction/${id}`,
          'set-cookie': [`resume=${id}; Path=/interaction/${id}; HttpOnly`, 'session=s; Path=/'],
        });
        res.end();
      } else if (req.method === 'GET' && url.pathname.startsWith('/interaction/')) {
        res.end(`<form method="post"><input name="login"><input type="password" name="password"></form>`);
      } else if (req.method === 'POST' && url.pathname.startsWith('/interaction/')) {
        const id = url.pathname.slice('/interaction/'.length);
        const pairs = cookie.split('; ');
        const ok =
          pairs.includes('session=s') &&
          pairs.filter((c) => c.startsWith('resume=')).join() === `resume=${id}`;
        res.writeHead(303, { location: `http://localhost:3000/callback?code=${ok ? `code-${id}` : 'none'}` });
        res.end();
      } else {
        res.writeHead(404).end();
      }
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    origin = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  });

  afterAll(() => new Promise<void>((resolve) => server.close(() => resolve())));

  const spec = () => ({
    endpoint: `${origin}/authorize`,
    clientId: 'bench-web',
    redirectUri: 'http://localhost:3000/callback',
    scope: 'openid',
    username: 'alice',
    password: 'pw',
  });

  it('follows redirects, posts the login form and reads the code from the redirect to the client', async () => {
    const browser = new Browser();
    const first = await browser.authorize(spec());
    const second = await browser.authorize(spec());
    expect([first.code, second.code]).toEqual([`code-${issued - 1}`, `code-${issued}`]);
    expect(first.verifier).not.toBe(second.verifier);
  });

  it("sends each interaction's cookie to its own path only (RFC 6265 §5.1.4)", async () => {
    const browser = new Browser();
    const started = async () => (await browser.request(`${origin}/authorize`)).headers.get('location') ?? '';
    const first = await started();
    await started();
    const res = await browser.request(`${origin}${first}`, 'login=alice&password=pw');
    expect(res.headers.get('location')).toBe(
      `http://localhost:3000/callback?code=code-${first.split('/')[2]}`,
    );
  });

  it('mints the codes asked for with several browsers at once', async () => {
    const codes = await mintCodes(spec(), 10, 3);
    expect(codes).toHaveLength(10);
    expect(new Set(codes.map((c) => c.code)).size).toBe(10);
    expect(codes.every((c) => c.code.startsWith('code-'))).toBe(true);
  });
});

describe('nextPoolSize', () => {
  it('starts at 1,500 codes before any rate is known', () => {
    expect(nextPoolSize(undefined, 10)).toBe(1500);
    expect(nextPoolSize(Number.NaN, 10)).toBe(1500);
  });

  it('covers the warm-up and the window at the last rate, a fifth more, within bounds', () => {
    expect(nextPoolSize(100, 10)).toBe(1200);
    expect(nextPoolSize(10, 10)).toBe(500);
    expect(nextPoolSize(10_000, 10)).toBe(8000);
  });

  it('grows after a run whose pool ran out in the warm-up, instead of failing with the same pool again', () => {
    const failed = { failed: 1, requestsPerSecond: 0 };
    const rate = nextCodeRate(failed, 1500, 2, 0);
    expect(rate).toBe(750);
    expect(nextPoolSize(rate, 6)).toBe(5400);
    expect(nextCodeRate(failed, 1500, 2, 900)).toBe(900);
    expect(nextCodeRate({ failed: 0, requestsPerSecond: 1234 }, 1500, 2, 900)).toBe(1234);
  });
});
