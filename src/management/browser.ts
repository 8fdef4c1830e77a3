import { readFile } from 'node:fs/promises';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import type { FastifyInstance, FastifyReply } from 'fastify';
import { ManagementError } from './errors.ts';

/**
 * The API browser at `<issuer>/api/v1/` (issue 14): Swagger UI from the `swagger-ui-dist` package, served by
 * Latchkey itself (no CDN), under a CSP that allows scripts, styles and requests from this origin only.
 */

/** What the browser loads, by the name it is served under: the package's files and Latchkey's start-up. */
const PACKAGE_FILES: Readonly<Record<string, string>> = {
  'swagger-ui.css': 'text/css; charset=utf-8',
  'swagger-ui-bundle.js': 'text/javascript; charset=utf-8',
  'favicon-32x32.png': 'image/png',
};
const START_FILE = 'latchkey-browser.js';

const CSP = [
  "default-src 'none'",
  "script-src 'self'",
  "style-src 'self'",
  "img-src 'self' data:",
  "connect-src 'self'",
  "font-src 'self'",
  "base-uri 'none'",
  "form-action 'none'",
  "frame-ancestors 'none'",
].join('; ');

const HEADERS = {
  'referrer-policy': 'no-referrer',
  'x-content-type-options': 'nosniff',
  'x-frame-options': 'DENY',
  'cross-origin-opener-policy': 'same-origin',
  'content-security-policy': CSP,
};

/** The page: Swagger UI's root, and what a browser without JavaScript gets instead. */
export function browserPage(path: string): string {
  return `<!doctype html>
<html lang="en">
  <head>
    <meta charset="utf-8">
    <meta name="viewport" content="width=device-width, initial-scale=1">
    <title>Latchkey management API</title>
    <link rel="stylesheet" href="${path}/browser/swagger-ui.css">
    <link rel="icon" type="image/png" href="${path}/browser/favicon-32x32.png">
    <script src="${path}/browser/swagger-ui-bundle.js" defer></script>
    <script src="${path}/browser/${START_FILE}" defer></script>
  </head>
  <body>
    <main id="swagger-ui" aria-label="Latchkey management API browser">
      <noscript>
        <h1>Latchkey management API</h1>
        <p>The API browser needs JavaScript. The API itself does not: its OpenAPI document is at
        <a href="${path}/schema">${path}/schema</a>.</p>
      </noscript>
    </main>
  </body>
</html>
`;
}

/** Starts Swagger UI on the document; an external file, since the CSP allows no inline script. */
export function browserStart(path: string): string {
  return `'use strict';
window.addEventListener('DOMContentLoaded', function () {
  window.ui = SwaggerUIBundle({
    url: ${JSON.stringify(`${path}/schema`)},
    dom_id: '#swagger-ui',
    presets: [SwaggerUIBundle.presets.apis],
    layout: 'BaseLayout',
    deepLinking: false,
    persistAuthorization: false,
    tryItOutEnabled: true,
    validatorUrl: null,
  });
  // Swagger UI leaves its server list without an accessible name; a screen reader would say only "combo box".
  new MutationObserver(function () {
    var servers = document.getElementById('servers');
    if (servers !== null && !servers.hasAttribute('aria-label')) servers.setAttribute('aria-label', 'Server');
  }).observe(document.getElementById('swagger-ui'), { childList: true, subtree: true });
});
`;
}

const packageDir = dirname(createRequire(import.meta.url).resolve('swagger-ui-dist/package.json'));
const files = new Map<string, Buffer>();

/** Serves the browser's page and files below `path`; the package's files are read on first use and kept. */
export function registerBrowser(app: FastifyInstance, path: string): void {
  const page = browserPage(path);
  const start = browserStart(path);
  app.get('/', (_request, reply) => send(reply, 'text/html; charset=utf-8', page, 'no-cache'));
  app.get<{ Params: { file: string } }>('/browser/:file', async (request, reply) => {
    const { file } = request.params;
    if (file === START_FILE) return send(reply, 'text/javascript; charset=utf-8', start, 'no-cache');
    const type = Object.hasOwn(PACKAGE_FILES, file) ? PACKAGE_FILES[file] : undefined;
    if (type === undefined) {
      throw new ManagementError(
        404,
        'no_endpoint',
        `the API browser has no file ${JSON.stringify(file.slice(0, 100))}`,
      );
    }
    let content = files.get(file);
    if (content === undefined) {
      content = await readFile(join(packageDir, file));
      files.set(file, content);
    }
    return send(reply, type, content, 'public, max-age=3600');
  });
}

function send(reply: FastifyReply, type: string, body: string | Buffer, cache: string): FastifyReply {
  return reply.headers({ ...HEADERS, 'content-type': type, 'cache-control': cache }).send(body);
}
