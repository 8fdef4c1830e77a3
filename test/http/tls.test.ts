import { mkdtemp, rm } from 'node:fs/promises';
import { request } from 'node:https';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { TLSSocket } from 'node:tls';
import { createRemoteJWKSet, customFetch as joseFetch, jwtVerify } from 'jose';
import * as oidc from 'openid-client';
import { Agent, fetch as undiciFetch } from 'undici';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { EventBus, type LatchkeyEvents } from '../../src/events.ts';
import { startServers, type RunningServers } from '../../src/server/start.ts';
import { createCa, issueLeaf, SecretMount, type Leaf, type TestCa } from '../server/tls-certs.ts';
import { FixedSource } from './world.ts';
import { basic, form, NOW_MS, payments, SECRETS, testKeys, world } from './harness.ts';

const GRANT_TYPES = [
  'client_credentials',
  'urn:ietf:params:oauth:grant-type:jwt-bearer',
  'urn:ietf:params:oauth:grant-type:token-exchange',
];
// Introspection and revocation authenticate clients as the token endpoint does (RFC 7662 §2.1, RFC 7009 §2.1).
const CLIENT_AUTH_METHODS = [
  'client_secret_basic',
  'client_secret_post',
  'private_key_jwt',
  'client_secret_jwt',
];
const CLIENT_ASSERTION_ALGORITHMS = [
  ...['RS256', 'RS384', 'RS512', 'PS256', 'PS384', 'PS512', 'ES256', 'ES384', 'ES512', 'EdDSA', 'Ed25519'],
  ...['HS256', 'HS384', 'HS512'],
];

const CLIENT_ID = 'billing-worker.billing';

let dir: string;
let ca: TestCa;
let mount: SecretMount;
let first: Leaf;
let servers: RunningServers;
let dispatcher: Agent;
const events = new EventBus();
const seen: { reloaded: LatchkeyEvents['tls.reloaded'][]; failed: LatchkeyEvents['tls.reloadFailed'][] } = {
  reloaded: [],
  failed: [],
};
events.on('tls.reloaded', (e) => seen.reloaded.push(e));
events.on('tls.reloadFailed', (e) => seen.failed.push(e));

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'latchkey-tls-'));
  ca = await createCa(join(dir, 'ca'));
  first = await issueLeaf(ca, { serial: 0x1001, days: 30 });
  mount = new SecretMount(join(dir, 'mount'));
  await mount.write({ 'tls.crt': first.cert, 'tls.key': first.key, 'ca.crt': ca.cert });
  servers = await startServers({
    source: new FixedSource(world(await testKeys())),
    port: 0,
    opsPort: 0,
    now: () => NOW_MS,
    events,
    ready: () => true,
    // Only the directory watcher can pick up a renewal within this test; the polling has its own tests.
    tls: { certFile: mount.certFile, keyFile: mount.keyFile, pollIntervalMs: 3_600_000 },
  });
  dispatcher = new Agent({ connect: { ca: ca.cert } });
});

afterAll(async () => {
  await dispatcher?.close();
  await servers?.close();
  await rm(dir, { recursive: true, force: true });
});

/** Fetch through a dispatcher that trusts only the test CA, in the shape openid-client and jose call it. */
const trustingFetch = ((url: string, init: RequestInit) =>
  undiciFetch(url, { ...(init as object), dispatcher })) as unknown as typeof fetch;

interface Answer {
  status: number;
  body: Record<string, unknown>;
  /** The serial number of the certificate this connection was served. */
  serialNumber: string;
}

/** A token request on a connection of its own, so each one shakes hands with the certificate in force. */
function tokenRequest(): Promise<Answer> {
  return new Promise((resolve, reject) => {
    const req = request(
      servers.tokenEndpoint,
      {
        method: 'POST',
        ca: ca.cert,
        agent: false,
        headers: {
          'content-type': 'application/x-www-form-urlencoded',
          authorization: basic(CLIENT_ID, SECRETS[CLIENT_ID]),
        },
      },
      (res) => {
        const serialNumber = (res.socket as TLSSocket).getPeerCertificate().serialNumber;
        const chunks: Buffer[] = [];
        res.on('data', (c: Buffer) => chunks.push(c));
        res.on('error', reject);
        res.on('end', () =>
          resolve({
            status: res.statusCode ?? 0,
            body: JSON.parse(Buffer.concat(chunks).toString('utf8')) as Record<string, unknown>,
            serialNumber,
          }),
        );
      },
    );
    req.on('error', reject);
    req.end(form({ grant_type: 'client_credentials', audience: payments.identifier }));
  });
}

/** The next event of that name; rejects after 10 s so a missed renewal fails here rather than hangs. */
function next<E extends 'tls.reloaded' | 'tls.reloadFailed'>(name: E): Promise<LatchkeyEvents[E]> {
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => {
      off();
      reject(new Error(`no ${name} within 10 s`));
    }, 10_000);
    const off = events.on(name, (payload) => {
      clearTimeout(timer);
      off();
      resolve(payload);
    });
  });
}

describe('the token server with --tls-cert and --tls-key', () => {
  it('names https endpoints in its issuer and discovery document', async () => {
    const issuer = `https://127.0.0.1:${servers.port}`;
    expect(servers.issuer).toBe(issuer);
    const res = await undiciFetch(`${issuer}/.well-known/oauth-authorization-server`, { dispatcher });
    expect(res.status).toBe(200);
    expect(await res.json()).toEqual({
      issuer,
      token_endpoint: `${issuer}/oauth2/token`,
      jwks_uri: `${issuer}/.well-known/jwks.json`,
      grant_types_supported: GRANT_TYPES,
      token_endpoint_auth_methods_supported: CLIENT_AUTH_METHODS,
      token_endpoint_auth_signing_alg_values_supported: CLIENT_ASSERTION_ALGORITHMS,
      response_types_supported: ['none'],
      introspection_endpoint: `${issuer}/oauth2/introspect`,
      introspection_endpoint_auth_methods_supported: CLIENT_AUTH_METHODS,
      introspection_endpoint_auth_signing_alg_values_supported: CLIENT_ASSERTION_ALGORITHMS,
      revocation_endpoint: `${issuer}/oauth2/revoke`,
      revocation_endpoint_auth_methods_supported: CLIENT_AUTH_METHODS,
      revocation_endpoint_auth_signing_alg_values_supported: CLIENT_ASSERTION_ALGORITHMS,
    });
  });

  it('issues a token over HTTPS to openid-client trusting only the test CA, which jose verifies over HTTPS', async () => {
    // No allowInsecureRequests: openid-client insists on https, so this also proves the metadata says https.
    const config = await oidc.discovery(
      new URL(servers.issuer),
      CLIENT_ID,
      undefined,
      oidc.ClientSecretBasic(SECRETS[CLIENT_ID]),
      { [oidc.customFetch]: trustingFetch, algorithm: 'oauth2' },
    );
    const tokens = await oidc.clientCredentialsGrant(config, { audience: payments.identifier });
    expect(tokens.token_type).toBe('bearer');

    const jwks = createRemoteJWKSet(new URL(servers.jwksUri), { [joseFetch]: trustingFetch });
    const { payload } = await jwtVerify(tokens.access_token, jwks, {
      issuer: servers.issuer,
      audience: payments.identifier,
      typ: 'at+jwt',
      currentDate: new Date(NOW_MS),
    });
    expect(payload.iss).toBe(`https://127.0.0.1:${servers.port}`);
    expect(payload.client_id).toBe(CLIENT_ID);
  });

  it('fails the handshake for a client that does not trust the CA', async () => {
    const err = await fetch(servers.tokenEndpoint, { method: 'POST' }).then(
      () => undefined,
      (e: unknown) => e as Error & { cause?: { code?: string } },
    );
    expect(err?.cause?.code).toBe('UNABLE_TO_VERIFY_LEAF_SIGNATURE');

    const other = await createCa(join(dir, 'other-ca'), 'Someone Else');
    const stranger = new Agent({ connect: { ca: other.cert } });
    try {
      const err2 = await undiciFetch(servers.issuer, { dispatcher: stranger }).then(
        () => undefined,
        (e: unknown) => e as Error & { cause?: { code?: string } },
      );
      expect(err2?.cause?.code).toBe('UNABLE_TO_VERIFY_LEAF_SIGNATURE');
    } finally {
      await stranger.close();
    }
  });

  it('keeps health and metrics on plain HTTP', async () => {
    const res = await fetch(`http://127.0.0.1:${servers.opsPort}/healthz`);
    expect(res.status).toBe(200);
  });
});

describe('renewal of the mounted certificate', () => {
  let served: Leaf;

  it('serves a renewed pair, swapped in the kubelet way, to new connections while no request fails', async () => {
    expect((await tokenRequest()).serialNumber).toBe(first.serialNumber);
    const second = await issueLeaf(ca, { serial: 0x1002, days: 60 });
    expect(second.notAfter).not.toBe(first.notAfter);

    // Each answer with what the client knew when it started: before the swap, during it, after the event.
    type Phase = 'before' | 'swapping' | 'after';
    let phase: Phase = 'before';
    const answers: { phase: Phase; answer: Answer | Error }[] = [];
    let keepGoing = true;
    const loop = async () => {
      while (keepGoing) {
        const started = phase;
        answers.push({ phase: started, answer: await tokenRequest().catch((e: unknown) => e as Error) });
      }
    };
    // A long-lived keep-alive connection too, as a workload's HTTP client holds one.
    const keptAlive: number[] = [];
    const keepAliveLoop = async () => {
      while (keepGoing) {
        const res = await undiciFetch(servers.tokenEndpoint, {
          method: 'POST',
          dispatcher,
          headers: {
            'content-type': 'application/x-www-form-urlencoded',
            authorization: basic(CLIENT_ID, SECRETS[CLIENT_ID]),
          },
          body: form({ grant_type: 'client_credentials', audience: payments.identifier }),
        }).catch(() => undefined);
        keptAlive.push(res?.status ?? 0);
        await res?.arrayBuffer();
      }
    };
    const running = Promise.all([loop(), loop(), keepAliveLoop()]);
    await vi.waitFor(() => expect(answers.length).toBeGreaterThanOrEqual(10), { timeout: 10_000 });

    const reloaded = next('tls.reloaded');
    phase = 'swapping';
    await mount.write({ 'tls.crt': second.cert, 'tls.key': second.key, 'ca.crt': ca.cert });
    expect(await reloaded).toEqual({ notAfter: second.notAfter });
    phase = 'after';
    await vi.waitFor(
      () => expect(answers.filter((a) => a.phase === 'after').length).toBeGreaterThanOrEqual(10),
      {
        timeout: 10_000,
      },
    );
    keepGoing = false;
    await running;

    expect(answers.filter((a) => a.answer instanceof Error || a.answer.status !== 200)).toEqual([]);
    expect(keptAlive.filter((s) => s !== 200)).toEqual([]);
    const serialsOf = (p: Phase) =>
      new Set(answers.filter((a) => a.phase === p).map((a) => (a.answer as Answer).serialNumber));
    // Handshakes started during the swap may get either certificate; none before it gets the new one, and
    // none after the event the old one.
    expect(serialsOf('before')).toEqual(new Set([first.serialNumber]));
    expect(serialsOf('after')).toEqual(new Set([second.serialNumber]));
    expect(seen.failed).toEqual([]);
    served = second;
  });

  it('rejects a renewed certificate whose key is not its own and keeps serving the current one', async () => {
    const third = await issueLeaf(ca, { serial: 0x1003, days: 90 });
    const unrelated = await issueLeaf(ca, { serial: 0x1004, days: 90 });
    const failed = next('tls.reloadFailed');
    await mount.write({ 'tls.crt': third.cert, 'tls.key': unrelated.key, 'ca.crt': ca.cert });
    expect(await failed).toEqual({
      message: `${mount.keyFile} is not the private key of the certificate in ${mount.certFile} (serial 1003)`,
    });
    const answer = await tokenRequest();
    expect(answer.status).toBe(200);
    expect(answer.serialNumber).toBe(served.serialNumber);
  });

  it('rejects a certificate file cut off mid-way and keeps serving the current one', async () => {
    const third = await issueLeaf(ca, { serial: 0x1005, days: 90 });
    const failed = next('tls.reloadFailed');
    await mount.write({ 'tls.crt': third.cert.slice(0, 300), 'tls.key': third.key, 'ca.crt': ca.cert });
    expect(await failed).toEqual({
      message: `${mount.certFile} does not hold whole PEM certificates (BEGIN CERTIFICATE)`,
    });
    const answer = await tokenRequest();
    expect(answer.status).toBe(200);
    expect(answer.serialNumber).toBe(served.serialNumber);
  });

  it('takes the next good pair after a rejected one, here a new certificate for the same key', async () => {
    const fourth = await issueLeaf(ca, { serial: 0x1006, days: 120, key: served.key });
    const reloaded = next('tls.reloaded');
    await mount.write({ 'tls.crt': fourth.cert, 'tls.key': fourth.key, 'ca.crt': ca.cert });
    expect(await reloaded).toEqual({ notAfter: fourth.notAfter });
    expect(fourth.key).toBe(served.key);
    expect((await tokenRequest()).serialNumber).toBe(fourth.serialNumber);
    expect(seen.reloaded).toHaveLength(2);
    expect(seen.failed).toHaveLength(2);
  });
});
