import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import { systemClock } from '../../../src/clock.ts';
import { STRICT_POLICY } from '../../../src/outbound/address-policy.ts';
import { upstreamJson, type UpstreamDeps } from '../../../src/people/upstream/upstream-http.ts';
import { UpstreamSignInError } from '../../../src/people/upstream/upstream.ts';

/** An upstream that misbehaves in one way per path. */
function misbehaving(): Server {
  return createServer((req, res) => {
    switch (req.url) {
      case '/ok':
        return void res.writeHead(200, { 'content-type': 'application/json' }).end('{"a":1}');
      case '/redirect':
        return void res.writeHead(302, { location: 'http://169.254.169.254/latest/meta-data' }).end();
      case '/huge':
        res.writeHead(200, { 'content-type': 'application/json' });
        res.write('["');
        res.write('x'.repeat(2 * 1024 * 1024));
        return void res.end('"]');
      case '/html':
        return void res.writeHead(200, { 'content-type': 'text/html' }).end('secret-ish page');
      case '/slow':
        return; // never answers
      default:
        return void res.writeHead(404).end('{}');
    }
  });
}

describe('outbound requests to upstreams', () => {
  let server: Server;
  let base: string;
  const deps: UpstreamDeps = {
    now: systemClock,
    addressPolicy: { ...STRICT_POLICY, allowLoopback: true },
    timeoutMs: 300,
  };
  beforeAll(async () => {
    server = misbehaving();
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  });
  afterAll(async () => {
    server.closeAllConnections();
    await new Promise((resolve) => server.close(resolve));
  });

  const get = (path: string, overrides: Partial<UpstreamDeps> = {}) =>
    upstreamJson(new URL(path, base), { method: 'GET', headers: {} }, 'the test endpoint', {
      ...deps,
      ...overrides,
    });

  async function refused(promise: Promise<unknown>) {
    const error = await promise.then(
      () => undefined,
      (e: unknown) => e,
    );
    expect(error).toBeInstanceOf(UpstreamSignInError);
    return error as UpstreamSignInError;
  }

  it('answers the status and the parsed JSON', async () => {
    await expect(get('/ok')).resolves.toEqual({ status: 200, json: { a: 1 } });
    await expect(get('/missing')).resolves.toEqual({ status: 404, json: {} });
  });

  it.each([
    ['a redirect (never followed)', '/redirect', 'redirected (302)'],
    ['more than 1 MiB', '/huge', 'more than 1 MiB'],
    ['an answer that is not JSON', '/html', 'without JSON'],
    ['no answer within the time limit', '/slow', 'did not answer within 300 ms'],
  ])('refuses %s as upstream_unavailable, without the upstream body', async (_, path, words) => {
    const error = await refused(get(path));
    expect(error.reason).toBe('upstream_unavailable');
    expect(error.message).toContain(words);
    expect(error.message).not.toContain('secret-ish');
    expect(String((error.cause as Error | undefined)?.message ?? '')).not.toContain('secret-ish');
  });

  it('refuses a loopback upstream under the strict policy before connecting', async () => {
    const error = await refused(get('/ok', { addressPolicy: STRICT_POLICY }));
    expect(error.reason).toBe('upstream_not_allowed');
  });
});
