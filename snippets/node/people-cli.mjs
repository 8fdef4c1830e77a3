// A command-line tool people sign in to through Latchkey, as a native app (RFC 8252): the browser comes back to
// a listener on 127.0.0.1, and the tool is a public client (no secret) whose code is protected by PKCE.
//   login  signs in, prints an access token and keeps the refresh token
//   token  prints a fresh access token from the kept refresh token
//   logout revokes the refresh token (and with it every token of its family) and forgets it
import { spawn } from 'node:child_process';
import { mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:http';
import { homedir } from 'node:os';
import { dirname, join } from 'node:path';
import * as client from 'openid-client';

const issuer = new URL(process.env.LATCHKEY_ISSUER || 'http://127.0.0.1:8080');
const clientId = process.env.LATCHKEY_CLIENT_ID || 'notes-cli.notes';
const scope = 'openid offline_access notes:read';
const tokenFile =
  process.env.NOTES_TOKEN_FILE ||
  join(process.env.XDG_CONFIG_HOME || join(homedir(), '.config'), 'notes-cli', 'refresh-token');
// How long `login` waits for the browser to come back.
const timeoutSeconds = Number(process.env.NOTES_LOGIN_TIMEOUT || 300);

function fail(message) {
  console.error(message);
  process.exit(1);
}

const config = await client.discovery(issuer, clientId, undefined, client.None(), {
  // `latchkey dev` serves plain http; a cluster's issuer is https.
  execute: issuer.protocol === 'http:' ? [client.allowInsecureRequests] : [],
});

// The refresh token is a credential: readable by its owner only. Each use rotates it, so keep the new one.
function keep(tokens) {
  if (!tokens.refresh_token) return;
  mkdirSync(dirname(tokenFile), { recursive: true, mode: 0o700 });
  writeFileSync(tokenFile, tokens.refresh_token, { mode: 0o600 });
}

function explain(err) {
  // An error answer from Latchkey has `error`; a failed check says what in its cause.
  if (err.error) return `${err.error}: ${err.error_description ?? ''}`;
  return [err.message, err.cause?.message].filter(Boolean).join(': ');
}

async function login() {
  const verifier = client.randomPKCECodeVerifier();
  const state = client.randomState();
  const server = createServer();
  // Port 0: any free port. The client registers http://127.0.0.1/callback; a loopback redirect URI of a native
  // client matches on any port (RFC 8252 §7.3). An IP literal, not localhost (§8.3).
  await new Promise((listening) => server.listen(0, '127.0.0.1', listening));
  const redirectUri = `http://127.0.0.1:${server.address().port}/callback`;
  const url = client.buildAuthorizationUrl(config, {
    redirect_uri: redirectUri,
    scope,
    code_challenge: await client.calculatePKCECodeChallenge(verifier),
    code_challenge_method: 'S256',
    state,
  });
  console.error(`Open this address in a browser to sign in:\n\n  ${url.href}\n`);
  if (process.stderr.isTTY) {
    const opener = { darwin: 'open', win32: 'explorer' }[process.platform] ?? 'xdg-open';
    spawn(opener, [url.href], { stdio: 'ignore', detached: true })
      .on('error', () => {})
      .unref();
  }

  const timer = setTimeout(() => {
    server.close();
    fail(`No sign-in within ${timeoutSeconds} s: run login again.`);
  }, timeoutSeconds * 1000);

  const tokens = await new Promise((signedIn) => {
    server.on('request', async (req, res) => {
      const current = new URL(req.url, redirectUri);
      if (current.pathname !== '/callback') {
        res.writeHead(404).end();
        return;
      }
      const answer = (status, text) =>
        res.writeHead(status, { 'content-type': 'text/plain; charset=utf-8', connection: 'close' }).end(text);
      try {
        // Checks state and iss (RFC 9207), sends the code with the PKCE verifier, and checks the ID token.
        const result = await client.authorizationCodeGrant(config, current, {
          pkceCodeVerifier: verifier,
          expectedState: state,
        });
        answer(200, 'Signed in. You can close this tab and return to the terminal.\n');
        signedIn(result);
      } catch (err) {
        answer(400, `Sign-in failed: ${explain(err)}\n`);
        clearTimeout(timer);
        server.close();
        fail(`sign-in failed: ${explain(err)}`);
      }
    });
  });
  clearTimeout(timer);
  server.close();
  keep(tokens);
  if (!tokens.refresh_token)
    console.error('No refresh token (offline_access not granted): sign in again later.');
  console.log(tokens.access_token);
}

async function token() {
  let refreshToken;
  try {
    refreshToken = readFileSync(tokenFile, 'utf8').trim();
  } catch {
    fail('Not signed in: run login first.');
  }
  let tokens;
  try {
    tokens = await client.refreshTokenGrant(config, refreshToken);
  } catch (err) {
    // invalid_grant: the token expired, was revoked, or was used twice (then its whole family is revoked).
    if (err.error === 'invalid_grant') rmSync(tokenFile, { force: true });
    fail(`refresh failed: ${explain(err)}: run login again.`);
  }
  keep(tokens);
  console.log(tokens.access_token);
}

async function logout() {
  let refreshToken;
  try {
    refreshToken = readFileSync(tokenFile, 'utf8').trim();
  } catch {
    return;
  }
  // RFC 7009: revoking a refresh token ends its family; a public client sends its client_id only.
  await client.tokenRevocation(config, refreshToken, { token_type_hint: 'refresh_token' });
  rmSync(tokenFile, { force: true });
}

const command = process.argv[2];
if (command === 'login') await login();
else if (command === 'token') await token();
else if (command === 'logout') await logout();
else fail('usage: people-cli.mjs login | token | logout');
