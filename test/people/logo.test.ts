import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { renderPage } from '../../src/people/pages/layout.ts';
import { logoSource } from '../../src/people/pages/logo.ts';
import { textsFor } from '../../src/people/pages/texts.ts';
import { html } from '../../src/people/pages/html.ts';
import { authorizeUrl, pkce } from './authorize-support.ts';
import { peopleClient, peopleWorld, PEOPLE, startPeopleHarness, type PeopleHarness } from './harness.ts';
import { Browser, formOf } from './login-browser.ts';

/**
 * A client's logo on the hosted pages (OAuthClient `spec.logoUri`, issue 12): an `<img>` the person's browser
 * loads from the tenant's host without a referrer, and a Content-Security-Policy that allows that origin alone.
 */

describe('logoSource', () => {
  it.each<[string, string | undefined, string | undefined]>([
    ['https', 'https://app.example.com/logo.png', 'https://app.example.com'],
    ['a port and a query', 'https://cdn.example.com:8443/l.svg?v=2&x=1', 'https://cdn.example.com:8443'],
    ['the default port, dropped', 'https://cdn.example.com:443/l.png', 'https://cdn.example.com'],
    ['an upper-case host, lowered', 'https://CDN.Example.com/l.png', 'https://cdn.example.com'],
    ['an IPv6 literal', 'https://[2001:db8::1]/l.png', 'https://[2001:db8::1]'],
    ['refused: none', undefined, undefined],
    ['refused: in the clear', 'http://app.example.com/logo.png', undefined],
    ['refused: data:', 'data:image/png;base64,iVBORw0KGgo=', undefined],
    ['refused: javascript:', 'javascript:alert(1)', undefined],
    ['refused: userinfo', 'https://user:pass@app.example.com/logo.png', undefined],
    ['refused: a fragment', 'https://app.example.com/logo.png#x', undefined],
    ['refused: relative', '/logo.png', undefined],
    ['refused: not a URL', 'not a url', undefined],
    ['refused: a host with ; (a CSP directive)', 'https://a;script-src */l.png', undefined],
    ["refused: a host with ' (a CSP keyword)", "https://'unsafe-inline'/l.png", undefined],
    ['refused: a host with , (a second policy)', 'https://a,b/l.png', undefined],
  ])('%s', (_, uri, source) => {
    expect(logoSource(uri)?.source).toBe(source);
  });
});

describe('renderPage with a logo', () => {
  const texts = textsFor();
  const page = (logoUri?: string) => renderPage(texts, { title: 'T', logoUri, main: html`<p>x</p>` });

  it('shows a decorative img above the heading, without a referrer, with the URL escaped', () => {
    const out = page('https://cdn.example.com/logo.png?a=1&b="><script>');
    const img = /<img[^>]*>/.exec(out)?.[0] ?? '';
    expect(img).toContain('src="https://cdn.example.com/logo.png?a=1&amp;b=%22%3E%3Cscript%3E"');
    expect(img).toMatch(/alt=""/);
    expect(img).toMatch(/referrerpolicy="no-referrer"/);
    expect(img).toMatch(/class="logo"/);
    expect(out.indexOf('<img')).toBeLessThan(out.indexOf('<h1>'));
    expect(out).not.toContain('<script');
  });

  it.each([undefined, 'http://cdn.example.com/logo.png', 'javascript:alert(1)'])(
    'shows no img for %s',
    (uri) => {
      expect(page(uri)).not.toContain('<img');
    },
  );
});

const REDIRECT = 'https://other.example.net/cb';
const LOGO = 'https://logo.example/brand/app.png?v=1&size=2';

describe('the login and consent pages of a client with a logoUri', () => {
  let h: PeopleHarness;
  let browser: Browser;
  beforeEach(async () => {
    h = await startPeopleHarness();
    h.source.snapshot = peopleWorld(h.keys, {
      clients: [
        peopleClient(
          { clientId: 'branded.people', secrets: ['s'] },
          { displayName: 'Branded app', firstParty: false, redirectUris: [REDIRECT], logoUri: LOGO },
        ),
      ],
    });
    browser = new Browser(h);
  });
  afterEach(() => h.close());

  const request = (clientId: string) => ({
    client_id: clientId,
    redirect_uri: clientId === 'branded.people' ? REDIRECT : 'https://app.example.com/callback',
    response_type: 'code',
    scope: 'openid email',
    state: 's',
    code_challenge: pkce().challenge,
    code_challenge_method: 'S256',
  });

  function expectLogo(res: Response, page: string): void {
    expect(page).toMatch(
      /<img\s+class="logo"\s+src="https:\/\/logo\.example\/brand\/app\.png\?v=1&amp;size=2"\s+alt=""\s+referrerpolicy="no-referrer"\s+loading="eager"\s+decoding="async"\s*\/>/,
    );
    const directives = (res.headers.get('content-security-policy') ?? '').split('; ');
    expect(directives.filter((d) => d.startsWith('img-src'))).toEqual(['img-src https://logo.example']);
    expect(directives[0]).toBe("default-src 'none'");
  }

  it('shows the logo on the login page and on the consent page, and allows its origin alone', async () => {
    const login = await browser.follow(await browser.get(authorizeUrl(h, request('branded.people'))));
    const loginPage = await login.text();
    expect(loginPage).toContain('<h1>Sign in to Branded app</h1>');
    expectLogo(login, loginPage);

    const form = formOf(loginPage, '/login/password');
    const consent = await browser.follow(
      await browser.post(form.action, { ...form.fields, username: 'alice', password: PEOPLE.alice.password }),
    );
    const consentPage = await consent.text();
    expect(consentPage).toContain('<h1>Branded app wants access to your account</h1>');
    expectLogo(consent, consentPage);
  });

  it('shows no img and allows no images for a client without one', async () => {
    const login = await browser.follow(await browser.get(authorizeUrl(h, request('web-app.people'))));
    expect(await login.text()).not.toContain('<img');
    expect(login.headers.get('content-security-policy')).not.toContain('img-src');
  });
});
