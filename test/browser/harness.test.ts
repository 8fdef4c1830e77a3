/**
 * The browser harness itself (test/support/browser.ts), on a small form served from 127.0.0.1: Debian's chromium
 * starts, a keyboard user can fill and send the form with JavaScript disabled, unnamed controls are caught,
 * screenshots land in test-output/ and outside hosts are reachable only through `page.route`.
 */
import { readFile } from 'node:fs/promises';
import { createServer, type IncomingMessage, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  expectNamedTabStops,
  focused,
  openBrowser,
  screenshot,
  startCallbackServer,
  tabStops,
  tabTo,
  type CallbackServer,
  type TestBrowser,
} from '../support/browser.ts';

const FORM = `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>Harness form</title></head>
<body>
  <h1>Tell us who you are</h1>
  <form method="post" action="/submit">
    <p><label for="name">Your name</label> <input id="name" name="name" autocomplete="name"></p>
    <p><label>Email <input type="email" name="email"></label></p>
    <p><button type="submit">Send</button></p>
  </form>
  <script>document.title = 'script ran'; document.querySelector('h1').textContent = 'JavaScript ran';</script>
</body></html>`;

const UNLABELLED = `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>Unlabelled</title></head>
<body><form><input name="mystery"><button type="submit">Go</button></form></body></html>`;

/** A form whose POST answers 303 to `to`, as the login page's answer redirects to the client. */
function leavePage(url: string): string {
  const to = new URLSearchParams(url.slice(url.indexOf('?'))).get('to') ?? '';
  return `<!doctype html><html lang="en"><title>Leave</title>
  <form method="post" action="/leave"><input type="hidden" name="to" value="${to.replaceAll('&', '&amp;').replaceAll('"', '&quot;')}">
  <button type="submit">Back to the application</button></form>`;
}

interface FormServer {
  url: string;
  /** Resolves with the body of the next POST /submit. */
  nextPost(): Promise<URLSearchParams>;
  close(): Promise<void>;
}

async function readBody(req: IncomingMessage): Promise<string> {
  let body = '';
  for await (const chunk of req) body += String(chunk);
  return body;
}

async function startFormServer(): Promise<FormServer> {
  const waiting: ((body: URLSearchParams) => void)[] = [];
  const server: Server = createServer((req, res) => {
    const html = (status: number, page: string): void => {
      res.writeHead(status, { 'content-type': 'text/html; charset=utf-8' }).end(page);
    };
    if (req.method === 'GET' && req.url === '/') return html(200, FORM);
    if (req.method === 'GET' && req.url === '/unlabelled') return html(200, UNLABELLED);
    if (req.method === 'GET' && req.url?.startsWith('/leave?')) return html(200, leavePage(req.url));
    if (req.method === 'POST' && req.url === '/leave') {
      void readBody(req).then((text) => {
        res.writeHead(303, { location: new URLSearchParams(text).get('to') ?? '/' }).end();
      });
      return;
    }
    if (req.method === 'POST' && req.url === '/submit') {
      void readBody(req).then((text) => {
        const body = new URLSearchParams(text);
        waiting.shift()?.(body);
        html(
          200,
          `<!doctype html><html lang="en"><title>Thanks</title><h1>Thank you, ${body.get('name')}</h1>`,
        );
      });
      return;
    }
    html(404, 'not found');
  });
  await new Promise<void>((done) => server.listen(0, '127.0.0.1', done));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    nextPost: () => new Promise((done) => waiting.push(done)),
    close: () =>
      new Promise((done) => {
        server.close(() => done());
        server.closeAllConnections();
      }),
  };
}

let web: TestBrowser;
let site: FormServer;
let app: CallbackServer;

beforeAll(async () => {
  [web, site, app] = await Promise.all([openBrowser(), startFormServer(), startCallbackServer()]);
});

afterAll(async () => {
  await web?.close();
  await Promise.all([site?.close(), app?.close()]);
});

describe('a keyboard user with JavaScript disabled', () => {
  it('reaches every control by Tab, each with an accessible name', async () => {
    const page = await web.newPage({ javaScript: false });
    await page.goto(site.url);
    expect(await page.title()).toBe('Harness form');
    expect(await expectNamedTabStops(page)).toEqual([
      { role: 'textbox', name: 'Your name', element: '<input id="name" name="name" autocomplete="name">' },
      { role: 'textbox', name: 'Email', element: '<input type="email" name="email">' },
      { role: 'button', name: 'Send', element: '<button type="submit">' },
    ]);
    await expect(page.getByRole('textbox', { name: 'Your name' }).isVisible()).resolves.toBe(true);
    await expect(page.getByRole('heading', { name: 'Tell us who you are' }).isVisible()).resolves.toBe(true);
  });

  it('fills and sends the form with Tab, typing and Enter, and the server receives the post', async () => {
    const page = await web.newPage({ javaScript: false });
    await page.goto(site.url);
    await tabTo(page, 'textbox', 'Your name');
    await page.keyboard.type('Ada Lovelace');
    await tabTo(page, 'textbox', 'Email');
    await page.keyboard.type('ada@example.com');
    const path = await screenshot(page, 'form-filled');
    await tabTo(page, 'button', 'Send');
    const posted = site.nextPost();
    await page.keyboard.press('Enter');
    const body = await posted;
    expect(Object.fromEntries(body)).toEqual({ name: 'Ada Lovelace', email: 'ada@example.com' });
    await page.waitForURL(`${site.url}/submit`);
    await expect(page.getByRole('heading', { name: 'Thank you, Ada Lovelace' }).isVisible()).resolves.toBe(
      true,
    );
    await screenshot(page, 'form-sent');
    const png = await readFile(path);
    expect(png.subarray(0, 8)).toEqual(Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]));
    expect(path).toMatch(/test-output\/screenshots\/browser\/harness\/form-filled\.png$/);
  });
});

describe('the harness', () => {
  it('runs the page script only when JavaScript is enabled', async () => {
    const page = await web.newPage();
    await page.goto(site.url);
    expect(await page.title()).toBe('script ran');
    await expect(page.getByRole('heading', { name: 'JavaScript ran' }).isVisible()).resolves.toBe(true);
  });

  it('reports a control without an accessible name', async () => {
    const page = await web.newPage({ javaScript: false });
    await page.goto(`${site.url}/unlabelled`);
    expect(await tabStops(page)).toEqual([
      { role: 'textbox', name: '', element: '<input name="mystery">' },
      { role: 'button', name: 'Go', element: '<button type="submit">' },
    ]);
    expect(await focused(page)).toBeUndefined();
    await page.goto(`${site.url}/unlabelled`);
    await expect(expectNamedTabStops(page)).rejects.toThrow(/controls without an accessible name/);
  });

  it('lands a form answered with 303 on a callback server, query and all', async () => {
    const page = await web.newPage({ javaScript: false });
    const target = `${app.url}?code=c-1&state=s%201`;
    await page.goto(`${site.url}/leave?to=${encodeURIComponent(target)}`);
    await tabTo(page, 'button', 'Back to the application');
    await page.keyboard.press('Enter');
    const landed = await app.next();
    expect(landed.href).toBe(target);
    expect(landed.searchParams.get('state')).toBe('s 1');
    await page.waitForURL(target);
    await expect(page.getByRole('heading', { name: 'Back at the application' }).isVisible()).resolves.toBe(
      true,
    );
  });

  it('reaches outside hosts only through page.route', async () => {
    const page = await web.newPage({ javaScript: false });
    await expect(page.goto('https://app.example.com/callback')).rejects.toThrow(/ERR_NAME_NOT_RESOLVED/);
    await page.route('https://app.example.com/**', (route) =>
      route.fulfill({ contentType: 'text/html', body: '<title>Intercepted</title><p>redirect URI reached' }),
    );
    await page.goto('https://app.example.com/callback?code=abc');
    expect(await page.title()).toBe('Intercepted');
  });
});
