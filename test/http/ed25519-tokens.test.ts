import { createRemoteJWKSet, decodeProtectedHeader, jwtVerify, type JWK } from 'jose';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { EventBus } from '../../src/events.ts';
import { generateSigningKeys, keySetOf } from '../../src/keys/generate.ts';
import type { SigningKeys } from '../../src/keys/signing-keys.ts';
import { startServers, type RunningServers } from '../../src/server/start.ts';
import { basic, form, NOW_MS, post } from './harness.ts';
import { api, client, FixedSource, grant, snapshot } from './world.ts';

// RFC 9864 §2 deprecates `EdDSA` for the fully specified `Ed25519` (issue 9, item 14).
const modern = api('modern', 'Ed25519', ['modern:read']);
const legacy = api('legacy', 'EdDSA', ['legacy:read']);
const CLIENT_ID = 'edwards.platform';
const SECRET = 'secret-edwards-4Kq7';

let keys: SigningKeys;
let servers: RunningServers;
beforeAll(async () => {
  keys = keySetOf(await generateSigningKeys());
  const world = snapshot(keys, {
    apis: [modern, legacy],
    clients: [client({ clientId: CLIENT_ID, secrets: [SECRET], grants: [grant(modern), grant(legacy)] })],
  });
  servers = await startServers({
    source: new FixedSource(world),
    port: 0,
    opsPort: 0,
    now: () => NOW_MS,
    events: new EventBus(),
    ready: () => true,
  });
});
afterAll(() => servers?.close());

async function token(audience: string): Promise<string> {
  const res = await post(servers.tokenEndpoint, form({ grant_type: 'client_credentials', audience }), {
    authorization: basic(CLIENT_ID, SECRET),
  });
  expect(res.status, JSON.stringify(res.body)).toBe(200);
  return res.body['access_token'] as string;
}

/** A strict resource server: jose picks the JWKS entry by `kid` and by the `alg` it allows. */
function verify(jwt: string, audience: string, algorithm: string) {
  return jwtVerify(jwt, createRemoteJWKSet(new URL(servers.jwksUri)), {
    issuer: servers.issuer,
    audience,
    typ: 'at+jwt',
    algorithms: [algorithm],
    currentDate: new Date(NOW_MS),
  });
}

describe('grant_type=client_credentials for an API with signingAlgorithm Ed25519', () => {
  it('signs with alg Ed25519, and jose verifies it from the JWKS allowing only Ed25519', async () => {
    const jwt = await token(modern.identifier);
    const edKid = keys.active.get('EdDSA')?.kid;
    expect(decodeProtectedHeader(jwt)).toEqual({ alg: 'Ed25519', typ: 'at+jwt', kid: `${edKid}.ed25519` });
    const { payload } = await verify(jwt, modern.identifier, 'Ed25519');
    expect(payload).toMatchObject({ aud: modern.identifier, scope: 'modern:read', client_id: CLIENT_ID });
    await expect(verify(jwt, modern.identifier, 'EdDSA')).rejects.toMatchObject({
      code: 'ERR_JOSE_ALG_NOT_ALLOWED',
    });
  });

  it('still signs with alg EdDSA for an EdDSA API, verified allowing only EdDSA', async () => {
    const jwt = await token(legacy.identifier);
    expect(decodeProtectedHeader(jwt)).toEqual({
      alg: 'EdDSA',
      typ: 'at+jwt',
      kid: keys.active.get('EdDSA')?.kid,
    });
    await expect(verify(jwt, legacy.identifier, 'EdDSA')).resolves.toMatchObject({
      payload: { aud: legacy.identifier },
    });
  });

  it('publishes the Ed25519 key twice: as EdDSA under its kid and as Ed25519 under the derived kid', async () => {
    const jwks = (await (await fetch(servers.jwksUri)).json()) as { keys: JWK[] };
    const ed = keys.active.get('EdDSA')?.publicJwk as JWK;
    const okp = jwks.keys.filter((k) => k.kty === 'OKP');
    expect(okp).toEqual([
      { kty: 'OKP', crv: 'Ed25519', x: ed.x, kid: ed.kid, alg: 'EdDSA', use: 'sig' },
      { kty: 'OKP', crv: 'Ed25519', x: ed.x, kid: `${ed.kid}.ed25519`, alg: 'Ed25519', use: 'sig' },
    ]);
    expect(jwks.keys.map((k) => k.alg)).toEqual(['RS256', 'ES256', 'EdDSA', 'Ed25519']);
  });

  it('introspects an Ed25519 token as active (RFC 7662)', async () => {
    const jwt = await token(modern.identifier);
    const res = await post(servers.introspectionEndpoint, form({ token: jwt }), {
      authorization: basic(CLIENT_ID, SECRET),
    });
    expect(res.status).toBe(200);
    expect(res.body).toMatchObject({ active: true, aud: modern.identifier, client_id: CLIENT_ID });
  });
});
