/**
 * A real browser for the tests of the pages people use: Debian's chromium (test/support/chromium.ts) driven by
 * playwright-core, headless. One browser per test file (`openBrowser()` in beforeAll, `close()` in afterAll),
 * a fresh context per page so cookies never leak between tests, and helpers that use the page the way a
 * keyboard user does: Tab from control to control, each of which must have an accessible name.
 *
 * The browser reaches 127.0.0.1 only: no proxy, and every host name resolves to nothing, so nothing waits on a
 * network this machine does not have. A page opened at an outside URL can be answered with `page.route`, but
 * playwright does not route the target of a redirect: a sign-in that ends in a redirect to the client lands on
 * a client registered with a {@link startCallbackServer} URL instead.
 */
import { mkdir } from 'node:fs/promises';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { dirname, join, relative, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import {
  chromium,
  type Browser,
  type BrowserContext,
  type ElementHandle,
  type Locator,
  type Page,
} from 'playwright-core';
import { expect } from 'vitest';
import { chromiumPath } from './chromium.ts';

const repoRoot = resolve(dirname(fileURLToPath(import.meta.url)), '../..');

/** Screenshots go below here, one folder per test file (gitignored; CI keeps the test output). */
export const screenshotRoot = join(repoRoot, 'test-output/screenshots');

export interface PageOptions {
  /**
   * `false` runs the page with JavaScript disabled: the hosted pages must work without it, so their tests run
   * that way. Default `true`.
   */
  javaScript?: boolean;
}

export interface TestBrowser {
  browser: Browser;
  /** A new isolated context (its own cookies and storage); for tests that need two pages in one session. */
  newContext(options?: PageOptions): Promise<BrowserContext>;
  /** A page in a new isolated context. */
  newPage(options?: PageOptions): Promise<Page>;
  /** Closes the browser and every context. */
  close(): Promise<void>;
}

/**
 * Launches headless chromium. Sandboxing needs user namespaces that root in a container does not get, so
 * `--no-sandbox` is passed only when running as root.
 *
 * @example
 * let web: TestBrowser;
 * beforeAll(async () => (web = await openBrowser()));
 * afterAll(() => web.close());
 */
export async function openBrowser(): Promise<TestBrowser> {
  const executablePath = await chromiumPath();
  const args = [
    '--no-proxy-server',
    '--host-resolver-rules=MAP * ~NOTFOUND, EXCLUDE 127.0.0.1',
    // A container's /dev/shm may be 64 MB, which a page's renderer can exhaust: /tmp has room.
    '--disable-dev-shm-usage',
  ];
  if (process.getuid?.() === 0) args.unshift('--no-sandbox');
  const browser = await chromium.launch({ executablePath, headless: true, args });
  const newContext = async ({ javaScript = true }: PageOptions = {}): Promise<BrowserContext> => {
    const context = await browser.newContext({
      javaScriptEnabled: javaScript,
      locale: 'en-US',
      viewport: { width: 1024, height: 768 },
    });
    // Playwright waits for real conditions (an element, a URL); these only bound a hang on a loaded machine.
    context.setDefaultTimeout(30_000);
    context.setDefaultNavigationTimeout(30_000);
    return context;
  };
  return {
    browser,
    newContext,
    async newPage(options) {
      return (await newContext(options)).newPage();
    },
    async close() {
      await browser.close();
    },
  };
}

/**
 * Saves a full-page PNG as `test-output/screenshots/<test file>/<name>.png`, where `<test file>` is the test's
 * path below `test/` without `.test.ts` (e.g. `browser/sign-in`). Call it inside a test.
 *
 * @returns the file's path
 */
export async function screenshot(page: Page, name: string): Promise<string> {
  if (!/^[A-Za-z0-9][A-Za-z0-9._-]*$/.test(name))
    throw new Error(`screenshot name '${name}' is not a file name`);
  const testPath = expect.getState().testPath;
  if (testPath === undefined) throw new Error('screenshot() must be called inside a test');
  const folder = relative(join(repoRoot, 'test'), testPath).replace(/\.test\.ts$/, '');
  const path = join(screenshotRoot, folder, `${name}.png`);
  await mkdir(dirname(path), { recursive: true });
  await page.screenshot({ path, fullPage: true });
  return path;
}

/** A control that keyboard focus stopped on: its ARIA role and accessible name, as assistive technology sees. */
export interface TabStop {
  role: string;
  /** The accessible name; `''` when it has none. */
  name: string;
  /** The element's opening tag, to say which control a failure is about. */
  element: string;
}

interface AriaNode {
  role?: string;
  name?: string;
}

async function stopOf(control: Locator): Promise<TabStop> {
  const [node] = (await control.ariaSnapshotJSON()) as AriaNode[];
  const element = await control.evaluate((el) => el.outerHTML.slice(0, el.outerHTML.indexOf('>') + 1));
  return { role: node?.role ?? '', name: node?.name ?? '', element };
}

/** The control that has keyboard focus, or `undefined` when nothing in the page has it. */
export async function focused(page: Page): Promise<TabStop | undefined> {
  const control = page.locator(':focus');
  return (await control.count()) === 0 ? undefined : stopOf(control);
}

/**
 * Presses Tab through the whole page, from where focus is now (on a freshly loaded page: its start, or the
 * control with `autofocus`), until focus leaves the page or comes back to where it started, and returns every
 * stop in order. Like {@link tabTo}, call it once the page is there.
 *
 * @throws when focus has not left the page after `max` presses (a focus trap)
 */
export async function tabStops(page: Page, max = 100): Promise<TabStop[]> {
  const stops: TabStop[] = [];
  let first: ElementHandle | null = null;
  const start = page.locator(':focus');
  if ((await start.count()) > 0) {
    first = await start.elementHandle();
    stops.push(await stopOf(start));
  }
  for (let i = 0; i < max; i++) {
    await page.keyboard.press('Tab');
    const control = page.locator(':focus');
    if ((await control.count()) === 0) return stops;
    if (first === null) first = await control.elementHandle();
    else if (await control.evaluate((el, start) => el === start, first)) return stops;
    stops.push(await stopOf(control));
  }
  throw new Error(`focus stayed in the page after ${max} presses of Tab: ${JSON.stringify(stops.slice(-5))}`);
}

/**
 * Tabs through the page (see {@link tabStops}) and asserts that every control focus stops on has an accessible
 * name, so a screen-reader user hears what each field and button is.
 *
 * @returns the stops, for the test to check their order
 */
export async function expectNamedTabStops(page: Page): Promise<TabStop[]> {
  const stops = await tabStops(page);
  expect(stops.length, 'keyboard focus stops on at least one control').toBeGreaterThan(0);
  expect(
    stops.filter((stop) => stop.name.trim() === ''),
    'controls without an accessible name',
  ).toEqual([]);
  return stops;
}

/**
 * Presses Tab until the control with this role and accessible name has focus, as a keyboard user moves to a
 * field they can see. Call it once the page is there (wait for its heading after a form was sent): a control
 * focused on the page being left is never described.
 *
 * @throws when a whole round of Tab does not reach it
 */
export async function tabTo(page: Page, role: string, name: string, max = 100): Promise<void> {
  const seen: string[] = [];
  for (let i = 0; i < max; i++) {
    const stop = await focused(page);
    if (stop?.role === role && stop.name === name) return;
    if (stop !== undefined) seen.push(`${stop.role} "${stop.name}"`);
    await page.keyboard.press('Tab');
  }
  throw new Error(`Tab never reached ${role} "${name}"; focus stopped on: ${seen.join(', ')}`);
}

/** A relying party's redirect URI on 127.0.0.1, where a sign-in lands. */
export interface CallbackServer {
  /** `http://127.0.0.1:<port>/callback`, to register as the client's redirect URI. */
  url: string;
  /** `http://127.0.0.1:<port>`: any other path on it lands too (a post-logout redirect URI, say). */
  origin: string;
  /**
   * The next request that arrived (for `/callback`, its query holds `code`, `state` and `iss`), in the order
   * they came.
   */
  next(): Promise<URL>;
  close(): Promise<void>;
}

/**
 * Starts a relying party's redirect URIs on 127.0.0.1: it records each request, whatever its path, and
 * answers it with a page headed "Back at the application", so the landing can be seen in a screenshot.
 */
export async function startCallbackServer(): Promise<CallbackServer> {
  const arrived: URL[] = [];
  const waiting: ((url: URL) => void)[] = [];
  const server = createServer((req, res) => {
    const url = new URL(req.url ?? '/', `http://${req.headers.host ?? '127.0.0.1'}`);
    // The browser asks for it on its own after a page loads: not a landing.
    if (url.pathname === '/favicon.ico') return void res.writeHead(404).end();
    const waiter = waiting.shift();
    if (waiter) waiter(url);
    else arrived.push(url);
    res.writeHead(200, { 'content-type': 'text/html; charset=utf-8' });
    res.end(
      '<!doctype html><html lang="en"><title>Back at the application</title><h1>Back at the application</h1>',
    );
  });
  await new Promise<void>((done) => server.listen(0, '127.0.0.1', done));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}/callback`,
    origin: `http://127.0.0.1:${port}`,
    next: () => {
      const url = arrived.shift();
      return url ? Promise.resolve(url) : new Promise((done) => waiting.push(done));
    },
    close: () =>
      new Promise((done) => {
        server.close(() => done());
        server.closeAllConnections();
      }),
  };
}
