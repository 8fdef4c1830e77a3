import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { exportJWK, generateKeyPair, type JWK } from 'jose';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { addressPolicyOption } from '../../src/outbound/address-policy.ts';
import type { FetchedJson } from '../../src/outbound/fetch-json.ts';
import {
  fetchJwks,
  FRESH_MS,
  MAX_STALE_MS,
  REFRESH_COOLDOWN_MS,
  RemoteKeySets,
} from '../../src/server/assertion/remote-keys.ts';

const T = 1_900_000_000_000;
const URI = 'https://keys.example/jwks.json';
let jwk: JWK;
let other: JWK;

beforeAll(async () => {
  const pub = async (kid: string) => ({
    ...(await exportJWK((await generateKeyPair('ES256', { extractable: true })).publicKey)),
    kid,
  });
  [jwk, other] = await Promise.all([pub('k1'), pub('k2')]);
});

/** A key source whose answers a test sets, counting the fetches. */
function world() {
  const state = {
    now: T,
    answer: { ok: true, json: { keys: [] as JWK[] } } as FetchedJson,
    fetches: [] as string[],
  };
  const sets = new RemoteKeySets({
    now: () => state.now,
    fetch: async (url) => {
      state.fetches.push(url.href);
      await new Promise((resolve) => setTimeout(resolve, 5));
      return state.answer;
    },
  });
  const kids = async (clientId = 'c', uri = URI, want?: string) => {
    const found = await sets.lookup(
      clientId,
      uri,
      (keys) => want === undefined || keys.some((k) => k.kid === want),
    );
    return found.ok ? found.keys.map((k) => k.kid) : found.message;
  };
  return { state, kids };
}

describe('RemoteKeySets', () => {
  it('fetches once for concurrent lookups and serves the cache while it is fresh', async () => {
    const { state, kids } = world();
    state.answer = { ok: true, json: { keys: [jwk] } };
    expect(await Promise.all([kids(), kids(), kids()])).toEqual([['k1'], ['k1'], ['k1']]);
    state.now = T + FRESH_MS - 1;
    expect(await kids()).toEqual(['k1']);
    expect(state.fetches).toEqual([URI]);
    state.now = T + FRESH_MS;
    state.answer = { ok: true, json: { keys: [other] } };
    expect(await kids()).toEqual(['k2']);
    expect(state.fetches).toHaveLength(2);
  });

  it('refreshes for a key it lacks at most once per cooldown', async () => {
    const { state, kids } = world();
    state.answer = { ok: true, json: { keys: [jwk] } };
    await kids();
    state.answer = { ok: true, json: { keys: [jwk, other] } };
    state.now = T + REFRESH_COOLDOWN_MS - 1;
    for (let i = 0; i < 10; i++) expect(await kids('c', URI, 'k2')).toEqual(['k1']);
    expect(state.fetches).toHaveLength(1);
    state.now = T + REFRESH_COOLDOWN_MS;
    expect(await kids('c', URI, 'k2')).toEqual(['k1', 'k2']);
    expect(state.fetches).toHaveLength(2);
  });

  it('keeps the last keys while refreshes fail, for at most MAX_STALE_MS', async () => {
    const { state, kids } = world();
    state.answer = { ok: true, json: { keys: [jwk] } };
    await kids();
    state.answer = { ok: false, message: `GET ${URI}: answered 503` };
    state.now = T + FRESH_MS;
    expect(await kids()).toEqual(['k1']);
    state.now = T + MAX_STALE_MS + 1;
    expect(await kids()).toBe(`GET ${URI}: answered 503`);
  });

  it('says why when no keys were ever fetched, and retries only after the cooldown', async () => {
    const { state, kids } = world();
    state.answer = {
      ok: true,
      json: {
        keys: [
          { kty: 'oct', k: 'c2VjcmV0' },
          { ...jwk, d: 'cHJpdmF0ZQ' },
        ],
      },
    };
    expect(await kids()).toBe(`GET ${URI}: the JWK Set holds no public signing key Latchkey can use`);
    state.answer = { ok: true, json: { keys: [jwk] } };
    expect(await kids()).toBe(`GET ${URI}: the JWK Set holds no public signing key Latchkey can use`);
    state.now = T + REFRESH_COOLDOWN_MS;
    expect(await kids()).toEqual(['k1']);
  });

  it('starts afresh when the client moves to another URI, and keeps clients apart', async () => {
    const { state, kids } = world();
    state.answer = { ok: true, json: { keys: [jwk] } };
    await kids('c', URI);
    state.answer = { ok: true, json: { keys: [other] } };
    expect(await kids('c', 'https://keys.example/v2')).toEqual(['k2']);
    expect(await kids('d', URI)).toEqual(['k2']);
    expect(state.fetches).toEqual([URI, 'https://keys.example/v2', URI]);
  });
});

describe('fetchJwks', () => {
  // The test's key server is on loopback over plain http, which only an allowed host may be.
  const LOOPBACK = addressPolicyOption('127.0.0.1', undefined, false);
  let server: Server;
  let base: string;
  beforeAll(async () => {
    server = createServer((req, res) => {
      if (req.url === '/moved') return res.writeHead(301, { location: '/jwks' }).end();
      res.setHeader('content-type', 'application/json');
      res.end(JSON.stringify({ keys: [{ kty: 'OKP', crv: 'Ed25519', x: 'x' }], accept: req.headers.accept }));
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  });
  afterAll(() => new Promise((resolve) => server.close(resolve)));

  it('GETs the key set, asking for a JWK Set', async () => {
    expect(await fetchJwks(new URL(`${base}/jwks`), LOOPBACK)).toEqual({
      ok: true,
      json: {
        keys: [{ kty: 'OKP', crv: 'Ed25519', x: 'x' }],
        accept: 'application/jwk-set+json, application/json',
      },
    });
  });

  it('does not follow a redirect', async () => {
    expect(await fetchJwks(new URL(`${base}/moved`), LOOPBACK)).toEqual({
      ok: false,
      message: `GET ${base}/moved: the jwksUri host redirected (301) to ${base}/jwks, and Latchkey does not follow redirects`,
      status: 301,
    });
  });

  it('reports a refused connection as a message, not a throw', async () => {
    const closed = createServer();
    await new Promise<void>((resolve) => closed.listen(0, '127.0.0.1', resolve));
    const port = (closed.address() as AddressInfo).port;
    await new Promise((resolve) => closed.close(resolve));
    const result = await fetchJwks(new URL(`http://127.0.0.1:${port}/jwks`), LOOPBACK);
    expect(result.ok).toBe(false);
    expect(result.ok ? '' : result.message).toMatch(
      new RegExp(`^GET http://127\\.0\\.0\\.1:${port}/jwks: .+`),
    );
  });
});

describe('fetchJwks under the operator default', () => {
  it.each([
    ['http://127.0.0.1:9/jwks', /plain http is allowed only for hosts the operator lists/],
    ['https://127.0.0.1:9/jwks', /127\.0\.0\.1 is a loopback address/],
    ['https://[::ffff:169.254.169.254]/jwks', /is a cloud metadata address/],
    ['https://localhost/jwks', /localhost is a loopback address/],
  ])('refuses %s before connecting', async (uri, reason) => {
    const result = await fetchJwks(new URL(uri));
    expect(result).toEqual({
      ok: false,
      message: expect.stringMatching(reason),
      notAllowed: expect.stringMatching(reason),
    });
  });
});
