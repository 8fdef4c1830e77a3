import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { checkOidcIssuer } from '../../src/connections/issuer-check.ts';
import { STRICT_POLICY, type AddressPolicy } from '../../src/outbound/address-policy.ts';
import type { Resolver } from '../../src/outbound/vetted-lookup.ts';

/** Latchkey's dev mode: loopback allowed. The operator's default is STRICT_POLICY. */
const LOOPBACK: AddressPolicy = { ...STRICT_POLICY, allowLoopback: true };

const closers: (() => Promise<void>)[] = [];
afterEach(async () => {
  for (const close of closers.splice(0)) await close();
});

/** A server on 127.0.0.1 that records what it is asked and answers with `handler`. */
async function upstream(handler: (req: IncomingMessage, res: ServerResponse) => void) {
  const hits: string[] = [];
  const server = createServer((req, res) => {
    hits.push(req.url ?? '');
    handler(req, res);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  closers.push(
    () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  );
  const { port } = server.address() as AddressInfo;
  return { port, base: `http://127.0.0.1:${port}`, hits };
}

/** Every name resolves to 127.0.0.1, as a hostile DNS record (or a rebinding one) would make it. */
const toLoopback: Resolver = (_hostname, _options, callback) =>
  callback(null, [{ address: '127.0.0.1', family: 4 }]);

describe('checkOidcIssuer refuses addresses a tenant must not reach (issue 9, item 5)', () => {
  it('refuses plain http by default, before any request', async () => {
    const up = await upstream((_req, res) => res.writeHead(403).end());
    expect(await checkOidcIssuer(up.base, {})).toEqual({
      ok: false,
      message: `issuer "${up.base}" is not allowed: plain http is allowed only for hosts the operator lists in --allow-issuer-hosts`,
    });
    expect(up.hits).toEqual([]);
  });

  it.each([
    ['https://169.254.169.254/latest', '169.254.169.254 is a cloud metadata address'],
    ['https://127.0.0.1:22', '127.0.0.1 is a loopback address'],
    ['https://0x7f.1', '127.0.0.1 is a loopback address'],
    ['https://[::ffff:127.0.0.1]:22', '[::ffff:7f00:1] is a loopback address'],
    ['https://metadata.google.internal', 'metadata.google.internal is a cloud metadata address'],
  ])('refuses %s without contacting it', async (issuer, why) => {
    expect(await checkOidcIssuer(issuer, {})).toEqual({
      ok: false,
      message: `issuer ${JSON.stringify(issuer)} is not allowed: ${why}`,
    });
  });

  it('refuses a name that resolves to a loopback address, and never connects to it', async () => {
    const up = await upstream((_req, res) => res.writeHead(200).end('{}'));
    const issuer = `https://sso.example.com:${up.port}`;
    expect(await checkOidcIssuer(issuer, { resolve: toLoopback })).toEqual({
      ok: false,
      message: `issuer "${issuer}" is not allowed: sso.example.com resolves to a loopback address`,
    });
    expect(up.hits).toEqual([]);
  });

  it('does not say whether a port is closed, answers 403 or never answers', async () => {
    const closed = await upstream(() => undefined);
    await closers.pop()?.();
    const forbidden = await upstream((_req, res) => res.writeHead(403).end('metadata denied'));
    const silent = await upstream(() => undefined);
    const messages = [];
    for (const up of [closed, forbidden, silent]) {
      const check = await checkOidcIssuer(up.base, { policy: LOOPBACK, timeoutMs: 300 });
      messages.push(check.ok ? 'ok' : check.message.replace(String(up.port), 'PORT'));
    }
    expect(new Set(messages).size).toBe(1);
    expect(messages[0]).toBe(
      'could not fetch the discovery document at http://127.0.0.1:PORT/.well-known/openid-configuration: ' +
        'no 200 answer with a JSON object (redirects are not followed)',
    );
  });

  it('refuses a jwks_uri at a refused address, without fetching it', async () => {
    const up = await upstream((req, res) => {
      const base = `http://127.0.0.1:${(req.socket.address() as AddressInfo).port}`;
      res.writeHead(200, { 'content-type': 'application/json' });
      res.end(JSON.stringify({ issuer: base, jwks_uri: 'http://169.254.169.254/latest/meta-data' }));
    });
    expect(await checkOidcIssuer(up.base, { policy: LOOPBACK })).toEqual({
      ok: false,
      message:
        `discovery's jwks_uri "http://169.254.169.254/latest/meta-data" is not allowed: ` +
        'plain http is allowed only for localhost, a loopback address or a host in --allow-issuer-hosts',
    });
  });

  it('does not echo the issuer a foreign discovery document names', async () => {
    const up = await upstream((_req, res) => {
      res.writeHead(200, { 'content-type': 'application/json' });
      res.end(JSON.stringify({ issuer: 'secret-internal-value', jwks_uri: 'https://x/jwks' }));
    });
    const check = await checkOidcIssuer(up.base, { policy: LOOPBACK });
    expect(check).toEqual({
      ok: false,
      message: `the discovery document at ${up.base}/.well-known/openid-configuration names another issuer than "${up.base}" (OpenID Connect Discovery §4.3: they must be equal)`,
    });
  });

  it('lets the operator allow a host by name, plain http included', async () => {
    const up = await upstream((_req, res) => res.writeHead(404).end());
    const policy: AddressPolicy = { ...STRICT_POLICY, allowHosts: ['dex.dex.svc'] };
    const check = await checkOidcIssuer(`http://dex.dex.svc:${up.port}`, { policy, resolve: toLoopback });
    expect(check.ok ? 'ok' : check.message).toMatch(/^could not fetch the discovery document at /);
    // Both metadata locations (OpenID Connect Discovery, then RFC 8414) were asked, at the allowed host.
    expect(up.hits).toEqual(['/.well-known/openid-configuration', '/.well-known/oauth-authorization-server']);
  });
});
