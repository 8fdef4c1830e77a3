import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import * as oidc from 'openid-client';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { EventBus } from '../../src/events.ts';
import { createTokenServer } from '../../src/server/app.ts';
import { MemoryRevocationStore } from '../../src/runtime/memory-revocation-store.ts';
import { startServers } from '../../src/server/start.ts';
import { NOW_MS, NOW_S, SECRETS, basic, decodePart, form, payments, testKeys } from './harness.ts';
import {
  PAYMENTS_INTROSPECTOR,
  discover,
  introspectionWorld,
  issue,
  postAs,
  startRuntimeHarness,
  type RuntimeHarness,
} from './runtime-harness.ts';
import { FixedSource } from './world.ts';

let h: RuntimeHarness;
beforeAll(async () => {
  h = await startRuntimeHarness();
});
afterEach(() => h.reset());
afterAll(() => h.close());

const revoke = (clientId: Parameters<typeof postAs>[1], params: Record<string, string>) =>
  postAs(h.servers.revocationEndpoint, clientId, params);
const active = async (clientId: Parameters<typeof postAs>[1], token: string) =>
  (await postAs(h.servers.introspectionEndpoint, clientId, { token })).body.active;

describe('POST /oauth2/revoke with openid-client (tokenRevocation)', () => {
  it('revokes the caller’s own token, which introspection then reports inactive to everyone', async () => {
    const clientId = 'billing-worker.billing';
    const config = await discover(h, clientId);
    const token = (await oidc.clientCredentialsGrant(config)).access_token;
    expect(await oidc.tokenIntrospection(config, token)).toMatchObject({ active: true });

    await oidc.tokenRevocation(config, token);

    expect(await oidc.tokenIntrospection(config, token)).toEqual({ active: false });
    expect(await active(PAYMENTS_INTROSPECTOR, token)).toBe(false);
    expect(h.events.revoked.at(-1)).toEqual({ clientId, revoked: true });
  });

  it('refuses another client’s token with unauthorized_client and leaves it active (RFC 7009 §2.1)', async () => {
    const token = await issue(h, 'multi.platform', { audience: payments.identifier });
    // Not even the client that may introspect the API's tokens may revoke them.
    for (const caller of ['billing-worker.billing', PAYMENTS_INTROSPECTOR] as const) {
      const refused = oidc.tokenRevocation(await discover(h, caller), token);
      await expect(refused).rejects.toMatchObject({ error: 'unauthorized_client', status: 400 });
    }
    expect(await active('multi.platform', token)).toBe(true);
    expect(h.events.failed.slice(-2)).toEqual([
      expect.objectContaining({
        endpoint: 'revocation',
        error: 'unauthorized_client',
        clientId: 'billing-worker.billing',
      }),
      expect.objectContaining({
        endpoint: 'revocation',
        error: 'unauthorized_client',
        clientId: PAYMENTS_INTROSPECTOR,
      }),
    ]);
  });

  it('answers 200 to garbage and to a token signed by someone else', async () => {
    const config = await discover(h, 'ledger-sync.billing', 'post');
    const before = h.servers.revocations.size!();
    for (const token of ['garbage', 'a.b.c', `${'x'.repeat(4000)}`]) {
      await expect(oidc.tokenRevocation(config, token)).resolves.toBeUndefined();
    }
    expect(h.servers.revocations.size!()).toBe(before);
  });

  it('accepts a token_type_hint of any value, refresh_token included', async () => {
    const config = await discover(h, 'auditor.security');
    const tokens = await Promise.all([1, 2, 3].map(() => issue(h, 'auditor.security')));
    const hints = ['refresh_token', 'access_token', 'urn:example:unknown'];
    for (const [i, token] of tokens.entries()) {
      await oidc.tokenRevocation(config, token, { token_type_hint: hints[i] as string });
      expect(await active('auditor.security', token)).toBe(false);
    }
  });
});

describe('POST /oauth2/revoke, raw', () => {
  it('answers 200 with an empty body that is not cached', async () => {
    const token = await issue(h, 'billing-worker.billing');
    const res = await revoke('billing-worker.billing', { token });
    expect(res.status).toBe(200);
    expect(res.text).toBe('');
    expect(res.headers.get('cache-control')).toBe('no-store');
  });

  it('answers another client’s token with an RFC 6749 body that names neither the token’s client nor its API', async () => {
    const token = await issue(h, 'multi.platform', { audience: payments.identifier });
    const res = await revoke('billing-worker.billing', { token });
    expect(res.status).toBe(400);
    expect(res.body).toEqual({
      error: 'unauthorized_client',
      error_description: 'this client may not revoke the token: it was issued to another client',
    });
    expect(res.headers.get('cache-control')).toBe('no-store');
    expect(h.events.failed.at(-1)?.detail).toContain('multi.platform');
  });

  it('revokes only that token: another token of the same client stays active', async () => {
    const [first, second] = await Promise.all([
      issue(h, 'billing-worker.billing'),
      issue(h, 'billing-worker.billing'),
    ]);
    await revoke('billing-worker.billing', { token: first as string });
    expect(await active('billing-worker.billing', first as string)).toBe(false);
    expect(await active('billing-worker.billing', second as string)).toBe(true);
  });

  it('remembers a revocation exactly until the token expires, then forgets it', async () => {
    // Issued later than every other token of this file, so it is the last entry left in the list.
    const issuedS = NOW_S + 1000;
    h.clock.now = issuedS * 1000;
    const token = await issue(h, 'billing-worker.billing');
    await revoke('billing-worker.billing', { token });
    h.clock.now = (issuedS + payments.lifetimeSeconds) * 1000 - 1;
    expect(await active('billing-worker.billing', token)).toBe(false);
    expect(h.servers.revocations.size!()).toBe(1);
    h.clock.now = (issuedS + payments.lifetimeSeconds) * 1000;
    expect(h.servers.revocations.size!()).toBe(0);
  });

  it('does nothing for a token that has already expired', async () => {
    const token = await issue(h, 'auditor.security');
    h.clock.now = NOW_MS + 3_600_000;
    const before = h.servers.revocations.size!();
    expect((await revoke('auditor.security', { token })).status).toBe(200);
    expect(h.servers.revocations.size!()).toBe(before);
    expect(h.events.revoked.at(-1)).toEqual({
      clientId: 'auditor.security',
      revoked: false,
      detail: 'expired',
    });
  });

  it('reports a second revocation of the same token as nothing to do', async () => {
    const token = await issue(h, 'billing-worker.billing');
    await revoke('billing-worker.billing', { token });
    await revoke('billing-worker.billing', { token });
    expect(h.events.revoked.slice(-2)).toEqual([
      { clientId: 'billing-worker.billing', revoked: true },
      { clientId: 'billing-worker.billing', revoked: false, detail: 'already_revoked' },
    ]);
  });

  it('counts revocations and the size of the list in the metrics', async () => {
    const token = await issue(h, 'billing-worker.billing');
    await revoke('billing-worker.billing', { token });
    const text = await (await fetch(`http://127.0.0.1:${h.servers.opsPort}/metrics`)).text();
    expect(text).toMatch(/^latchkey_revocations_total\{revoked="true"\} [1-9]\d*$/m);
    expect(text).toMatch(
      new RegExp(`^latchkey_revocation_list_entries ${h.servers.revocations.size!()}$`, 'm'),
    );
  });

  it('is advertised in the metadata with the token endpoint’s client authentication methods', async () => {
    const metadata = (await (
      await fetch(`${h.servers.issuer}/.well-known/oauth-authorization-server`)
    ).json()) as Record<string, unknown>;
    expect(metadata.revocation_endpoint).toBe(h.servers.revocationEndpoint);
    expect(metadata.revocation_endpoint_auth_methods_supported).toEqual(
      metadata.token_endpoint_auth_methods_supported,
    );
  });
});

describe('POST /oauth2/revoke with hostile input', () => {
  const invalidRequest = (d: string) => ({ error: 'invalid_request', error_description: d });
  const cases: {
    name: string;
    body: string;
    headers?: Record<string, string>;
    status: number;
    expected: Record<string, string>;
  }[] = [
    {
      name: 'no token',
      body: 'token_type_hint=access_token',
      headers: { authorization: basic('auditor.security', SECRETS['auditor.security']) },
      status: 400,
      expected: invalidRequest('token is missing'),
    },
    {
      name: 'a duplicated token',
      body: 'token=a&token=b',
      headers: { authorization: basic('auditor.security', SECRETS['auditor.security']) },
      status: 400,
      expected: invalidRequest("parameter 'token' is included more than once"),
    },
    {
      name: 'no client authentication',
      body: 'token=abc',
      status: 401,
      expected: {
        error: 'invalid_client',
        error_description:
          'client authentication is required: send client_id and client_secret with HTTP Basic or in the body',
      },
    },
    {
      name: 'a wrong secret in the body',
      body: form({ token: 'abc', client_id: 'auditor.security', client_secret: 'wrong' }),
      status: 401,
      expected: { error: 'invalid_client', error_description: 'client authentication failed' },
    },
  ];
  it.each(cases)('answers $name with $status and an exact RFC 6749 body', async (c) => {
    const res = await fetch(h.servers.revocationEndpoint, {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded', ...c.headers },
      body: c.body,
    });
    expect(res.status).toBe(c.status);
    expect(await res.json()).toEqual(c.expected);
    expect(res.headers.get('cache-control')).toBe('no-store');
  });

  it('refuses a client that cannot authenticate before it looks at the token', async () => {
    const token = await issue(h, 'billing-worker.billing');
    const res = await fetch(h.servers.revocationEndpoint, {
      method: 'POST',
      headers: {
        'content-type': 'application/x-www-form-urlencoded',
        authorization: basic('billing-worker.billing', 'wrong'),
      },
      body: form({ token }),
    });
    expect(res.status).toBe(401);
    expect(res.headers.get('www-authenticate')).toBe('Basic realm="latchkey", error="invalid_client"');
    expect(await active('billing-worker.billing', token)).toBe(true);
  });

  it('answers other methods with 405', async () => {
    const res = await fetch(h.servers.revocationEndpoint);
    expect(res.status).toBe(405);
    expect(res.headers.get('allow')).toBe('POST');
  });
});

describe('revocations across servers', () => {
  it('are per replica: a server with its own list still calls the token active', async () => {
    // What a second replica does today (design roadmap item 4): it shares the keys and the world, not the list.
    const other = await startServers({
      source: new FixedSource(introspectionWorld(await testKeys())),
      port: 0,
      opsPort: 0,
      now: () => NOW_MS,
      events: new EventBus(),
      ready: () => true,
      issuer: h.servers.issuer,
    });
    try {
      const token = await issue(h, 'billing-worker.billing');
      await revoke('billing-worker.billing', { token });
      const res = await fetch(
        other.introspectionEndpoint.replace(h.servers.issuer, `http://127.0.0.1:${other.port}`),
        {
          method: 'POST',
          headers: {
            'content-type': 'application/x-www-form-urlencoded',
            authorization: basic('billing-worker.billing', SECRETS['billing-worker.billing']),
          },
          body: form({ token }),
        },
      );
      expect(((await res.json()) as { active: boolean }).active).toBe(true);
      expect(await active('billing-worker.billing', token)).toBe(false);
    } finally {
      await other.close();
    }
  });

  it('share a store handed to several servers, and work below an issuer path', async () => {
    const revocations = new MemoryRevocationStore({ now: () => NOW_MS });
    const server = createServer();
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const issuer = `http://127.0.0.1:${(server.address() as AddressInfo).port}/tenants/acme`;
    const app = createTokenServer({
      source: new FixedSource(introspectionWorld(await testKeys())),
      issuer,
      now: () => NOW_MS,
      events: new EventBus(),
      server,
      revocations,
    });
    await app.ready();
    try {
      const auth = { authorization: basic('billing-worker.billing', SECRETS['billing-worker.billing']) };
      const headers = { 'content-type': 'application/x-www-form-urlencoded', ...auth };
      const tokenRes = await fetch(`${issuer}/oauth2/token`, {
        method: 'POST',
        headers,
        body: 'grant_type=client_credentials',
      });
      const token = ((await tokenRes.json()) as { access_token: string }).access_token;
      const revoked = await fetch(`${issuer}/oauth2/revoke`, {
        method: 'POST',
        headers,
        body: form({ token }),
      });
      expect(revoked.status).toBe(200);
      expect(revocations.isRevoked(decodePart(token, 1).jti as string, NOW_MS)).toBe(true);
      const introspected = await fetch(`${issuer}/oauth2/introspect`, {
        method: 'POST',
        headers,
        body: form({ token }),
      });
      expect(await introspected.json()).toEqual({ active: false });
    } finally {
      await app.close();
      await new Promise((resolve) => server.close(resolve));
    }
  });
});
