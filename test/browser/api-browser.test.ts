/**
 * The management API's browser in a real browser (issue 14): Swagger UI served by Latchkey from the
 * swagger-ui-dist package under a strict CSP loads the OpenAPI document, lists the operations, and "Try it out"
 * with a bearer token returns the clients list. Without JavaScript the page says where the document is.
 * Screenshots are kept in test-output/screenshots/browser/api-browser/.
 */
import type { Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { SECRETS, startManagementHarness, type ManagementHarness } from '../management/management-harness.ts';
import { expectNamedTabStops, openBrowser, screenshot, type TestBrowser } from '../support/browser.ts';

let h: ManagementHarness;
let web: TestBrowser;

beforeAll(async () => {
  [h, web] = await Promise.all([startManagementHarness(), openBrowser()]);
});

afterAll(async () => {
  await web?.close();
  await h?.close();
});

/** Opens the browser page and records every CSP violation and page error it reports. */
async function openApiBrowser(page: Page): Promise<string[]> {
  const problems: string[] = [];
  page.on('console', (m) => {
    if (m.type() === 'error') problems.push(m.text());
  });
  page.on('pageerror', (e) => problems.push(e.message));
  const res = await page.goto(`${h.api}/`);
  expect(res?.headers()['content-security-policy']).toContain("script-src 'self'");
  await page.getByRole('heading', { name: /Latchkey management API/ }).waitFor();
  await page.locator('.opblock-summary-path').first().waitFor();
  // Swagger UI shows what it could not resolve in the document above the operations.
  expect(await page.locator('.errors-wrapper').allInnerTexts()).toEqual([]);
  return problems;
}

/** Opens GET /clients, executes it with the defaults, and returns the response body shown. */
async function executeListClients(page: Page): Promise<string> {
  const listClients = page.locator('#operations-default-listClients');
  await listClients.locator('.opblock-summary-control').click();
  await listClients.getByRole('button', { name: 'Execute' }).click();
  const body = listClients.locator('.live-responses-table .highlight-code pre');
  await body.first().waitFor();
  return body.first().innerText();
}

describe('the API browser at /api/v1/', () => {
  it('loads the document under a strict CSP and lists every operation', async () => {
    const page = await web.newPage();
    const problems = await openApiBrowser(page);
    const operations = page.locator('.opblock-summary-path');
    await operations.first().waitFor();
    expect(await operations.allInnerTexts()).toEqual([
      '/schema',
      '/clients',
      '/clients/{id}',
      '/resource-servers',
      '/resource-servers/{id}',
      '/roles',
      '/roles/{id}',
    ]);
    await screenshot(page, 'operations');
    expect(problems).toEqual([]);
  });

  it('calls GET /clients with a token and shows the list ("Try it out")', async () => {
    const token = await h.token('platform-automation.latchkey-system');
    const page = await web.newPage();
    const problems = await openApiBrowser(page);
    await page.getByRole('button', { name: 'Authorize' }).first().click();
    // Swagger UI's dialog has no dialog role; its fields and buttons are labelled.
    await page.getByRole('textbox', { name: 'auth-bearer-value' }).fill(token);
    await page.getByRole('button', { name: 'Apply credentials' }).click();
    await page.locator('.modal-ux').getByRole('button', { name: 'Close' }).first().click();

    const text = await executeListClients(page);
    expect(JSON.parse(text)).toMatchObject({
      meta: { page: 1, page_size: 20, total: 51 },
      items: expect.arrayContaining([
        expect.objectContaining({ client_id: 'platform-automation.latchkey-system' }),
      ]),
    });
    await screenshot(page, 'try-it-out');
    expect(await page.locator('.errors-wrapper').allInnerTexts()).toEqual([]);
    expect(problems).toEqual([]);
  });

  it('gets a token itself with a client’s id and secret (the oauth2 client credentials flow)', async () => {
    const page = await web.newPage();
    const problems = await openApiBrowser(page);
    await page.getByRole('button', { name: 'Authorize' }).first().click();
    await page.getByLabel('client_id:').fill('team-a-automation.team-a');
    await page.getByLabel('client_secret:').fill(SECRETS['team-a-automation.team-a']);
    // The checkbox itself is hidden behind its styled label, which is what a person clicks.
    await page.locator('label[for="read:clients-clientCredentials-checkbox-oauth2"]').click();
    await page.getByRole('button', { name: 'Apply given OAuth2 credentials' }).click();
    await page.locator('.modal-ux').getByText('Authorized', { exact: true }).first().waitFor();
    await page.locator('.modal-ux').getByRole('button', { name: 'Close' }).first().click();
    expect(JSON.parse(await executeListClients(page))).toMatchObject({
      meta: { total: 2 },
      items: [{ client_id: 'payments-worker.team-a' }, { client_id: 'team-a-automation.team-a' }],
    });
    expect(problems).toEqual([]);
  });

  it('is reached by keyboard, every control named', async () => {
    const page = await web.newPage();
    await openApiBrowser(page);
    await page.locator('.opblock-summary-path').first().waitFor();
    const stops = await expectNamedTabStops(page);
    expect(stops.map((s) => s.name)).toContain('Authorize');
  });

  it('says where the document is without JavaScript', async () => {
    const page = await web.newPage({ javaScript: false });
    await page.goto(`${h.api}/`);
    await page.getByRole('link', { name: '/api/v1/schema' }).waitFor();
    await screenshot(page, 'no-javascript');
    const schema = await page.getByRole('link', { name: '/api/v1/schema' }).getAttribute('href');
    expect(schema).toBe('/api/v1/schema');
  });

  it('serves only the package files it names', async () => {
    const css = await fetch(`${h.api}/browser/swagger-ui.css`);
    expect([css.status, css.headers.get('content-type')]).toEqual([200, 'text/css; charset=utf-8']);
    for (const file of ['package.json', '..%2Fpackage.json', 'index.html']) {
      const res = await fetch(`${h.api}/browser/${file}`);
      expect({ file, status: res.status }).toEqual({ file, status: 404 });
    }
  });
});
