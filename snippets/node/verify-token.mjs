// Verifies a Latchkey access token as an API (resource server) does, RFC 9068 §4: the signature against the
// issuer's JWKS, typ at+jwt, iss, aud and exp. Reads the token on stdin and prints its claims as one JSON line.
import { createRemoteJWKSet, jwtVerify } from 'jose';

const issuer = process.env.LATCHKEY_ISSUER;
const audience = process.env.LATCHKEY_AUDIENCE; // the API's identifier: spec.identifier of its ResourceServer
// Made once: caches the keys and fetches them again when a token names a kid it does not know.
const jwks = createRemoteJWKSet(new URL(`${issuer}/.well-known/jwks.json`));

export async function verifyAccessToken(token) {
  const { payload } = await jwtVerify(token, jwks, {
    issuer,
    audience,
    typ: 'at+jwt',
    // The signingAlgorithm of the ResourceServers whose tokens this API accepts.
    algorithms: ['RS256', 'ES256', 'EdDSA', 'Ed25519'],
    requiredClaims: ['sub', 'client_id', 'iat', 'exp', 'jti'],
  });
  return payload;
}

let token = '';
for await (const chunk of process.stdin) token += chunk;
try {
  const { sub, client_id, scope, aud } = await verifyAccessToken(token.trim());
  console.log(JSON.stringify({ sub, client_id, scope, aud }));
} catch (err) {
  console.error(`token rejected: ${err.message}`);
  process.exit(1);
}
