/**
 * "The company IdP": node-oidc-provider (the certified OpenID Provider for Node) on 127.0.0.1, with a client for
 * Latchkey's `oidc` and `google` Connections and a few people. It has its own login page (a plain HTML form at
 * `/interaction/<uid>`, usable by a browser) and grants the scopes Latchkey asks for without a consent step,
 * as a company IdP does for its own applications. Tests that need a misbehaving IdP re-sign its ID tokens with
 * {@link CompanyIdp.tamperIdTokens}.
 */
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { exportJWK, generateKeyPair, SignJWT, type CryptoKey, type JWK, type JWTPayload } from 'jose';
import Provider from 'oidc-provider';
import { CookieJar } from './cookie-jar.ts';

export interface IdpPerson {
  password: string;
  /** Claims besides `sub` (the account id): email, email_verified, name, preferred_username, groups, hd. */
  claims: Record<string, unknown>;
}

/** The people of the company IdP, by account id (their `sub`). */
export const COMPANY_PEOPLE: Readonly<Record<string, IdpPerson>> = {
  'emp-1001': {
    password: 'carol-password-1',
    claims: {
      email: 'carol@corp.example',
      email_verified: true,
      name: 'Carol Corp',
      preferred_username: 'carol',
      groups: ['engineering', 'oncall'],
      hd: 'corp.example',
    },
  },
  'emp-1002': {
    password: 'dave-password-2',
    claims: {
      email: 'dave@corp.example',
      email_verified: false,
      name: 'Dave Corp',
      preferred_username: 'dave',
    },
  },
  'emp-1003': {
    password: 'erin-password-3',
    claims: {
      email: 'erin@elsewhere.example',
      email_verified: true,
      name: 'Erin Else',
      hd: 'elsewhere.example',
    },
  },
};

export const LATCHKEY_AT_IDP = { clientId: 'latchkey', clientSecret: 'latchkey-at-idp-secret-Qm7x' };
/** A public client (PKCE alone, no secret). */
export const PUBLIC_LATCHKEY_AT_IDP = { clientId: 'latchkey-public' };

export interface CompanyIdpOptions {
  /** Latchkey's login callback(s), registered at the IdP; more can be added with `registerRedirectUri`. */
  redirectUris: string[];
  /** `client_secret_basic` (default) or `client_secret_post` for the confidential client. */
  tokenEndpointAuthMethod?: 'client_secret_basic' | 'client_secret_post';
  /**
   * True puts the profile claims in the ID token; false (the default, as OpenID Connect Core §5.4 describes for
   * the code flow) leaves them to userinfo.
   */
  claimsInIdToken?: boolean;
}

export interface CompanyIdp {
  /** `http://127.0.0.1:<port>`, as its discovery names it. */
  issuer: string;
  /** `METHOD /path` of every request the provider answered, oldest first (tests count discovery fetches). */
  requests: string[];
  /** How the client authenticated at each token request: HTTP Basic, or in the body (or not at all). */
  tokenAuth: ('basic' | 'body')[];
  /** From now on, ID tokens from the token endpoint are changed by `change` and re-signed (undefined stops). */
  tamperIdTokens(
    change: ((payload: JWTPayload) => JWTPayload) | undefined,
    signWith?: 'idp' | 'stranger',
  ): void;
  /**
   * Registers another callback for both clients, for a test that learns Latchkey's address only after the IdP
   * is up (a Latchkey process started with this IdP's issuer in its manifests).
   */
  registerRedirectUri(uri: string): void;
  /** Follows an authorization URL through the IdP's login as `accountId`; resolves the callback URL. */
  signIn(authorizationUrl: string, accountId: string, password?: string): Promise<URL>;
  close(): Promise<void>;
}

interface ProviderApi {
  Client: { prototype: ClientPrototype };
  callback(): (req: IncomingMessage, res: ServerResponse) => void;
  use(middleware: (ctx: KoaContext, next: () => Promise<void>) => Promise<void>): void;
  interactionDetails(req: IncomingMessage, res: ServerResponse): Promise<{ uid: string }>;
  interactionFinished(
    req: IncomingMessage,
    res: ServerResponse,
    result: Record<string, unknown>,
    options: { mergeWithLastSubmission: boolean },
  ): Promise<void>;
}
interface ClientPrototype {
  redirectUriAllowed(this: unknown, value: string): boolean;
}
interface KoaContext {
  path: string;
  headers: Record<string, string | undefined>;
  method: string;
  body: unknown;
}
interface GrantApi {
  addOIDCScope(scope: string): void;
  save(): Promise<string>;
}
interface OidcCtx {
  oidc: {
    client: { clientId: string };
    session: { accountId: string; grantIdFor(clientId: string): string | undefined };
    params: { scope?: string };
    provider: {
      Grant: {
        new (init: { clientId: string; accountId: string }): GrantApi;
        find(id: string): Promise<GrantApi>;
      };
    };
  };
}

/** Starts the company IdP; `close()` it after the tests. */
export async function startCompanyIdp(options: CompanyIdpOptions): Promise<CompanyIdp> {
  const { privateKey, publicKey } = await generateKeyPair('RS256', { extractable: true });
  const kid = 'company-idp-rs256';
  const privateJwk: JWK = { ...(await exportJWK(privateKey)), kid, alg: 'RS256', use: 'sig' };
  const stranger = (await generateKeyPair('RS256')).privateKey;
  void publicKey;

  const server: Server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const issuer = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  const provider = new Provider(issuer, configuration(options, privateJwk)) as unknown as ProviderApi;

  let tamper: { change: (p: JWTPayload) => JWTPayload; key: CryptoKey } | undefined;
  const requests: string[] = [];
  const tokenAuth: ('basic' | 'body')[] = [];
  provider.use(async (ctx, next) => {
    requests.push(`${ctx.method} ${ctx.path}`);
    if (ctx.path === '/token') tokenAuth.push(ctx.headers.authorization === undefined ? 'body' : 'basic');
    await next();
    const body = ctx.body as { id_token?: unknown } | undefined;
    if (tamper === undefined || ctx.path !== '/token' || typeof body?.id_token !== 'string') return;
    const payload = JSON.parse(Buffer.from(body.id_token.split('.')[1] ?? '', 'base64url').toString('utf8'));
    body.id_token = await new SignJWT(tamper.change(payload as JWTPayload))
      .setProtectedHeader({ alg: 'RS256', kid })
      .sign(tamper.key);
  });

  // node-oidc-provider's clients are static; the check is widened rather than the client re-registered.
  const registered = new Set<string>();
  const { prototype } = provider.Client;
  const original = prototype.redirectUriAllowed;
  prototype.redirectUriAllowed = function (this: unknown, value: string) {
    return registered.has(value) || original.call(this, value);
  };

  const handle = provider.callback();
  server.on('request', (req: IncomingMessage, res: ServerResponse) => {
    if (req.url?.startsWith('/interaction/')) {
      interaction(provider, req, res).catch((error: unknown) => {
        res.writeHead(500, { 'content-type': 'text/plain' }).end(String(error));
      });
    } else handle(req, res);
  });

  return {
    issuer,
    requests,
    tokenAuth,
    registerRedirectUri: (uri) => void registered.add(uri),
    tamperIdTokens(change, signWith = 'idp') {
      tamper = change && { change, key: signWith === 'idp' ? privateKey : stranger };
    },
    signIn: (url, accountId, password) =>
      walkSignIn(url, accountId, password ?? COMPANY_PEOPLE[accountId]?.password ?? ''),
    close: () =>
      new Promise((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  };
}

function configuration(options: CompanyIdpOptions, privateJwk: JWK): Record<string, unknown> {
  const common = {
    // A client that uses the code flow must register a redirect URI; this one is never redirected to.
    redirect_uris:
      options.redirectUris.length > 0 ? options.redirectUris : ['http://127.0.0.1/unused-callback'],
    grant_types: ['authorization_code'],
    response_types: ['code'],
  };
  return {
    clients: [
      {
        ...common,
        client_id: LATCHKEY_AT_IDP.clientId,
        client_secret: LATCHKEY_AT_IDP.clientSecret,
        token_endpoint_auth_method: options.tokenEndpointAuthMethod ?? 'client_secret_basic',
      },
      { ...common, client_id: PUBLIC_LATCHKEY_AT_IDP.clientId, token_endpoint_auth_method: 'none' },
    ],
    ...(options.tokenEndpointAuthMethod === 'client_secret_post'
      ? { clientAuthMethods: ['client_secret_post', 'none'] }
      : {}),
    jwks: { keys: [privateJwk] },
    ttl: {
      Interaction: 600,
      Session: 3600,
      Grant: 3600,
      AccessToken: 600,
      IdToken: 600,
      AuthorizationCode: 60,
    },
    cookies: { keys: ['company-idp-cookie-key'] },
    claims: {
      openid: ['sub', 'hd'],
      email: ['email', 'email_verified'],
      profile: ['name', 'preferred_username'],
      groups: ['groups'],
    },
    conformIdTokenClaims: options.claimsInIdToken !== true,
    features: { devInteractions: { enabled: false } },
    renderError: (
      ctx: { type: string; body: unknown },
      out: { error: string; error_description?: string },
    ) => {
      ctx.type = 'text/plain';
      ctx.body = `${out.error}: ${out.error_description ?? ''}`;
    },
    findAccount: (_ctx: unknown, id: string) => {
      const person = COMPANY_PEOPLE[id];
      return person && { accountId: id, claims: () => ({ sub: id, ...person.claims }) };
    },
    // A company IdP does not ask its own people to consent to its own applications.
    loadExistingGrant: async (ctx: OidcCtx) => {
      const { client, session, params, provider } = ctx.oidc;
      const existing = session.grantIdFor(client.clientId);
      if (existing !== undefined) return provider.Grant.find(existing);
      const grant = new provider.Grant({ clientId: client.clientId, accountId: session.accountId });
      grant.addOIDCScope(params.scope ?? 'openid');
      await grant.save();
      return grant;
    },
  };
}

/** The IdP's login page: GET shows the form, POST checks the password and finishes the login interaction. */
async function interaction(provider: ProviderApi, req: IncomingMessage, res: ServerResponse): Promise<void> {
  const { uid } = await provider.interactionDetails(req, res);
  if (req.method === 'GET') {
    res.writeHead(200, { 'content-type': 'text/html; charset=utf-8' }).end(loginPage(uid, false));
    return;
  }
  const chunks: Buffer[] = [];
  for await (const chunk of req) chunks.push(chunk as Buffer);
  const form = new URLSearchParams(Buffer.concat(chunks).toString('utf8'));
  const accountId = form.get('username') ?? '';
  const person = COMPANY_PEOPLE[accountId];
  if (person === undefined || person.password !== form.get('password')) {
    res.writeHead(200, { 'content-type': 'text/html; charset=utf-8' }).end(loginPage(uid, true));
    return;
  }
  await provider.interactionFinished(
    req,
    res,
    { login: { accountId, amr: ['pwd'] } },
    { mergeWithLastSubmission: false },
  );
}

function loginPage(uid: string, failed: boolean): string {
  return `<!doctype html><html lang="en"><head><title>Company IdP: sign in</title></head><body>
<h1>Company IdP</h1>${failed ? '<p role="alert">Wrong name or password.</p>' : ''}
<form method="post" action="/interaction/${encodeURIComponent(uid)}">
<label for="username">Employee id</label><input id="username" name="username" autocomplete="username">
<label for="password">Password</label><input id="password" name="password" type="password">
<button type="submit">Sign in</button></form></body></html>`;
}

/**
 * What a browser does between Latchkey's redirect and the callback: the authorization request, the login form,
 * the resume; cookies kept by name (one host). Resolves the URL the IdP finally redirects to.
 */
async function walkSignIn(authorizationUrl: string, accountId: string, password: string): Promise<URL> {
  const jar = new CookieJar();
  const go = async (url: URL, init: RequestInit = {}) => {
    const response = await fetch(url, {
      ...init,
      redirect: 'manual',
      headers: jar.with(init.headers as Record<string, string>),
    });
    jar.keep(response);
    await response.arrayBuffer();
    const location = response.headers.get('location');
    if (location === null)
      throw new Error(`${init.method ?? 'GET'} ${url.pathname} answered ${response.status}`);
    return new URL(location, url);
  };
  const loginAt = await go(new URL(authorizationUrl));
  if (!loginAt.pathname.startsWith('/interaction/')) return loginAt;
  const resumeAt = await go(loginAt, {
    method: 'POST',
    headers: { 'content-type': 'application/x-www-form-urlencoded' },
    body: new URLSearchParams({ username: accountId, password }).toString(),
  });
  return go(resumeAt);
}
