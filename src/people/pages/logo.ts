import { html, type SafeHtml } from './html.ts';

/**
 * A client's logo on the login and consent pages (OAuthClient `spec.logoUri`, issue 12). The person's browser
 * fetches it from the tenant's host, so the page's Content-Security-Policy names that one origin in `img-src`,
 * and the request carries no referrer: the page's URL holds the authorization request's id.
 */

// What a CSP host-source may hold here: https, a DNS name or an IPv6 literal, a port. The URL parser lets `;`,
// `,`, `'` and `*` through in a host, any of which would change the policy it is written into.
const SOURCE = /^https:\/\/([a-z0-9.-]+|\[[0-9a-f:.]+\])(:[0-9]{1,5})?$/;

/**
 * The logo's parsed URL and its CSP source (its origin), or undefined when it cannot be shown safely: not
 * https, with userinfo or a fragment, or a host a policy cannot name. The schema refuses all of these; this
 * holds the pages to it whatever the snapshot says.
 *
 * @example
 * logoSource('https://cdn.example.com/logo.png')?.source; // 'https://cdn.example.com'
 */
export function logoSource(logoUri: string | undefined): { href: string; source: string } | undefined {
  if (logoUri === undefined || !URL.canParse(logoUri)) return undefined;
  const url = new URL(logoUri);
  if (url.protocol !== 'https:' || url.username !== '' || url.password !== '' || url.hash !== '')
    return undefined;
  return SOURCE.test(url.origin) ? { href: url.href, source: url.origin } : undefined;
}

/**
 * The logo's `<img>`, or nothing. Decorative (`alt=""`): the heading beside it names the client. Loaded at
 * once (it is at the top of the page) and decoded off the main thread; its size is capped by the stylesheet.
 */
export function logoImage(logoUri: string | undefined): SafeHtml | undefined {
  const logo = logoSource(logoUri);
  if (logo === undefined) return undefined;
  return html`<img
    class="logo"
    src="${logo.href}"
    alt=""
    referrerpolicy="no-referrer"
    loading="eager"
    decoding="async"
  />`;
}
