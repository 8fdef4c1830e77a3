// Gets an access token from Latchkey with the client credentials of a mounted Secret.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import * as client from 'openid-client';

const dir = process.env.LATCHKEY_SECRET_DIR || '/var/run/secrets/latchkey';
// Read the files each time: kubelet updates them when the Secret is rotated.
const read = (key) => readFileSync(join(dir, key), 'utf8').trim();

const issuer = new URL(read('issuer'));
const config = await client.discovery(
  issuer,
  read('client_id'),
  undefined,
  client.ClientSecretBasic(read('client_secret')),
  // Latchkey publishes RFC 8414 metadata (it is not an OpenID provider); `latchkey dev` serves plain http.
  { algorithm: 'oauth2', execute: issuer.protocol === 'http:' ? [client.allowInsecureRequests] : [] },
);
const audience = process.env.LATCHKEY_AUDIENCE;
let tokens;
try {
  tokens = await client.clientCredentialsGrant(config, audience ? { audience } : {});
} catch (err) {
  // The server's error: on the error for a 400, in the unread body for a 401 (a WWW-Authenticate challenge).
  const body = err instanceof client.WWWAuthenticateChallengeError ? await err.response.json() : err;
  console.error(`token request failed: ${body.error ?? err.message}: ${body.error_description ?? ''}`);
  process.exit(1);
}

// Only to show which API the token is for: resource servers verify it against the JWKS.
const claims = JSON.parse(Buffer.from(tokens.access_token.split('.')[1], 'base64url').toString());
const { token_type, expires_in, scope } = tokens;
console.log(JSON.stringify({ token_type, expires_in, scope, aud: claims.aud }));
