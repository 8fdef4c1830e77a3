import { createSecretKey, generateKeyPairSync, randomBytes, type KeyObject } from 'node:crypto';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import {
  createRemoteJWKSet,
  exportJWK,
  generateKeyPair,
  jwtVerify,
  SignJWT,
  type CryptoKey,
  type JWK,
} from 'jose';
import * as oidc from 'openid-client';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { EventBus, type LatchkeyEvents } from '../../src/events.ts';
import { addressPolicyOption } from '../../src/outbound/address-policy.ts';
import { REFRESH_COOLDOWN_MS } from '../../src/server/assertion/remote-keys.ts';
import { startServers, type RunningServers } from '../../src/server/start.ts';
import { parseClientKey, type ClientKey } from '../../src/store/client-keys.ts';
import type { AssertionKeys, CompiledClient } from '../../src/store/snapshot.ts';
import { NOW_MS, NOW_S, basic, form, payments, post, testKeys } from './harness.ts';
import { client, FixedSource, grant, snapshot } from './world.ts';

const JWT_BEARER = 'urn:ietf:params:oauth:client-assertion-type:jwt-bearer';
const SIGNER = 'signer.platform';
const REMOTE = 'remote.platform';
const HMAC = 'hmac.platform';
const BASIC = 'basic.platform';
const BASIC_SECRET = 'basic-secret-4Rt7';
// A generated secret is 32 random bytes in base64url: 43 characters, so 43 bytes of HMAC key.
const HMAC_SECRET = randomBytes(32).toString('base64url');

interface Signer {
  alg: string;
  kid: string;
  privateKey: CryptoKey;
  jwk: JWK;
}

async function signer(alg: string, kid: string): Promise<Signer> {
  const { publicKey, privateKey } = await generateKeyPair(alg, { extractable: true });
  return { alg, kid, privateKey, jwk: { ...(await exportJWK(publicKey)), kid } };
}

function clientKey(jwk: JWK): ClientKey {
  const parsed = parseClientKey(jwk);
  if (!parsed.ok) throw new Error(parsed.message);
  return parsed.key;
}

function withKeys(c: CompiledClient, assertionKeys: AssertionKeys): CompiledClient {
  return { ...c, assertionKeys };
}

/** A JWK Set served over plain HTTP on the loopback interface, counting its GETs. */
class KeyServer {
  readonly server: Server;
  keys: JWK[] = [];
  gets = 0;
  /** Set to answer something other than the key set. */
  answer: ((res: import('node:http').ServerResponse) => void) | undefined;

  constructor() {
    this.server = createServer((req, res) => {
      this.gets++;
      if (this.answer !== undefined) return this.answer(res);
      res.setHeader('content-type', 'application/jwk-set+json');
      res.end(JSON.stringify({ keys: this.keys }));
    });
  }

  get url(): string {
    return `http://127.0.0.1:${(this.server.address() as AddressInfo).port}/jwks.json`;
  }
}

let servers: RunningServers;
let source: FixedSource;
let nowMs = NOW_MS;
const failed: LatchkeyEvents['token.failed'][] = [];
const keyServer = new KeyServer();
let rsa: Signer;
let ec: Signer;
let ed: Signer;
let pss: Signer;
let remoteKey: Signer;
/** Has the same kid as `rsa`, but is not the client's key. */
let impostor: Signer;

beforeAll(async () => {
  [rsa, ec, ed, pss, remoteKey, impostor] = await Promise.all([
    signer('RS256', 'rsa-1'),
    signer('ES256', 'ec-1'),
    signer('Ed25519', 'ed-1'),
    signer('PS256', 'pss-1'),
    signer('ES256', 'remote-1'),
    signer('RS256', 'rsa-1'),
  ]);
  await new Promise<void>((resolve) => keyServer.server.listen(0, '127.0.0.1', resolve));
  keyServer.keys = [remoteKey.jwk];
  const read = [grant(payments, ['payments:read'])];
  source = new FixedSource(
    snapshot(await testKeys(), {
      apis: [payments],
      clients: [
        withKeys(client({ clientId: SIGNER, authMethod: 'private_key_jwt', grants: read }), {
          kind: 'jwks',
          keys: [rsa, ec, ed, pss].map((s) => clientKey(s.jwk)),
        }),
        withKeys(client({ clientId: REMOTE, authMethod: 'private_key_jwt', grants: read }), {
          kind: 'jwksUri',
          uri: keyServer.url,
        }),
        withKeys(client({ clientId: HMAC, authMethod: 'client_secret_jwt', grants: read }), {
          kind: 'secret',
          keys: [createSecretKey(Buffer.from(HMAC_SECRET, 'utf8'))],
        }),
        client({ clientId: BASIC, secrets: [BASIC_SECRET], grants: read }),
      ],
    }),
  );
  const events = new EventBus();
  events.on('token.failed', (e) => failed.push(e));
  servers = await startServers({
    source,
    port: 0,
    opsPort: 0,
    now: () => nowMs,
    events,
    ready: () => true,
    // The key server listens on loopback over plain http: only a host the operator allows may.
    addressPolicy: addressPolicyOption('127.0.0.1', undefined, false),
  });
});

afterAll(async () => {
  await servers.close();
  await new Promise((resolve) => keyServer.server.close(resolve));
});

beforeEach(() => {
  nowMs = NOW_MS;
  keyServer.answer = undefined;
});

/** openid-client signs with its own clock: shift it to the servers' frozen one. */
async function discover(clientId: string, auth: oidc.ClientAuth): Promise<oidc.Configuration> {
  const skew = Math.floor(nowMs / 1000) - Math.floor(Date.now() / 1000);
  return oidc.discovery(new URL(servers.issuer), clientId, { [oidc.clockSkew]: skew }, auth, {
    execute: [oidc.allowInsecureRequests],
    algorithm: 'oauth2',
  });
}

async function verifyAccessToken(token: string) {
  return jwtVerify(token, createRemoteJWKSet(new URL(servers.jwksUri)), {
    issuer: servers.issuer,
    audience: payments.identifier,
    currentDate: new Date(nowMs),
  });
}

interface Made {
  alg?: string;
  kid?: string | undefined;
  key?: CryptoKey | KeyObject | Uint8Array;
  claims?: Record<string, unknown>;
  /** Claims to leave out. */
  omit?: string[];
  header?: Record<string, unknown>;
}

/** A hand-made assertion of `signer.platform`, signed with its RS256 key unless told otherwise. */
async function assertion(m: Made = {}): Promise<string> {
  const claims: Record<string, unknown> = {
    iss: SIGNER,
    sub: SIGNER,
    aud: servers.tokenEndpoint,
    iat: NOW_S,
    exp: NOW_S + 60,
    jti: randomBytes(12).toString('base64url'),
    ...m.claims,
  };
  for (const name of m.omit ?? []) delete claims[name];
  const kid = 'kid' in m ? m.kid : rsa.kid;
  return new SignJWT(claims)
    .setProtectedHeader({ alg: m.alg ?? 'RS256', ...(kid === undefined ? {} : { kid }), ...m.header })
    .sign(m.key ?? rsa.privateKey, {
      // Lets the signer emit critical headers it does not know itself, as a hostile client would.
      crit: Object.fromEntries(((m.header?.crit ?? []) as string[]).map((name) => [name, true])),
    });
}

const b64url = (value: unknown) => Buffer.from(JSON.stringify(value)).toString('base64url');

function assertionBody(jwt: string, extra: Record<string, string> = {}): string {
  return form({
    grant_type: 'client_credentials',
    client_assertion_type: JWT_BEARER,
    client_assertion: jwt,
    ...extra,
  });
}

describe('grant_type=client_credentials with private_key_jwt (openid-client)', () => {
  it.each(['RS256', 'PS256', 'ES256', 'Ed25519'])(
    'issues a token to a client whose inline jwks holds its %s key',
    async (alg) => {
      const key = [rsa, pss, ec, ed].find((s) => s.alg === alg) as Signer;
      const config = await discover(SIGNER, oidc.PrivateKeyJwt({ key: key.privateKey, kid: key.kid }));
      const tokens = await oidc.clientCredentialsGrant(config);
      expect(tokens.scope).toBe('payments:read');
      const { payload } = await verifyAccessToken(tokens.access_token);
      expect(payload).toMatchObject({ sub: SIGNER, client_id: SIGNER, aud: payments.identifier });
    },
  );

  it('accepts an assertion without kid when one key of the right type verifies it', async () => {
    const res = await post(servers.tokenEndpoint, assertionBody(await assertion({ kid: undefined })));
    expect(res.status).toBe(200);
  });

  it('accepts the token endpoint URL or the issuer as aud, alone or in an array, and no client_id', async () => {
    for (const aud of [
      servers.issuer,
      servers.tokenEndpoint,
      ['https://elsewhere.example', servers.issuer],
    ]) {
      const res = await post(servers.tokenEndpoint, assertionBody(await assertion({ claims: { aud } })));
      expect(res.status, JSON.stringify(aud)).toBe(200);
    }
  });
});

describe('grant_type=client_credentials with private_key_jwt and a jwksUri', () => {
  it('fetches the key set on first use and then only from its cache', async () => {
    const gets = keyServer.gets;
    const config = await discover(
      REMOTE,
      oidc.PrivateKeyJwt({ key: remoteKey.privateKey, kid: remoteKey.kid }),
    );
    for (let i = 0; i < 3; i++) {
      const tokens = await oidc.clientCredentialsGrant(config);
      expect((await verifyAccessToken(tokens.access_token)).payload.client_id).toBe(REMOTE);
    }
    expect(keyServer.gets - gets).toBe(1);
  });

  it('picks up a rotated key by refreshing on its unknown kid, at most once per cooldown', async () => {
    const warm = await discover(
      REMOTE,
      oidc.PrivateKeyJwt({ key: remoteKey.privateKey, kid: remoteKey.kid }),
    );
    await oidc.clientCredentialsGrant(warm);
    const rotated = await signer('ES256', 'remote-2');
    keyServer.keys = [remoteKey.jwk, rotated.jwk];
    const gets = keyServer.gets;

    // Within the cooldown of the last fetch, an unknown kid is refused without asking the key server.
    const early = await Promise.all(
      Array.from({ length: 5 }, async () =>
        post(
          servers.tokenEndpoint,
          assertionBody(
            await assertion({
              key: rotated.privateKey,
              alg: 'ES256',
              kid: 'remote-2',
              claims: { iss: REMOTE, sub: REMOTE },
            }),
          ),
        ),
      ),
    );
    for (const res of early) {
      expect(res.status).toBe(401);
      expect(res.body).toEqual({
        error: 'invalid_client',
        error_description: 'client authentication failed',
      });
    }
    expect(keyServer.gets).toBe(gets);

    // Once it has passed, the unknown kid makes one refresh, which finds the new key.
    nowMs = NOW_MS + REFRESH_COOLDOWN_MS;
    const config = await discover(REMOTE, oidc.PrivateKeyJwt({ key: rotated.privateKey, kid: rotated.kid }));
    const results = await Promise.all([1, 2, 3].map(() => oidc.clientCredentialsGrant(config)));
    for (const tokens of results) expect(tokens.scope).toBe('payments:read');
    expect(keyServer.gets).toBe(gets + 1);
  });

  it.each<[string, (res: import('node:http').ServerResponse) => void, RegExp]>([
    ['a 500', (res) => res.writeHead(500).end('oops'), /: answered 500$/],
    [
      'a redirect',
      (res) => res.writeHead(302, { location: 'https://attacker.example/jwks' }).end(),
      /the jwksUri host redirected \(302\) to https:\/\/attacker\.example\/jwks, and Latchkey does not follow redirects$/,
    ],
    ['no JSON', (res) => res.end('<html>'), /: the response is not JSON$/],
    [
      'a set without usable keys',
      (res) => res.end('{"keys":[{"kty":"oct","k":"c2VjcmV0"}]}'),
      /holds no public signing key/,
    ],
  ])('answers invalid_client, never a 5xx, when the key server answers %s', async (_, answer, detail) => {
    // A client of its own, so the cache of the other tests does not answer for the key server.
    const id = `down-${failed.length}.platform`;
    const current = source.snapshot;
    const down = withKeys(
      client({ clientId: id, authMethod: 'private_key_jwt', grants: [grant(payments)] }),
      {
        kind: 'jwksUri',
        uri: `${keyServer.url}?client=${id}`,
      },
    );
    source.snapshot = { ...current, clients: new Map([...current.clients, [id, down]]) };
    keyServer.answer = answer;
    try {
      const jwt = await assertion({
        key: remoteKey.privateKey,
        alg: 'ES256',
        kid: remoteKey.kid,
        claims: { iss: id, sub: id },
      });
      const res = await post(servers.tokenEndpoint, assertionBody(jwt));
      expect(res.status).toBe(401);
      expect(res.body).toEqual({
        error: 'invalid_client',
        error_description: 'client authentication failed',
      });
      expect(failed.at(-1)?.detail).toMatch(detail);
      expect(failed.at(-1)?.failure).toBe('client_keys_unavailable');
    } finally {
      source.snapshot = current;
    }
  });
});

describe('grant_type=client_credentials with client_secret_jwt (openid-client)', () => {
  it('issues a token to a client that signs its assertion with its secret (HS256)', async () => {
    const config = await discover(HMAC, oidc.ClientSecretJwt(HMAC_SECRET));
    const tokens = await oidc.clientCredentialsGrant(config);
    expect((await verifyAccessToken(tokens.access_token)).payload).toMatchObject({
      sub: HMAC,
      client_id: HMAC,
    });
  });
});

describe('client_assertion replay (RFC 7523 section 3, jti)', () => {
  it('accepts an assertion once and refuses it afterwards, also after a failed attempt with it', async () => {
    const jwt = await assertion();
    const first = await post(servers.tokenEndpoint, assertionBody(jwt));
    expect(first.status).toBe(200);
    const again = await post(servers.tokenEndpoint, assertionBody(jwt));
    expect(again.status).toBe(401);
    expect(again.body).toEqual({
      error: 'invalid_client',
      error_description: `client_assertion 'jti' '${String(JSON.parse(Buffer.from(jwt.split('.')[1] ?? '', 'base64url').toString()).jti)}' was already used: sign a new assertion for every request`,
    });
    expect(failed.at(-1)?.failure).toBe('replayed_assertion');
  });

  it('does not let a forged assertion spend a jti', async () => {
    const jti = 'shared-jti';
    const forged = await assertion({ key: impostor.privateKey, claims: { jti } });
    expect((await post(servers.tokenEndpoint, assertionBody(forged))).status).toBe(401);
    expect(failed.at(-1)?.failure).toBe('bad_signature');
    const genuine = await assertion({ claims: { jti } });
    expect((await post(servers.tokenEndpoint, assertionBody(genuine))).status).toBe(200);
  });
});

interface Case {
  name: string;
  body: () => Promise<string>;
  headers?: Record<string, string>;
  status?: number;
  error?: string;
  /** The exact error_description; a function of the issuer where it names it. */
  description: string | ((issuer: string) => string);
}

// Client authentication that fails on the client's registration reads as an unknown client's (issue 9).
const ALL_ALGORITHMS =
  'RS256, RS384, RS512, PS256, PS384, PS512, ES256, ES384, ES512, EdDSA, Ed25519, HS256, HS384, HS512';

const cases: Case[] = [
  {
    name: 'a wrong aud',
    body: async () => assertionBody(await assertion({ claims: { aud: 'https://other-server.example' } })),
    description: (issuer) =>
      `client_assertion 'aud' must be the issuer '${issuer}' or the token endpoint URL`,
  },
  {
    name: 'an aud array without this server',
    body: async () =>
      assertionBody(await assertion({ claims: { aud: ['https://a.example', 'https://b.example'] } })),
    description: (issuer) =>
      `client_assertion 'aud' must be the issuer '${issuer}' or the token endpoint URL`,
  },
  {
    name: 'no aud',
    body: async () => assertionBody(await assertion({ omit: ['aud'] })),
    description: "client_assertion 'aud' is missing",
  },
  {
    name: 'an expired assertion',
    body: async () => assertionBody(await assertion({ claims: { iat: NOW_S - 600, exp: NOW_S - 61 } })),
    description: "client_assertion has expired ('exp' is in the past)",
  },
  {
    name: 'an exp too far ahead',
    body: async () => assertionBody(await assertion({ claims: { exp: NOW_S + 3600 } })),
    description:
      "client_assertion 'exp' is more than 300 seconds ahead: sign assertions that expire sooner, or raise the OAuthClient's spec.clientAssertion.maxLifetime (at most 1h)",
  },
  {
    name: 'no exp',
    body: async () => assertionBody(await assertion({ omit: ['exp'] })),
    description: "client_assertion 'exp' is missing",
  },
  {
    name: 'an exp that is not a number',
    body: async () => assertionBody(await assertion({ claims: { exp: String(NOW_S + 60) } })),
    description: "client_assertion 'exp' must be a NumericDate (seconds since the epoch)",
  },
  {
    name: 'an nbf in the future',
    body: async () => assertionBody(await assertion({ claims: { nbf: NOW_S + 120 } })),
    description: "client_assertion is not valid yet ('nbf' is in the future)",
  },
  {
    name: 'an iat in the future',
    body: async () => assertionBody(await assertion({ claims: { iat: NOW_S + 120 } })),
    description: "client_assertion 'iat' is in the future",
  },
  {
    name: 'no jti',
    body: async () => assertionBody(await assertion({ omit: ['jti'] })),
    description: "client_assertion 'jti' is missing: every assertion needs a unique one",
  },
  {
    name: 'a jti that is too long',
    body: async () => assertionBody(await assertion({ claims: { jti: 'j'.repeat(257) } })),
    description: "client_assertion 'jti' is longer than 256 characters",
  },
  {
    name: 'a wrong iss',
    body: async () => assertionBody(await assertion({ claims: { iss: BASIC } })),
    description: "client_assertion 'iss' must be the client_id 'signer.platform'",
  },
  {
    name: 'no iss',
    body: async () => assertionBody(await assertion({ omit: ['iss'] })),
    description: "client_assertion 'iss' is missing",
  },
  {
    name: 'a sub that differs from client_id',
    body: async () => assertionBody(await assertion({ claims: { sub: BASIC } }), { client_id: SIGNER }),
    description: "client_id 'signer.platform' differs from client_assertion 'sub' 'basic.platform'",
  },
  {
    name: 'no sub',
    body: async () => assertionBody(await assertion({ omit: ['sub'] })),
    description: "client_assertion 'sub' is missing: it must be the client_id",
  },
  {
    name: 'the sub of an unknown client',
    body: async () =>
      assertionBody(await assertion({ claims: { iss: 'ghost.nowhere', sub: 'ghost.nowhere' } })),
    description: 'client authentication failed',
  },
  {
    name: 'alg none',
    body: async () =>
      assertionBody(
        `${b64url({ alg: 'none' })}.${b64url({ iss: SIGNER, sub: SIGNER, aud: servers.tokenEndpoint, exp: NOW_S + 60, jti: 'n' })}.`,
      ),
    description: "client_assertion 'alg' none is never accepted",
  },
  {
    name: 'an HS256 assertion keyed with the public key, for a private_key_jwt client (key confusion)',
    body: async () =>
      assertionBody(
        await assertion({ alg: 'HS256', key: Buffer.from(JSON.stringify(rsa.jwk)), kid: rsa.kid }),
      ),
    description: 'client authentication failed',
  },
  {
    name: 'an assertion signed by another key under the kid of the client key',
    body: async () => assertionBody(await assertion({ key: impostor.privateKey })),
    description: 'client authentication failed',
  },
  {
    name: 'an assertion signed by a key the client does not have',
    body: async () => assertionBody(await assertion({ key: impostor.privateKey, kid: 'not-registered' })),
    description: 'client authentication failed',
  },
  {
    name: 'an ES384 assertion for a client without a P-384 key',
    body: async () => {
      const { privateKey } = generateKeyPairSync('ec', { namedCurve: 'P-384' });
      return assertionBody(await assertion({ alg: 'ES384', key: privateKey, kid: undefined }));
    },
    description: 'client authentication failed',
  },
  {
    name: 'a kid whose key is of another type than alg',
    body: async () => assertionBody(await assertion({ alg: 'ES256', key: ec.privateKey, kid: rsa.kid })),
    description: 'client authentication failed',
  },
  {
    name: 'an unknown critical header',
    body: async () =>
      assertionBody(
        await assertion({
          header: { crit: ['urn:example:must-understand'], 'urn:example:must-understand': 1 },
        }),
      ),
    description: 'client authentication failed',
  },
  {
    name: 'an RS256 assertion for a client_secret_jwt client',
    body: async () => assertionBody(await assertion({ claims: { iss: HMAC, sub: HMAC } })),
    description: 'client authentication failed',
  },
  {
    name: 'alg __proto__ for a client_secret_jwt client',
    body: async () =>
      assertionBody(
        `${b64url({ alg: '__proto__' })}.${b64url({ iss: HMAC, sub: HMAC, aud: servers.tokenEndpoint, exp: NOW_S + 60, jti: 'p' })}.c2ln`,
      ),
    description: `client_assertion 'alg' '__proto__' is not accepted: use one of ${ALL_ALGORITHMS}`,
  },
  {
    name: 'alg constructor for a private_key_jwt client',
    body: async () =>
      assertionBody(
        `${b64url({ alg: 'constructor' })}.${b64url({ iss: SIGNER, sub: SIGNER, aud: servers.tokenEndpoint, exp: NOW_S + 60, jti: 'c' })}.c2ln`,
      ),
    description: `client_assertion 'alg' 'constructor' is not accepted: use one of ${ALL_ALGORITHMS}`,
  },
  {
    name: 'an HS512 assertion keyed with a 43-byte secret',
    body: async () =>
      assertionBody(
        await assertion({
          alg: 'HS512',
          key: Buffer.from(HMAC_SECRET),
          kid: undefined,
          claims: { iss: HMAC, sub: HMAC },
        }),
      ),
    description: 'client authentication failed',
  },
  {
    name: 'an HS256 assertion keyed with a wrong secret',
    body: async () =>
      assertionBody(
        await assertion({
          alg: 'HS256',
          key: Buffer.from('w'.repeat(43)),
          kid: undefined,
          claims: { iss: HMAC, sub: HMAC },
        }),
      ),
    description: 'client authentication failed',
  },
  {
    name: 'a malformed JWT',
    body: async () => assertionBody('not-a-jwt'),
    description:
      'client_assertion is not a JWT: expected a compact JWS of three base64url parts separated by dots',
  },
  {
    name: 'a JWT whose payload is an array',
    body: async () => assertionBody(`${b64url({ alg: 'RS256' })}.${b64url([SIGNER])}.c2ln`),
    description: 'client_assertion is not a JWT: its payload is not a JSON object',
  },
  {
    name: 'a wrong client_assertion_type',
    body: async () =>
      form({
        grant_type: 'client_credentials',
        client_assertion_type: 'urn:ietf:params:oauth:client-assertion-type:saml2-bearer',
        client_assertion: await assertion(),
      }),
    description:
      "client_assertion_type 'urn:ietf:params:oauth:client-assertion-type:saml2-bearer' is not supported: send urn:ietf:params:oauth:client-assertion-type:jwt-bearer",
  },
  {
    name: 'a client_assertion without client_assertion_type',
    body: async () => form({ grant_type: 'client_credentials', client_assertion: await assertion() }),
    description:
      'client_assertion_type is missing: send urn:ietf:params:oauth:client-assertion-type:jwt-bearer',
  },
  {
    name: 'client_assertion_type without client_assertion',
    body: async () =>
      form({ grant_type: 'client_credentials', client_assertion_type: JWT_BEARER, client_id: SIGNER }),
    description: 'client_assertion is missing',
  },
  {
    name: 'a secret in the body from a private_key_jwt client',
    body: async () => form({ grant_type: 'client_credentials', client_id: SIGNER, client_secret: 'guess' }),
    description: 'client authentication failed',
  },
  {
    name: 'the HMAC secret itself from a client_secret_jwt client',
    body: async () => form({ grant_type: 'client_credentials', client_id: HMAC, client_secret: HMAC_SECRET }),
    description: 'client authentication failed',
  },
  {
    name: 'an assertion from a client_secret_basic client',
    body: async () => assertionBody(await assertion({ claims: { iss: BASIC, sub: BASIC } })),
    description: 'client authentication failed',
  },
  {
    name: 'an assertion and HTTP Basic at once',
    body: async () => assertionBody(await assertion()),
    headers: { authorization: basic(BASIC, BASIC_SECRET) },
    status: 400,
    error: 'invalid_request',
    description:
      'client_assertion and an Authorization header are both sent: use one way to authenticate the client',
  },
  {
    name: 'an assertion and a client_secret at once',
    body: async () => assertionBody(await assertion(), { client_secret: 'x' }),
    status: 400,
    error: 'invalid_request',
    description: 'client_assertion and client_secret are both sent: use one way to authenticate the client',
  },
];

describe('POST /oauth2/token with hostile client assertions', () => {
  it.each(cases)('answers $name with an exact RFC 6749 body', async (c) => {
    const res = await post(servers.tokenEndpoint, await c.body(), c.headers);
    const description = typeof c.description === 'function' ? c.description(servers.issuer) : c.description;
    expect(res.status).toBe(c.status ?? 401);
    expect(res.body).toEqual({ error: c.error ?? 'invalid_client', error_description: description });
    expect(Object.keys(res.body)).toEqual(['error', 'error_description']);
    expect(res.headers.get('cache-control')).toBe('no-store');
    expect(res.headers.get('www-authenticate')).toBeNull();
    expect(description).toMatch(/^[\x20\x21\x23-\x5B\x5D-\x7E]+$/);
  });
});
