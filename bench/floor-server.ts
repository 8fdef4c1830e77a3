/**
 * The floor: the least a server can do to answer a client_credentials request as Latchkey does. Plain
 * `node:http`, the same form, the same secret check (SHA-256 digest, `timingSafeEqual`), the same claims
 * signed with the same key on the libuv thread pool. Anything Latchkey spends beyond this is framework and
 * bookkeeping. Started by token-bench.ts; see bench/README.md.
 */

import './child-guard.ts';
import {
  createHash,
  createPrivateKey,
  randomFillSync,
  sign,
  timingSafeEqual,
  type KeyObject,
  type SignKeyObjectInput,
} from 'node:crypto';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { FLOOR_READY, readConfig, type FloorApi, type FloorConfig } from './protocol.ts';

const BODY_LIMIT = 16 * 1024;
const JSON_NO_STORE = {
  'cache-control': 'no-store',
  pragma: 'no-cache',
  'content-type': 'application/json; charset=utf-8',
};

interface PreparedApi {
  api: FloorApi;
  headerPrefix: string;
  key: KeyObject | SignKeyObjectInput;
}

const config = readConfig<FloorConfig>();
const digest = Buffer.from(config.secretDigest, 'base64');
const apis = new Map<string, PreparedApi>(
  config.apis.map((api) => {
    const privateKey = createPrivateKey({ key: api.privateJwk, format: 'jwk' });
    const header = Buffer.from(JSON.stringify({ alg: api.alg, typ: 'at+jwt', kid: api.kid })).toString(
      'base64url',
    );
    // JWS ES256 is r || s (RFC 7518 §3.4), not DER.
    const key = api.alg === 'ES256' ? { key: privateKey, dsaEncoding: 'ieee-p1363' as const } : privateKey;
    return [api.audience, { api, headerPrefix: `${header}.`, key }];
  }),
);

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
  if (!authenticated(req.headers.authorization)) {
    return fail(res, 401, 'invalid_client', { 'www-authenticate': 'Basic realm="token"' });
  }
  if (form.get('grant_type') !== 'client_credentials') return fail(res, 400, 'unsupported_grant_type');
  const prepared = apis.get(form.get('audience') ?? '');
  if (prepared === undefined) return fail(res, 400, 'invalid_target');
  const { api } = prepared;

  // The claims and their order as src/server/claims.ts builds them.
  const iat = Math.floor(Date.now() / 1000);
  const claims = {
    iss: config.issuer,
    sub: config.clientId,
    aud: api.audience,
    client_id: config.clientId,
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
        access_token: `${signingInput}.${signature.toString('base64url')}`,
        token_type: 'Bearer',
        expires_in: api.lifetimeSeconds,
        scope: api.scope,
      }),
    );
  });
}

const server = createServer({ keepAliveTimeout: 30_000 }, (req, res) => {
  if (req.method !== 'POST' || req.url !== config.tokenPath) return fail(res, 404, 'invalid_request');
  const chunks: Buffer[] = [];
  let size = 0;
  req.on('data', (chunk: Buffer) => {
    size += chunk.length;
    if (size <= BODY_LIMIT) chunks.push(chunk);
  });
  req.on('end', () => {
    if (size > BODY_LIMIT) return fail(res, 413, 'invalid_request');
    issue(req, res, Buffer.concat(chunks).toString('utf8'));
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
