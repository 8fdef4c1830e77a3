import { createHash } from 'node:crypto';
import Fastify, { type FastifyInstance } from 'fastify';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { sendErrorPage } from '../../src/people/pages/error-page.ts';
import { escapeHtml, html } from '../../src/people/pages/html.ts';
import { contentSecurityPolicy, formActionSource, STYLESHEET } from '../../src/people/pages/layout.ts';
import { renderOrganizationPage } from '../../src/people/pages/organization-page.ts';
import { textsFor } from '../../src/people/pages/texts.ts';

describe('escapeHtml', () => {
  it.each([
    ['<script>alert(1)</script>', '&lt;script&gt;alert(1)&lt;/script&gt;'],
    ['" onfocus="x', '&quot; onfocus=&quot;x'],
    ["' autofocus '", '&#39; autofocus &#39;'],
    ['a & b', 'a &amp; b'],
    ['`x`', '&#96;x&#96;'],
    ['__proto__', '__proto__'],
    ['', ''],
  ])('escapes %j', (input, expected) => {
    expect(escapeHtml(input).toString()).toBe(expected);
  });

  it('escapes every interpolated string of html`` but not nested markup', () => {
    const inner = html`<em>${'<b>'}</em>`;
    expect(html`<p>${'<i>'}${inner}${['<', inner]}${undefined}${false}${3}</p>`.toString()).toBe(
      '<p>&lt;i&gt;<em>&lt;b&gt;</em>&lt;<em>&lt;b&gt;</em>3</p>',
    );
  });
});

describe('formActionSource', () => {
  it.each([
    ['https://app.example.com/callback?x=1', 'https://app.example.com'],
    ['http://127.0.0.1:8123/cb', 'http://127.0.0.1:8123'],
    ['com.example.app:/oauth2redirect', 'com.example.app:'],
    ['not a url', undefined],
    ['javascript:alert(1)', undefined],
    ['data:text/html,x', undefined],
  ])('%s → %s', (url, source) => {
    expect(formActionSource(url)).toBe(source);
  });
});

describe('contentSecurityPolicy', () => {
  const styleHash = `'sha256-${createHash('sha256').update(STYLESHEET).digest('base64')}'`;

  it('allows no script, only the stylesheet by its hash, no framing, no base, no forms', () => {
    expect(contentSecurityPolicy()).toBe(
      `default-src 'none'; style-src ${styleHash}; form-action 'none'; frame-ancestors 'none'; base-uri 'none'`,
    );
  });

  it('lets forms reach this origin and the named redirect targets, each once', () => {
    expect(
      contentSecurityPolicy(['https://app.example.com/cb', 'https://app.example.com/other', 'bad url']),
    ).toContain("form-action 'self' https://app.example.com;");
  });

  it.each([
    ['no logo', undefined, undefined],
    ['a logo', 'https://cdn.example.com/brand/logo.png?v=2', 'https://cdn.example.com'],
    ['a logo on a port', 'https://cdn.example.com:8443/logo.png', 'https://cdn.example.com:8443'],
    ['a logo in the clear', 'http://cdn.example.com/logo.png', undefined],
    ['a logo whose host would add a directive', 'https://a;script-src */logo.png', undefined],
  ])('with %s, allows images from %s only', (_, logoUri, source) => {
    const policy = contentSecurityPolicy(['https://app.example.com/cb'], logoUri);
    const imgSrc = policy.split('; ').filter((d) => d.startsWith('img-src'));
    expect(imgSrc).toEqual(source === undefined ? [] : [`img-src ${source}`]);
    expect(policy).toMatch(/^default-src 'none'; /);
    expect(policy).not.toContain('*');
  });
});

describe('sendErrorPage', () => {
  let app: FastifyInstance;
  let base: string;
  beforeAll(async () => {
    app = Fastify();
    app.get('/boom', (_request, reply) =>
      sendErrorPage(reply, {
        status: 429,
        title: 'Too <many>',
        message: '<img src=x onerror=alert(1)> "quoted"',
        retryAfterSeconds: 60,
      }),
    );
    base = await app.listen({ host: '127.0.0.1', port: 0 });
  });
  afterAll(() => app.close());

  it('answers an HTML page with the security headers and the texts escaped', async () => {
    const res = await fetch(`${base}/boom`);
    expect(res.status).toBe(429);
    expect(res.headers.get('content-type')).toBe('text/html; charset=utf-8');
    expect(res.headers.get('cache-control')).toBe('no-store');
    expect(res.headers.get('referrer-policy')).toBe('no-referrer');
    expect(res.headers.get('x-content-type-options')).toBe('nosniff');
    expect(res.headers.get('retry-after')).toBe('60');
    expect(res.headers.get('content-security-policy')).toBe(contentSecurityPolicy());
    const page = await res.text();
    expect(page).toMatch(/^<!doctype html>\s*<html lang="en">/);
    expect(page).toContain('<h1>Too &lt;many&gt;</h1>');
    expect(page).toContain('&lt;img src=x onerror=alert(1)&gt; &quot;quoted&quot;');
    expect(page).not.toContain('<img');
    expect(page).not.toContain('<script');
    expect(page).toContain('<main id="main">');
    const style = /<style>([^<]*)<\/style>/.exec(page)?.[1] ?? '';
    const hash = createHash('sha256').update(style).digest('base64');
    expect(res.headers.get('content-security-policy')).toContain(`style-src 'sha256-${hash}';`);
  });
});

describe('renderOrganizationPage', () => {
  it('escapes hostile organization and client names, and posts each choice with the request and its token', () => {
    const page = renderOrganizationPage({
      texts: textsFor(),
      clientName: '<img src=x onerror=alert(1)>',
      requestId: 'req-1',
      csrf: 'tok-1',
      choices: [
        { id: 'org_1', label: '"><script>alert(2)</script>' },
        { id: 'org_2', label: 'Globex' },
      ],
      action: '/organization',
    });
    expect(page).not.toContain('<script>alert');
    expect(page).not.toContain('<img src=x');
    expect(page).toContain('&quot;&gt;&lt;script&gt;alert(2)&lt;/script&gt;');
    expect(page).toContain('<button type="submit" name="organization" value="org_2">Globex</button>');
    expect(page).toContain('<input type="hidden" name="request" value="req-1" />');
    expect(page).toContain('<input type="hidden" name="csrf" value="tok-1" />');
  });
});
