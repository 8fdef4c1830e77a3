/**
 * A browser in plain HTTP for the people cases of `npm run bench:peers`: a cookie jar, redirects followed by
 * hand, and a login or consent page answered by posting its form with the test person's name and password.
 * The same code signs in at Latchkey's hosted login page (its `test` Connection), node-oidc-provider's dev
 * interactions and Keycloak's login page: every one of them is an HTML form posted to the server that showed
 * it. Once signed in, each authorization request of the same browser comes back with a code (at
 * node-oidc-provider after a consent page: it asks again for every request with `prompt=consent`, which it
 * needs to issue a refresh token for `offline_access`, OpenID Connect Core §11).
 */

import { createHash, randomBytes } from 'node:crypto';
import { performance } from 'node:perf_hooks';

/** What an authorization request of the bench names; the PKCE pair, `state` and `nonce` are fresh each time. */
export interface AuthorizeSpec {
  /** The authorization endpoint. */
  endpoint: string;
  clientId: string;
  redirectUri: string;
  scope: string;
  /** RFC 8707 `resource`, when the server needs it to issue a JWT access token for the API. */
  resource?: string;
  /** `prompt`, when the server needs one (node-oidc-provider: `consent` for `offline_access`). */
  prompt?: string;
  username: string;
  password: string;
}

/** A code and the PKCE verifier its exchange needs (RFC 7636 §4.5). */
export interface MintedCode {
  code: string;
  verifier: string;
}

const MAX_STEPS = 12;

/** RFC 7636 §4.1 and §4.2: 32 random bytes as the verifier, S256 as the challenge. */
export function pkcePair(): { verifier: string; challenge: string } {
  const verifier = randomBytes(32).toString('base64url');
  return { verifier, challenge: createHash('sha256').update(verifier).digest('base64url') };
}

const ENTITIES: Record<string, string> = { amp: '&', lt: '<', gt: '>', quot: '"', '#39': "'", '#x27': "'" };
const unescape = (s: string) =>
  s.replace(/&(amp|lt|gt|quot|#39|#x27);/g, (_, e: string) => ENTITIES[e] ?? '');

function attribute(tag: string, name: string): string | undefined {
  const m = new RegExp(`\\s${name}\\s*=\\s*("([^"]*)"|'([^']*)')`, 'i').exec(tag);
  return m === null ? undefined : unescape(m[2] ?? m[3] ?? '');
}

/**
 * The first form that posts, with its fields filled: hidden and submit inputs keep their values, a text or
 * email input named like a user name gets `username`, a password input `password`.
 */
export function fillForm(
  page: string,
  base: string,
  username: string,
  password: string,
): { action: string; body: string } | undefined {
  for (const m of page.matchAll(/<form\b([^>]*)>([\s\S]*?)<\/form>/gi)) {
    const [, open = '', inner = ''] = m;
    if ((attribute(open, 'method') ?? 'get').toLowerCase() !== 'post') continue;
    const fields = new URLSearchParams();
    for (const [input] of inner.matchAll(/<input\b[^>]*>/gi)) {
      const name = attribute(input, 'name');
      if (name === undefined) continue;
      const type = (attribute(input, 'type') ?? 'text').toLowerCase();
      if (type === 'password') fields.set(name, password);
      else if (/^(username|login|email)$/i.test(name) && (type === 'text' || type === 'email')) {
        fields.set(name, username);
      } else if (type === 'hidden' || type === 'submit') fields.set(name, attribute(input, 'value') ?? '');
    }
    return { action: new URL(attribute(open, 'action') ?? base, base).href, body: fields.toString() };
  }
  return undefined;
}

/**
 * A cookie jar for one origin that keeps each cookie's `Path` (RFC 6265 §5.1.4): node-oidc-provider names every
 * interaction's resume cookie alike, on that interaction's own path, so concurrent sign-ins need paths apart.
 */
export class Browser {
  /** By path, then by name. */
  readonly #cookies = new Map<string, Map<string, string>>();

  #remember(res: Response, url: URL): void {
    for (const line of res.headers.getSetCookie()) {
      const [pair = '', ...attributes] = line.split(';');
      const at = pair.indexOf('=');
      if (at <= 0) continue;
      const name = pair.slice(0, at).trim();
      const value = pair.slice(at + 1).trim();
      const pathAttribute = attributes.map((a) => a.trim()).find((a) => /^path=/i.test(a));
      const path = pathAttribute?.slice(5) || url.pathname.replace(/\/[^/]*$/, '') || '/';
      const jar = this.#cookies.get(path) ?? new Map<string, string>();
      this.#cookies.set(path, jar);
      // An expired or emptied cookie is how a server deletes one.
      if (value === '' || /max-age=0\b|expires=thu, 01 jan 1970/i.test(line)) jar.delete(name);
      else jar.set(name, value);
    }
  }

  #cookieHeader(url: URL): string {
    const pairs = new Map<string, string>();
    // Shorter paths first, so a cookie on a longer, more specific path wins (RFC 6265 §5.4 orders them so).
    for (const [path, jar] of [...this.#cookies].sort(([a], [b]) => a.length - b.length)) {
      const matches =
        url.pathname === path || url.pathname.startsWith(path.endsWith('/') ? path : `${path}/`);
      if (!matches) continue;
      for (const [name, value] of jar) pairs.set(name, value);
    }
    return [...pairs].map(([k, v]) => `${k}=${v}`).join('; ');
  }

  async request(url: string, form?: string): Promise<Response> {
    const target = new URL(url);
    const cookie = this.#cookieHeader(target);
    const res = await fetch(url, {
      method: form === undefined ? 'GET' : 'POST',
      redirect: 'manual',
      headers: {
        accept: 'text/html',
        ...(cookie === '' ? {} : { cookie }),
        ...(form === undefined ? {} : { 'content-type': 'application/x-www-form-urlencoded' }),
      },
      ...(form === undefined ? {} : { body: form }),
    });
    this.#remember(res, target);
    return res;
  }

  /**
   * One authorization request with a fresh PKCE pair, followed until the server redirects to the client:
   * each page on the way is answered by posting its form.
   *
   * @throws when no code comes back within a few steps, with the last status and the start of the page
   */
  async authorize(spec: AuthorizeSpec): Promise<MintedCode> {
    const { verifier, challenge } = pkcePair();
    const params = new URLSearchParams({
      response_type: 'code',
      client_id: spec.clientId,
      redirect_uri: spec.redirectUri,
      scope: spec.scope,
      state: randomBytes(12).toString('base64url'),
      nonce: randomBytes(12).toString('base64url'),
      code_challenge: challenge,
      code_challenge_method: 'S256',
      ...(spec.resource === undefined ? {} : { resource: spec.resource }),
      ...(spec.prompt === undefined ? {} : { prompt: spec.prompt }),
    });
    let url = `${spec.endpoint}?${params.toString()}`;
    let form: string | undefined;
    let last = '';
    for (let step = 0; step < MAX_STEPS; step++) {
      const res = await this.request(url, form);
      form = undefined;
      const location = res.headers.get('location');
      if (res.status >= 300 && res.status < 400 && location !== null) {
        await res.body?.cancel();
        const next = new URL(location, url);
        if (next.href.startsWith(spec.redirectUri)) {
          const code = next.searchParams.get('code');
          if (code === null) throw new Error(`the server answered the client with ${next.search}`);
          return { code, verifier };
        }
        url = next.href;
        continue;
      }
      const page = await res.text();
      const text = page.replace(/<style[\s\S]*?<\/style>|<[^>]+>/g, ' ').replace(/\s+/g, ' ');
      last = `HTTP ${res.status} at ${url}: ${text.slice(0, 300)}`;
      const filled = res.ok ? fillForm(page, url, spec.username, spec.password) : undefined;
      if (filled === undefined) break;
      url = filled.action;
      form = filled.body;
    }
    throw new Error(`no code came back: ${last}`);
  }
}

/**
 * `count` codes from `browsers` browsers at once, each signed in by its first authorization request and then
 * asking again and again, one request at a time as a person's browser does (node-oidc-provider refuses an
 * interaction that another one of the same session finished meanwhile). Stops early after `budgetMs`, so that
 * the first codes are still alive when the last one is minted.
 */
export async function mintCodes(
  spec: AuthorizeSpec,
  count: number,
  browsers: number,
  budgetMs = Number.POSITIVE_INFINITY,
): Promise<MintedCode[]> {
  const until = performance.now() + budgetMs;
  const codes: MintedCode[] = [];
  const worker = async () => {
    const browser = new Browser();
    while (codes.length < count && performance.now() < until) {
      codes.push(await browser.authorize(spec));
    }
  };
  await Promise.all(Array.from({ length: Math.max(1, browsers) }, worker));
  return codes.slice(0, count);
}
