import { randomBytes } from 'node:crypto';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { exportJWK, generateKeyPair, SignJWT, type CryptoKey, type JWK } from 'jose';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { EventBus, type LatchkeyEvents } from '../../src/events.ts';
import { addressPolicyOption, type AddressPolicy } from '../../src/outbound/address-policy.ts';
import { startServers, type RunningServers } from '../../src/server/start.ts';
import { NOW_MS, NOW_S, form, payments, post, testKeys } from './harness.ts';
import { client, FixedSource, grant, snapshot } from './world.ts';

// A tenant writes spec.jwksUri; the token server fetches it when an assertion arrives. Whoever runs
// Latchkey decides which hosts it may reach (--allow-issuer-hosts), never the tenant (issue 9, item 5).

const JWT_BEARER = 'urn:ietf:params:oauth:client-assertion-type:jwt-bearer';
const REFUSED = { error: 'invalid_client', error_description: 'client authentication failed' };

/** A JWK Set on the loopback interface that counts every TCP connection made to it. */
class CountingServer {
  readonly server: Server;
  connections = 0;
  answer: (res: import('node:http').ServerResponse) => void;

  constructor(keys: () => JWK[]) {
    this.answer = (res) => {
      res.setHeader('content-type', 'application/jwk-set+json');
      res.end(JSON.stringify({ keys: keys() }));
    };
    this.server = createServer((_req, res) => this.answer(res));
    this.server.on('connection', () => this.connections++);
  }

  async listen(): Promise<void> {
    await new Promise<void>((resolve) => this.server.listen(0, '127.0.0.1', resolve));
  }

  url(path = '/jwks.json'): string {
    return `http://127.0.0.1:${(this.server.address() as AddressInfo).port}${path}`;
  }

  close(): Promise<void> {
    this.server.closeAllConnections();
    return new Promise((resolve) => this.server.close(() => resolve()));
  }
}

let key: { privateKey: CryptoKey; jwk: JWK };
const keyServer = new CountingServer(() => [key.jwk]);
const otherServer = new CountingServer(() => [key.jwk]);

async function tokenServer(
  uris: Record<string, string>,
  addressPolicy: AddressPolicy | undefined,
): Promise<{ servers: RunningServers; failed: LatchkeyEvents['token.failed'][] }> {
  const clients = Object.entries(uris).map(([clientId, uri]) => ({
    ...client({ clientId, authMethod: 'private_key_jwt', grants: [grant(payments, ['payments:read'])] }),
    assertionKeys: { kind: 'jwksUri' as const, uri },
  }));
  const source = new FixedSource(snapshot(await testKeys(), { apis: [payments], clients }));
  const events = new EventBus();
  const failed: LatchkeyEvents['token.failed'][] = [];
  events.on('token.failed', (e) => failed.push(e));
  const servers = await startServers({
    source,
    port: 0,
    opsPort: 0,
    now: () => NOW_MS,
    events,
    ready: () => true,
    ...(addressPolicy !== undefined ? { addressPolicy } : {}),
  });
  return { servers, failed };
}

async function requestToken(servers: RunningServers, clientId: string) {
  const jwt = await new SignJWT({
    iss: clientId,
    sub: clientId,
    aud: servers.tokenEndpoint,
    iat: NOW_S,
    exp: NOW_S + 60,
    jti: randomBytes(12).toString('base64url'),
  })
    .setProtectedHeader({ alg: 'ES256', kid: 'k1' })
    .sign(key.privateKey);
  return post(
    servers.tokenEndpoint,
    form({ grant_type: 'client_credentials', client_assertion_type: JWT_BEARER, client_assertion: jwt }),
  );
}

beforeAll(async () => {
  const pair = await generateKeyPair('ES256', { extractable: true });
  key = { privateKey: pair.privateKey, jwk: { ...(await exportJWK(pair.publicKey)), kid: 'k1' } };
  await Promise.all([keyServer.listen(), otherServer.listen()]);
});

afterAll(async () => {
  await Promise.all([keyServer.close(), otherServer.close()]);
});

beforeEach(() => {
  keyServer.connections = 0;
  otherServer.connections = 0;
});

describe('grant_type=client_credentials with a jwksUri the operator does not allow', () => {
  let strict: Awaited<ReturnType<typeof tokenServer>>;
  beforeAll(async () => {
    strict = await tokenServer(
      {
        'loopback.team-a': keyServer.url(),
        'loopback-https.team-a': keyServer.url().replace('http:', 'https:'),
        'metadata.team-a': 'http://169.254.169.254/latest/meta-data/jwks',
        'metadata-https.team-a': 'https://169.254.169.254/latest/meta-data/jwks',
      },
      undefined,
    );
  });
  afterAll(() => strict.servers.close());

  it.each([
    ['http://127.0.0.1:<port>', 'loopback.team-a', /plain http is allowed only for hosts/],
    ['https://127.0.0.1:<port>', 'loopback-https.team-a', /127\.0\.0\.1 is a loopback address/],
    ['http://169.254.169.254', 'metadata.team-a', /plain http is allowed only for hosts/],
    ['https://169.254.169.254', 'metadata-https.team-a', /169\.254\.169\.254 is a cloud metadata address/],
  ])('answers invalid_client for %s and never connects to it', async (_, clientId, detail) => {
    const res = await requestToken(strict.servers, clientId);
    expect(res.status).toBe(401);
    expect(res.body).toEqual(REFUSED);
    expect(strict.failed.at(-1)?.detail).toMatch(detail);
    expect(keyServer.connections).toBe(0);
  });
});

describe('grant_type=client_credentials with a jwksUri on a host the operator allows', () => {
  let allowed: Awaited<ReturnType<typeof tokenServer>>;
  beforeAll(async () => {
    allowed = await tokenServer(
      { 'allowed.team-a': keyServer.url(), 'moved.team-a': keyServer.url('/moved') },
      addressPolicyOption('127.0.0.1', undefined, false),
    );
  });
  afterAll(() => allowed.servers.close());

  it('fetches the key set and issues a token', async () => {
    const res = await requestToken(allowed.servers, 'allowed.team-a');
    expect(res.status).toBe(200);
    expect(keyServer.connections).toBe(1);
  });

  it('refuses a redirect, even to a host that is allowed, and does not follow it', async () => {
    keyServer.answer = (res) => res.writeHead(302, { location: otherServer.url() }).end();
    const res = await requestToken(allowed.servers, 'moved.team-a');
    expect(res.status).toBe(401);
    expect(res.body).toEqual(REFUSED);
    expect(allowed.failed.at(-1)?.detail).toMatch(/redirected \(302\).*does not follow redirects/);
    expect(otherServer.connections).toBe(0);
  });
});
