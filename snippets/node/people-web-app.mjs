// A web app people sign in to through Latchkey: the authorization code flow with PKCE, state and nonce
// (openid-client), RP-initiated logout, and node:http only. Its client comes from the mounted Secret.
import { randomBytes } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { createServer } from 'node:http';
import { join } from 'node:path';
import * as client from 'openid-client';

const dir = process.env.LATCHKEY_SECRET_DIR || '/var/run/secrets/latchkey';
const read = (key) => readFileSync(join(dir, key), 'utf8').trim();
// Where people reach the app; the OAuthClient registers `<APP_URL>/callback` and `<APP_URL>/`.
const appUrl = new URL(process.env.APP_URL || 'http://localhost:3000');
const redirectUri = new URL('/callback', appUrl).href;
const signedOutUri = new URL('/', appUrl).href;

const issuer = new URL(read('issuer'));
const config = await client.discovery(
  issuer,
  read('client_id'),
  undefined,
  client.ClientSecretBasic(read('client_secret')),
  // `latchkey dev` serves plain http; a cluster's issuer is https.
  { execute: issuer.protocol === 'http:' ? [client.allowInsecureRequests] : [] },
);

// Sessions on the server, found by an unguessable cookie. One process only: with replicas, keep them in a
// shared store (or sign and encrypt them into the cookie).
const SESSION_SECONDS = 8 * 3600;
const sessions = new Map();
const cookieName = 'notes-session';
const secure = appUrl.protocol === 'https:' ? '; Secure' : '';

function session(req) {
  const id = /(?:^|;\s*)notes-session=([\w-]+)/.exec(req.headers.cookie ?? '')?.[1];
  const found = id && sessions.get(id);
  if (found && found.expires > Date.now()) return found;
  if (found) sessions.delete(id);
  return undefined;
}

// A new id for every change of who is signed in, so an id planted before sign-in is worth nothing after it.
function startSession(res, data) {
  const id = randomBytes(32).toString('base64url');
  sessions.set(id, { ...data, expires: Date.now() + SESSION_SECONDS * 1000 });
  // SameSite=Lax: the cookie comes along when Latchkey sends the browser back to /callback (a top-level GET).
  res.setHeader(
    'set-cookie',
    `${cookieName}=${id}; Path=/; Max-Age=${SESSION_SECONDS}; HttpOnly; SameSite=Lax${secure}`,
  );
}

function endSession(req, res) {
  const id = /(?:^|;\s*)notes-session=([\w-]+)/.exec(req.headers.cookie ?? '')?.[1];
  if (id) sessions.delete(id);
  res.setHeader('set-cookie', `${cookieName}=; Path=/; Max-Age=0; HttpOnly; SameSite=Lax${secure}`);
}

const escape = (text) => String(text).replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);

function page(res, status, body) {
  res.writeHead(status, {
    'content-type': 'text/html; charset=utf-8',
    'cache-control': 'no-store',
    'content-security-policy': "default-src 'none'; form-action 'self' " + issuer.origin,
  });
  res.end(`<!doctype html><html lang="en"><title>Notes</title><body>${body}</body></html>`);
}

function redirect(res, location) {
  res.writeHead(303, { location: location.toString(), 'cache-control': 'no-store' });
  res.end();
}

async function handle(req, res) {
  const url = new URL(req.url, appUrl);
  const route = `${req.method} ${url.pathname}`;

  if (route === 'GET /') {
    const user = session(req)?.user;
    if (!user) return page(res, 200, '<p>Not signed in.</p><p><a href="/login">Sign in</a></p>');
    return page(
      res,
      200,
      `<p>Signed in as ${escape(user.name ?? user.sub)} (${escape(user.email ?? 'no email')}).</p>` +
        '<form method="post" action="/logout"><button>Sign out</button></form>',
    );
  }

  if (route === 'GET /login') {
    // PKCE (S256), state and nonce, kept in this browser's session until the callback uses them once.
    const login = {
      verifier: client.randomPKCECodeVerifier(),
      state: client.randomState(),
      nonce: client.randomNonce(),
    };
    startSession(res, { login });
    return redirect(
      res,
      client.buildAuthorizationUrl(config, {
        redirect_uri: redirectUri,
        scope: 'openid profile email',
        code_challenge: await client.calculatePKCECodeChallenge(login.verifier),
        code_challenge_method: 'S256',
        state: login.state,
        nonce: login.nonce,
      }),
    );
  }

  if (route === 'GET /callback') {
    const login = session(req)?.login;
    endSession(req, res);
    if (!login) return page(res, 400, '<p>No sign-in is in progress here. <a href="/login">Sign in</a></p>');
    let tokens;
    try {
      // Checks state, iss (RFC 9207) and, in the ID token, nonce, signature, issuer, audience and expiry.
      tokens = await client.authorizationCodeGrant(config, url, {
        pkceCodeVerifier: login.verifier,
        expectedState: login.state,
        expectedNonce: login.nonce,
        idTokenExpected: true,
      });
    } catch (err) {
      // An error answer from Latchkey has `error`; a failed check says what in its cause.
      const reason = err.error
        ? `${err.error}: ${err.error_description ?? ''}`
        : [err.message, err.cause?.message].filter(Boolean).join(': ');
      console.error(`sign-in failed: ${reason}`);
      return page(res, 400, `<p>Sign-in failed: ${escape(reason)}</p><p><a href="/login">Try again</a></p>`);
    }
    const { sub, name, email } = tokens.claims();
    startSession(res, { user: { sub, name, email }, idToken: tokens.id_token });
    return redirect(res, signedOutUri);
  }

  if (route === 'POST /logout') {
    const idToken = session(req)?.idToken;
    endSession(req, res);
    if (!idToken) return redirect(res, signedOutUri);
    // RP-initiated logout: Latchkey ends its own session too and sends the browser back to the registered URI.
    return redirect(
      res,
      client.buildEndSessionUrl(config, { id_token_hint: idToken, post_logout_redirect_uri: signedOutUri }),
    );
  }

  page(res, 404, '<p>Not found.</p>');
}

const port = Number(process.env.PORT || 3000);
createServer((req, res) =>
  handle(req, res).catch((err) => {
    console.error(err);
    if (!res.headersSent) page(res, 500, '<p>Something went wrong.</p>');
  }),
).listen(port, () => console.log(`listening on port ${port}, reached at ${appUrl.origin}`));
