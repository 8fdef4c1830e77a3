/**
 * The floor: the least a server can do to answer a client_credentials request as Latchkey does. Plain
 * `node:http`, the same form, the same secret check (SHA-256 digest, `timingSafeEqual`), the same claims
 * signed with the same key on the libuv thread pool. A client assertion or a federated workload token is
 * verified with jose and a key already in memory, as Latchkey verifies them; an introspection verifies the
 * access token's signature on the thread pool, as Latchkey does. Anything Latchkey spends beyond this is
 * framework and bookkeeping. Started by token-bench.ts; see bench/README.md.
 */

import '../lib/child-guard.ts';
import {
  createHash,
  createPrivateKey,
  createPublicKey,
  randomFillSync,
  sign,
  timingSafeEqual,
  verify,
  type KeyObject,
} from 'node:crypto';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { compactVerify } from 'jose';
import { p256DerToJws, p256JwsToDer } from '../../src/server/ecdsa-p256.ts';
import {
  FLOOR_READY,
  JWT_BEARER_ASSERTION_TYPE,
  readConfig,
  type FloorApi,
  type FloorConfig,
} from '../lib/protocol.ts';

const BODY_LIMIT = 16 * 1024;
const JSON_NO_STORE = {
  'cache-control': 'no-store',
  pragma: 'no-cache',
  'content-type': 'application/json; charset=utf-8',
};

interface PreparedApi {
  api: FloorApi;
  headerPrefix: string;
  key: KeyObject;
  /** The public half, to verify the tokens it signed when they are introspected. */
  verifyKey: KeyObject;
  es256: boolean;
}

const config = readConfig<FloorConfig>();
const digest = Buffer.from(config.secretDigest, 'base64');
const apis = new Map<string, PreparedApi>(
  config.apis.map((api) => {
    const privateKey = createPrivateKey({ key: api.privateJwk, format: 'jwk' });
    const publicKey = createPublicKey(privateKey);
    const header = Buffer.from(JSON.stringify({ alg: api.alg, typ: 'at+jwt', kid: api.kid })).toString(
      'base64url',
    );
    // JWS ES256 is r || s (RFC 7518 §3.4); converted by hand as Latchkey does, the fastest way on Node 24.
    const es256 = api.alg === 'ES256';
    return [
      api.audience,
      {
        api,
        headerPrefix: `${header}.`,
        key: privateKey,
        verifyKey: publicKey,
        es256,
      },
    ];
  }),
);
const byKid = new Map([...apis.values()].map((p) => [p.api.kid, p]));
const assertionKey = createPublicKey({ key: config.assertionClient.publicJwk, format: 'jwk' });
const federatedKey = createPublicKey({ key: config.federatedClient.publicJwk, format: 'jwk' });
const audiences = new Set(config.assertionAudiences);

// A jti is refused while the assertion that carried it could still pass: until its exp. Swept now and then,
// as Latchkey's replay cache is bounded by expiry too.
const seenJtis = new Map<string, number>();
const SWEEP_MS = 5_000;
setInterval(() => {
  const now = Date.now() / 1000;
  for (const [jti, exp] of seenJtis) if (exp <= now) seenJtis.delete(jti);
}, SWEEP_MS).unref();

const JTI_BYTES = 16;
const jtiPool = Buffer.allocUnsafe(JTI_BYTES * 256);
let jtiOffset = jtiPool.length;

function newJti(): string {
  if (jtiOffset === jtiPool.length) {
    randomFillSync(jtiPool);
    jtiOffset = 0;
  }
  jtiOffset += JTI_BYTES;
  return jtiPool.toString('base64url', jtiOffset - JTI_BYTES, jtiOffset);
}

function fail(res: ServerResponse, status: number, error: string, extra?: Record<string, string>): void {
  res.writeHead(status, extra ? { ...JSON_NO_STORE, ...extra } : JSON_NO_STORE);
  res.end(JSON.stringify({ error }));
}

function authenticated(authorization: string | undefined): boolean {
  if (authorization === undefined || !authorization.startsWith('Basic ')) return false;
  const decoded = Buffer.from(authorization.slice(6), 'base64').toString('utf8');
  const colon = decoded.indexOf(':');
  if (colon === -1) return false;
  let id: string;
  let secret: string;
  try {
    id = decodeURIComponent(decoded.slice(0, colon).replaceAll('+', ' '));
    secret = decodeURIComponent(decoded.slice(colon + 1).replaceAll('+', ' '));
  } catch {
    return false;
  }
  const presented = createHash('sha256').update(secret).digest();
  return timingSafeEqual(presented, digest) && id === config.clientId;
}

function issue(req: IncomingMessage, res: ServerResponse, body: string): void {
  if (!(req.headers['content-type'] ?? '').startsWith('application/x-www-form-urlencoded')) {
    return fail(res, 400, 'invalid_request');
  }
  const form = new URLSearchParams(body);
  const assertion = form.get('client_assertion');
  if (assertion !== null) {
    if (form.get('client_assertion_type') !== JWT_BEARER_ASSERTION_TYPE) {
      return fail(res, 401, 'invalid_client');
    }
    const federated = form.get('client_id') === config.federatedClient.clientId;
    (federated ? federatedClientOf(assertion) : assertionClientOf(assertion)).then(
      (clientId) => {
        if (clientId === undefined) return fail(res, 401, 'invalid_client');
        grant(res, form, clientId);
      },
      () => fail(res, 401, 'invalid_client'),
    );
    return;
  }
  if (!authenticated(req.headers.authorization)) {
    return fail(res, 401, 'invalid_client', { 'www-authenticate': 'Basic realm="token"' });
  }
  grant(res, form, config.clientId);
}

function audienceOk(aud: unknown): boolean {
  return typeof aud === 'string'
    ? audiences.has(aud)
    : Array.isArray(aud) && aud.some((a) => audiences.has(a));
}

/** RFC 7523 §3: signed by the client's key, `iss` and `sub` the client, `aud` us, short-lived, `jti` new. */
async function assertionClientOf(assertion: string): Promise<string | undefined> {
  const client = config.assertionClient;
  const { payload } = await compactVerify(assertion, assertionKey, { algorithms: [client.alg] });
  const claims = JSON.parse(Buffer.from(payload).toString('utf8')) as Record<string, unknown>;
  const now = Date.now() / 1000;
  const { iss, sub, aud, exp, jti } = claims;
  if (iss !== client.clientId || sub !== client.clientId || !audienceOk(aud)) return undefined;
  if (typeof exp !== 'number' || exp <= now || exp > now + 300) return undefined;
  if (typeof jti !== 'string' || seenJtis.has(jti)) return undefined;
  seenJtis.set(jti, exp);
  return client.clientId;
}

/** A workload token of the trusted issuer for the one subject: `iss`, `aud` us, not expired, `sub`. */
async function federatedClientOf(token: string): Promise<string | undefined> {
  const client = config.federatedClient;
  const { payload } = await compactVerify(token, federatedKey, { algorithms: [client.alg] });
  const claims = JSON.parse(Buffer.from(payload).toString('utf8')) as Record<string, unknown>;
  const { iss, sub, aud, exp } = claims;
  if (iss !== client.issuer || sub !== client.subject || !audienceOk(aud)) return undefined;
  if (typeof exp !== 'number' || exp <= Date.now() / 1000) return undefined;
  return client.clientId;
}

function grant(res: ServerResponse, form: URLSearchParams, clientId: string): void {
  if (form.get('grant_type') !== 'client_credentials') return fail(res, 400, 'unsupported_grant_type');
  const prepared = apis.get(form.get('audience') ?? '');
  if (prepared === undefined) return fail(res, 400, 'invalid_target');
  const { api } = prepared;

  // The claims and their order as src/server/claims.ts builds them.
  const iat = Math.floor(Date.now() / 1000);
  const claims = {
    iss: config.issuer,
    sub: clientId,
    aud: api.audience,
    client_id: clientId,
    iat,
    exp: iat + api.lifetimeSeconds,
    jti: newJti(),
    scope: api.scope,
  };
  const signingInput = prepared.headerPrefix + Buffer.from(JSON.stringify(claims)).toString('base64url');
  sign('sha256', Buffer.from(signingInput, 'latin1'), prepared.key, (err, signature) => {
    if (err) return fail(res, 500, 'server_error');
    res.writeHead(200, JSON_NO_STORE);
    res.end(
      JSON.stringify({
        access_token: `${signingInput}.${(prepared.es256 ? p256DerToJws(signature) : signature).toString('base64url')}`,
        token_type: 'Bearer',
        expires_in: api.lifetimeSeconds,
        scope: api.scope,
      }),
    );
  });
}

const INACTIVE = JSON.stringify({ active: false });

/**
 * RFC 7662: the client authenticates; a token of ours (our key by `kid`, `typ`, signature, `iss`, not
 * expired) issued to that client is described in the members and order Latchkey answers with.
 */
function introspect(req: IncomingMessage, res: ServerResponse, body: string): void {
  if (!(req.headers['content-type'] ?? '').startsWith('application/x-www-form-urlencoded')) {
    return fail(res, 400, 'invalid_request');
  }
  if (!authenticated(req.headers.authorization)) {
    return fail(res, 401, 'invalid_client', { 'www-authenticate': 'Basic realm="introspect"' });
  }
  const inactive = () => {
    res.writeHead(200, JSON_NO_STORE);
    res.end(INACTIVE);
  };
  const parts = (new URLSearchParams(body).get('token') ?? '').split('.');
  if (parts.length !== 3) return inactive();
  const [headerPart, payloadPart, signaturePart] = parts as [string, string, string];
  let header: Record<string, unknown>;
  try {
    header = JSON.parse(Buffer.from(headerPart, 'base64url').toString('utf8')) as Record<string, unknown>;
  } catch {
    return inactive();
  }
  const prepared = typeof header.kid === 'string' ? byKid.get(header.kid) : undefined;
  if (prepared === undefined || header.alg !== prepared.api.alg || header.typ !== 'at+jwt') return inactive();
  const input = Buffer.from(`${headerPart}.${payloadPart}`, 'latin1');
  const jws = Buffer.from(signaturePart, 'base64url');
  const signature = prepared.es256 ? p256JwsToDer(jws) : jws;
  if (signature === undefined) return inactive();
  verify('sha256', input, prepared.verifyKey, signature, (err, valid) => {
    if (err || !valid) return inactive();
    let claims: Record<string, unknown>;
    try {
      claims = JSON.parse(Buffer.from(payloadPart, 'base64url').toString('utf8')) as Record<string, unknown>;
    } catch {
      return inactive();
    }
    const { iss, sub, aud, client_id, scope, iat, exp, jti } = claims;
    if (iss !== config.issuer || client_id !== config.clientId) return inactive();
    if (typeof exp !== 'number' || exp <= Date.now() / 1000) return inactive();
    res.writeHead(200, JSON_NO_STORE);
    res.end(
      JSON.stringify({ active: true, scope, client_id, token_type: 'Bearer', exp, iat, sub, aud, iss, jti }),
    );
  });
}

const server = createServer({ keepAliveTimeout: 30_000 }, (req, res) => {
  const handle =
    req.url === config.tokenPath ? issue : req.url === config.introspectionPath ? introspect : undefined;
  if (req.method !== 'POST' || handle === undefined) return fail(res, 404, 'invalid_request');
  const chunks: Buffer[] = [];
  let size = 0;
  req.on('data', (chunk: Buffer) => {
    size += chunk.length;
    if (size <= BODY_LIMIT) chunks.push(chunk);
  });
  req.on('end', () => {
    if (size > BODY_LIMIT) return fail(res, 413, 'invalid_request');
    handle(req, res, Buffer.concat(chunks).toString('utf8'));
  });
});

server.listen(0, '127.0.0.1', () => {
  const { port } = server.address() as AddressInfo;
  process.stdout.write(`${FLOOR_READY}http://127.0.0.1:${port}\n`);
});

process.once('SIGTERM', () => {
  server.close(() => process.exit(0));
  server.closeIdleConnections();
});
process.once('SIGINT', () => process.exit(0));
