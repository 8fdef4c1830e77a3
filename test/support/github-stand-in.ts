/**
 * A STAND-IN for GitHub (github.com cannot be reached from the tests): a small HTTP server on 127.0.0.1 that
 * implements exactly the endpoints and response shapes Latchkey's `github` Connection uses, laid out as GitHub
 * Enterprise Server lays them out (web at `<base>`, REST API at `<base>/api/v3`), and checks what GitHub checks.
 * It is not GitHub: it implements nothing else, and where GitHub's behaviour is richer it does the documented
 * minimum. It follows:
 *
 * - OAuth web application flow, PKCE included:
 *   https://docs.github.com/en/apps/oauth-apps/building-oauth-apps/authorizing-oauth-apps
 * - Token request errors (answered 200 with an `error` member):
 *   https://docs.github.com/en/apps/oauth-apps/maintaining-oauth-apps/troubleshooting-oauth-app-access-token-request-errors
 * - Scopes: https://docs.github.com/en/apps/oauth-apps/building-oauth-apps/scopes-for-oauth-apps
 * - `GET /user`: https://docs.github.com/en/rest/users/users#get-the-authenticated-user
 * - `GET /user/emails`: https://docs.github.com/en/rest/users/emails#list-email-addresses-for-the-authenticated-user
 * - `GET /user/orgs`: https://docs.github.com/en/rest/orgs/orgs#list-organizations-for-the-authenticated-user
 * - `GET /user/teams`: https://docs.github.com/en/rest/teams/teams#list-teams-for-the-authenticated-user
 * - User-Agent required, pagination with `per_page`/`page`:
 *   https://docs.github.com/en/rest/using-the-rest-api/getting-started-with-the-rest-api
 */
import { createHash, randomBytes } from 'node:crypto';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';

export interface GithubAccount {
  login: string;
  id: number;
  name: string | null;
  emails: { email: string; primary: boolean; verified: boolean }[];
  /** Organizations; `public: false` memberships are listed only with `read:org`. */
  orgs: { login: string; public: boolean }[];
  /** Team slugs by organization login. */
  teams: { org: string; slug: string }[];
}

export const GITHUB_PEOPLE: Readonly<Record<string, GithubAccount>> = {
  octocat: {
    login: 'octocat',
    id: 583231,
    name: 'The Octocat',
    emails: [
      { email: 'octocat@users.example', primary: false, verified: true },
      { email: 'octocat@github.example', primary: true, verified: true },
    ],
    orgs: [
      { login: 'Latchkey-Dev', public: false },
      { login: 'octo-org', public: true },
    ],
    teams: [
      { org: 'Latchkey-Dev', slug: 'platform' },
      { org: 'octo-org', slug: 'docs' },
    ],
  },
  monalisa: {
    login: 'monalisa',
    id: 2,
    name: null,
    emails: [{ email: 'mona@unverified.example', primary: true, verified: false }],
    orgs: [],
    teams: [],
  },
  // More organizations than one page holds, so a client that does not page misses the last ones.
  hubber: {
    login: 'hubber',
    id: 9_000_001,
    name: 'Hub Ber',
    emails: [{ email: 'hubber@github.example', primary: true, verified: true }],
    orgs: Array.from({ length: 150 }, (_, i) => ({ login: `org-${i}`, public: true })),
    teams: [],
  },
};

/** The OAuth app Latchkey is registered as at the stand-in. */
export const LATCHKEY_AT_GITHUB = { clientId: 'Iv1.latchkey0001', clientSecret: 'github-app-secret-4f9a' };

export interface GithubStandIn {
  /** `http://127.0.0.1:<port>`: the Connection's `baseUrl`. */
  baseUrl: string;
  /**
   * Which account "the browser" is signed in to GitHub as (the authorize endpoint approves as them); when none,
   * the authorize endpoint shows a login form (for a browser walk) that signs in and comes back.
   */
  signInAs(login: string | undefined): void;
  /** Every request, as `METHOD /path` (without the query). */
  requests: string[];
  /** Follows an authorization URL as the signed-in account; resolves where GitHub redirects back to. */
  authorize(url: string): Promise<URL>;
  close(): Promise<void>;
}

/** What the stand-in remembers between requests. */
interface StandInWorld {
  callbackUrl: string;
  codes: Map<string, Grant>;
  tokens: Map<string, { login: string; scopes: string[] }>;
  signedIn: string | undefined;
}

interface Grant {
  login: string;
  redirectUri: string;
  scopes: string[];
  codeChallenge?: string;
  expiresAtMs: number;
}

/** Starts the stand-in; `callbackUrl` is the OAuth app's registered callback URL. */
export async function startGithubStandIn(callbackUrl: string): Promise<GithubStandIn> {
  const world: StandInWorld = { callbackUrl, codes: new Map(), tokens: new Map(), signedIn: undefined };
  const requests: string[] = [];

  const server: Server = createServer((req, res) => {
    const url = new URL(req.url ?? '/', 'http://stand-in');
    requests.push(`${req.method} ${url.pathname}`);
    const route = `${req.method} ${url.pathname}`;
    void (async () => {
      if (route === 'GET /login/oauth/authorize') authorize(world, url, res);
      else if (route === 'POST /login/oauth/access_token') accessToken(world, await form(req), req, res);
      else if (route === 'POST /session') session(world, await form(req), res);
      else if (req.method === 'GET' && url.pathname.startsWith('/api/v3/')) api(world, url, req, res);
      else send(res, 404, { message: 'Not Found' });
    })();
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const baseUrl = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  return {
    baseUrl,
    requests,
    signInAs(login) {
      world.signedIn = login;
    },
    async authorize(url) {
      const response = await fetch(url, { redirect: 'manual' });
      await response.arrayBuffer();
      const location = response.headers.get('location');
      if (location === null) throw new Error(`the stand-in's authorize answered ${response.status}`);
      return new URL(location);
    },
    close: () =>
      new Promise((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  };
}

function authorize(world: StandInWorld, url: URL, res: ServerResponse): void {
  const q = url.searchParams;
  // GitHub shows a 404 page for an unknown client_id: nothing goes back to the redirect URI.
  if (q.get('client_id') !== LATCHKEY_AT_GITHUB.clientId)
    return void send(res, 404, { message: 'Not Found' });
  const redirectUri = q.get('redirect_uri') ?? world.callbackUrl;
  const back = new URL(redirectUri);
  const state = q.get('state');
  if (state !== null) back.searchParams.set('state', state);
  if (!redirectUriAllowed(redirectUri, world.callbackUrl)) {
    const registered = new URL(world.callbackUrl);
    registered.searchParams.set('error', 'redirect_uri_mismatch');
    if (state !== null) registered.searchParams.set('state', state);
    return void res.writeHead(302, { location: registered.href }).end();
  }
  // Not signed in: GitHub sends the browser to its login page, which comes back here (`return_to`).
  if (world.signedIn === undefined) return void loginPage(res, `${url.pathname}${url.search}`);
  const method = q.get('code_challenge_method');
  const challenge = q.get('code_challenge');
  if (challenge !== null && method !== 'S256') {
    back.searchParams.set('error', 'invalid_request');
    return void res.writeHead(302, { location: back.href }).end();
  }
  const code = randomBytes(10).toString('hex');
  world.codes.set(code, {
    login: world.signedIn,
    redirectUri,
    scopes: (q.get('scope') ?? '').split(/[ ,]+/).filter((s) => s !== ''),
    ...(challenge === null ? {} : { codeChallenge: challenge }),
    expiresAtMs: Date.now() + 10 * 60_000,
  });
  back.searchParams.set('code', code);
  res.writeHead(302, { location: back.href }).end();
}

function accessToken(
  world: StandInWorld,
  body: URLSearchParams,
  req: IncomingMessage,
  res: ServerResponse,
): void {
  // Without `Accept: application/json` GitHub answers form-encoded, which Latchkey must not rely on.
  const answer = (json: Record<string, unknown>): void => {
    if (req.headers.accept?.includes('application/json')) return send(res, 200, json);
    res
      .writeHead(200, { 'content-type': 'application/x-www-form-urlencoded' })
      .end(new URLSearchParams(json as Record<string, string>).toString());
  };
  const error = (code: string) => answer({ error: code, error_description: `stand-in: ${code}` });
  if (
    body.get('client_id') !== LATCHKEY_AT_GITHUB.clientId ||
    body.get('client_secret') !== LATCHKEY_AT_GITHUB.clientSecret
  ) {
    return error('incorrect_client_credentials');
  }
  const code = body.get('code') ?? '';
  const grant = world.codes.get(code);
  world.codes.delete(code); // single use, whatever follows
  if (grant === undefined || grant.expiresAtMs < Date.now()) return error('bad_verification_code');
  const redirectUri = body.get('redirect_uri');
  if (redirectUri !== null && redirectUri !== grant.redirectUri) return error('redirect_uri_mismatch');
  const verifier = body.get('code_verifier');
  if (grant.codeChallenge !== undefined) {
    const computed = verifier === null ? '' : createHash('sha256').update(verifier).digest('base64url');
    if (computed !== grant.codeChallenge) return error('bad_verification_code');
  }
  const token = `gho_${randomBytes(18).toString('hex')}`;
  world.tokens.set(token, { login: grant.login, scopes: grant.scopes });
  answer({ access_token: token, token_type: 'bearer', scope: grant.scopes.join(',') });
}

function api(world: StandInWorld, url: URL, req: IncomingMessage, res: ServerResponse): void {
  if (!req.headers['user-agent']) {
    return void send(res, 403, {
      message:
        'Request forbidden by administrative rules. Please make sure your request has a User-Agent header',
    });
  }
  const [scheme, token] = (req.headers.authorization ?? '').split(' ');
  const session = /^(bearer|token)$/i.test(scheme ?? '') ? world.tokens.get(token ?? '') : undefined;
  const account = session && GITHUB_PEOPLE[session.login];
  if (session === undefined || account === undefined)
    return void send(res, 401, { message: 'Bad credentials' });
  const has = (...scopes: string[]) => scopes.some((s) => session.scopes.includes(s));
  const page = <T>(items: T[]) => {
    const perPage = Math.min(Number(url.searchParams.get('per_page') ?? 30) || 30, 100);
    const at = Math.max(Number(url.searchParams.get('page') ?? 1) || 1, 1);
    return items.slice((at - 1) * perPage, at * perPage);
  };
  switch (url.pathname) {
    case '/api/v3/user':
      return void send(res, 200, {
        login: account.login,
        id: account.id,
        name: account.name,
        type: 'User',
      });
    case '/api/v3/user/emails':
      if (!has('user:email', 'user')) return void send(res, 404, { message: 'Not Found' });
      return void send(res, 200, page(account.emails.map((e) => ({ ...e, visibility: 'private' }))));
    case '/api/v3/user/orgs': {
      const orgs = account.orgs.filter((o) => o.public || has('read:org', 'admin:org'));
      return void send(res, 200, page(orgs.map((o, i) => ({ login: o.login, id: 1000 + i }))));
    }
    case '/api/v3/user/teams':
      if (!has('read:org', 'admin:org', 'repo'))
        return void send(res, 403, { message: 'Must have admin rights' });
      return void send(
        res,
        200,
        page(account.teams.map((t, i) => ({ id: 2000 + i, slug: t.slug, organization: { login: t.org } }))),
      );
    default:
      return void send(res, 404, { message: 'Not Found' });
  }
}

/** A login form for a browser walk: any account of {@link GITHUB_PEOPLE}, no password (it is a stand-in). */
function loginPage(res: ServerResponse, returnTo: string): void {
  const escaped = returnTo.replace(/&/g, '&amp;').replace(/"/g, '&quot;').replace(/</g, '&lt;');
  res.writeHead(200, { 'content-type': 'text/html; charset=utf-8' }).end(
    `<!doctype html><html lang="en"><head><title>Sign in to GitHub (stand-in)</title></head><body>
<h1>Sign in to GitHub (stand-in)</h1><form method="post" action="/session">
<input type="hidden" name="return_to" value="${escaped}">
<label for="login">Username</label><input id="login" name="login" autocomplete="username">
<button type="submit">Sign in</button></form></body></html>`,
  );
}

function session(world: StandInWorld, body: URLSearchParams, res: ServerResponse): void {
  const login = body.get('login') ?? '';
  const returnTo = body.get('return_to') ?? '/';
  if (GITHUB_PEOPLE[login] === undefined || !returnTo.startsWith('/login/oauth/authorize?')) {
    return void res.writeHead(422, { 'content-type': 'text/plain' }).end('Incorrect username.');
  }
  world.signedIn = login;
  res.writeHead(302, { location: returnTo }).end();
}

/**
 * GitHub: the redirect URI's host and port must match the callback URL's exactly, and its path must be the
 * callback's path or below it.
 */
function redirectUriAllowed(redirectUri: string, callbackUrl: string): boolean {
  if (!URL.canParse(redirectUri)) return false;
  const given = new URL(redirectUri);
  const registered = new URL(callbackUrl);
  if (given.protocol !== registered.protocol || given.host !== registered.host) return false;
  const base = registered.pathname.replace(/\/$/, '');
  return given.pathname === registered.pathname || given.pathname.startsWith(`${base}/`);
}

async function form(req: IncomingMessage): Promise<URLSearchParams> {
  const chunks: Buffer[] = [];
  for await (const chunk of req) chunks.push(chunk as Buffer);
  return new URLSearchParams(Buffer.concat(chunks).toString('utf8'));
}

function send(res: ServerResponse, status: number, body: unknown): void {
  res.writeHead(status, { 'content-type': 'application/json; charset=utf-8' }).end(JSON.stringify(body));
}
