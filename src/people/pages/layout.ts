import { createHash } from 'node:crypto';
import type { FastifyReply } from 'fastify';
import { html, SafeHtml } from './html.ts';
import { logoImage, logoSource } from './logo.ts';
import type { Texts } from './texts.ts';

/**
 * The frame of every hosted page and the headers it is sent with. Pages carry no script at all and one inline
 * stylesheet allowed by its hash, so the Content-Security-Policy can be `default-src 'none'`.
 */

/** The one stylesheet; visible focus on every control (WCAG 2.4.7), readable without it. */
export const STYLESHEET = [
  'body{font:16px/1.5 system-ui,sans-serif;margin:0;color:#1d1d1f;background:#f5f5f7}',
  '.skip{position:absolute;left:-999px}.skip:focus{left:1rem;top:1rem;background:#fff;padding:.5rem}',
  'header,footer{padding:1rem 1.5rem;color:#4a4a4f}',
  'main{max-width:28rem;margin:2rem auto;padding:2rem;background:#fff;border-radius:.5rem;box-shadow:0 1px 3px #0003}',
  'h1{font-size:1.5rem;margin-top:0}',
  '.logo{display:block;max-width:12rem;max-height:4rem;width:auto;height:auto;margin:0 0 1rem}',
  'label{display:block;margin:.75rem 0 .25rem;font-weight:600}',
  'input{box-sizing:border-box;width:100%;padding:.5rem;font:inherit;border:1px solid #6e6e73;border-radius:.25rem}',
  'button{font:inherit;padding:.6rem 1rem;margin:.75rem .5rem 0 0;border-radius:.25rem;border:1px solid #0b57d0;background:#0b57d0;color:#fff;cursor:pointer}',
  'button.secondary{background:#fff;color:#0b57d0}',
  'ul.choices{list-style:none;padding:0}ul.choices button{width:100%}',
  '.alert{border-left:4px solid #b3261e;padding:.5rem 1rem;background:#fdecea}',
  '.code{font:600 1.75rem/1.2 ui-monospace,monospace;letter-spacing:.15em;margin:.5rem 0 1rem}',
  '.hint{margin:.25rem 0;color:#4a4a4f;font-size:.9rem}',
  ':focus-visible{outline:3px solid #b35c00;outline-offset:2px}',
].join('\n');

// Built outside the html`` template so a formatter can never change the hashed text (CSP Level 3 §8.3).
const STYLE_ELEMENT = new SafeHtml(`<style>${STYLESHEET}</style>`);

const STYLE_SOURCE = `'sha256-${createHash('sha256').update(STYLESHEET).digest('base64')}'`;

const UNSAFE_SCHEMES = new Set(['javascript:', 'data:', 'blob:', 'file:', 'vbscript:', 'filesystem:']);

/**
 * The CSP `form-action` source a form's navigation may reach: the origin of an http(s) URL, the scheme of a
 * private-use URI (a native app's `com.example.app:/cb`, RFC 8252 §7.1), or undefined for what cannot be one.
 */
export function formActionSource(url: string): string | undefined {
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch {
    return undefined;
  }
  if (parsed.protocol === 'https:' || parsed.protocol === 'http:') return parsed.origin;
  if (UNSAFE_SCHEMES.has(parsed.protocol)) return undefined;
  return /^[a-z][a-z0-9+.-]*:$/.test(parsed.protocol) ? parsed.protocol : undefined;
}

/**
 * The Content-Security-Policy of a page. Browsers apply `form-action` to the redirects that follow a form's
 * submission too (CSP Level 3 §6.3.1.2), so a page whose form answers with a redirect elsewhere (upstream, or to
 * the client's redirect URI) lists those targets; a page without forms allows none. A page showing a client's
 * logo allows images from that logo's origin alone; other pages load no images at all.
 */
export function contentSecurityPolicy(formTargets?: readonly string[], logoUri?: string): string {
  const formAction =
    formTargets === undefined
      ? "'none'"
      : ["'self'", ...new Set(formTargets.map(formActionSource).filter((s) => s !== undefined))].join(' ');
  const logo = logoSource(logoUri);
  return [
    "default-src 'none'",
    `style-src ${STYLE_SOURCE}`,
    ...(logo === undefined ? [] : [`img-src ${logo.source}`]),
    `form-action ${formAction}`,
    "frame-ancestors 'none'",
    "base-uri 'none'",
  ].join('; ');
}

/**
 * A full HTML document around `main`, whose first heading is `heading` (the page title unless given), below the
 * client's logo when it has one (send the page with the same `logoUri`, so the policy lets it load).
 */
export function renderPage(
  texts: Texts,
  page: { title: string; heading?: string; logoUri?: string; main: SafeHtml },
): string {
  return html`<!doctype html>
    <html lang="${texts.lang}">
      <head>
        <meta charset="utf-8" />
        <meta name="viewport" content="width=device-width, initial-scale=1" />
        <meta name="referrer" content="no-referrer" />
        <title>${page.title} – ${texts.product}</title>
        ${STYLE_ELEMENT}
      </head>
      <body>
        <a class="skip" href="#main">${texts.skipToContent}</a>
        <header><p>${texts.product}</p></header>
        <main id="main">
          ${logoImage(page.logoUri)}
          <h1>${page.heading ?? page.title}</h1>
          ${page.main}
        </main>
        <footer><p>${texts.footer}</p></footer>
      </body>
    </html> `.toString();
}

/**
 * Sends a page with the headers every hosted page has: no caching (they show per-request data and carry CSRF
 * tokens), no referrer (request ids are in their URLs), no sniffing, no framing (clickjacking of consent), CSP.
 */
export function sendPage(
  reply: FastifyReply,
  page: {
    status?: number;
    body: string;
    formTargets?: readonly string[];
    /** The client's logo the body shows: its origin alone may serve images. */
    logoUri?: string;
    headers?: Record<string, string>;
  },
): FastifyReply {
  return reply
    .code(page.status ?? 200)
    .headers({
      'content-type': 'text/html; charset=utf-8',
      'cache-control': 'no-store',
      pragma: 'no-cache',
      'referrer-policy': 'no-referrer',
      'x-content-type-options': 'nosniff',
      'x-frame-options': 'DENY',
      'cross-origin-opener-policy': 'same-origin',
      'content-security-policy': contentSecurityPolicy(page.formTargets, page.logoUri),
      ...page.headers,
    })
    .send(page.body);
}
