import { createServer, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { Writable } from 'node:stream';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import type { ConnectionSpec } from '../../src/api/connection.ts';
import { DevConnectionChecks } from '../../src/dev/connection-checks.ts';
import { EventBus, type LatchkeyEvents } from '../../src/events.ts';
import { createLogger, logEvents } from '../../src/log.ts';
import { checkOidcIssuer, type FetchFailure } from '../../src/connections/issuer-check.ts';
import { STRICT_POLICY } from '../../src/outbound/address-policy.ts';
import type { DeclaredConnection } from '../../src/store/objects.ts';

// A tenant's Connection status says only "could not fetch …" (issue 9, item 5); whoever runs Latchkey still
// needs to know what the network said. It goes to the operator's log, once per failed check.

const LOCAL = { ...STRICT_POLICY, allowLoopback: true };

let server: Server;
let base: string;
let discovery: (res: ServerResponse) => void;
let jwks: (res: ServerResponse) => void;

beforeAll(async () => {
  server = createServer((req, res) => (req.url === '/jwks' ? jwks(res) : discovery(res)));
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});
afterAll(() => new Promise((resolve) => server.close(resolve)));

beforeEach(() => {
  discovery = (res) => res.end(JSON.stringify({ issuer: base, jwks_uri: `${base}/jwks` }));
  jwks = (res) => res.end(JSON.stringify({ keys: [] }));
});

async function check(issuer = base): Promise<{ message: string; reported: FetchFailure[] }> {
  const reported: FetchFailure[] = [];
  const result = await checkOidcIssuer(issuer, {
    policy: LOCAL,
    onFetchFailure: (f) => reported.push(f),
  });
  return { message: result.ok ? '' : result.message, reported };
}

describe('checkOidcIssuer: what the network said goes to onFetchFailure, not to the message', () => {
  it('reports the HTTP status of a discovery document that is not there', async () => {
    discovery = (res) => res.writeHead(403).end('go away');
    const { message, reported } = await check();
    expect(message).not.toMatch(/403/);
    // Both metadata locations were asked (OpenID Connect Discovery, then RFC 8414); each failure is reported.
    expect(reported).toEqual(
      ['/.well-known/openid-configuration', '/.well-known/oauth-authorization-server'].map((path) => ({
        url: `${base}${path}`,
        status: 403,
        message: `GET ${base}${path}: answered 403`,
      })),
    );
  });

  it('reports the error code of a refused connection', async () => {
    const closed = createServer();
    await new Promise<void>((resolve) => closed.listen(0, '127.0.0.1', resolve));
    const port = (closed.address() as AddressInfo).port;
    await new Promise((resolve) => closed.close(resolve));
    const { message, reported } = await check(`http://127.0.0.1:${port}`);
    expect(message).not.toMatch(/ECONNREFUSED/);
    expect(reported).toHaveLength(2);
    expect(reported[0]).toMatchObject({
      code: 'ECONNREFUSED',
      message: expect.stringMatching(/ECONNREFUSED/),
    });
  });

  it('reports a JWK Set that answers 500, once', async () => {
    jwks = (res) => res.writeHead(500).end();
    const { reported } = await check();
    expect(reported).toEqual([
      { url: `${base}/jwks`, status: 500, message: `GET ${base}/jwks: answered 500` },
    ]);
  });

  it('reports nothing when the fetches succeed', async () => {
    const { reported } = await check();
    expect(reported).toEqual([]);
  });
});

describe('latchkey dev --check-connections: the detail as a warn-level log line', () => {
  it('emits connection.fetchFailed naming the Connection, and the logger writes it at warn', async () => {
    discovery = (res) => res.writeHead(404).end();
    const events = new EventBus();
    const seen: LatchkeyEvents['connection.fetchFailed'][] = [];
    events.on('connection.fetchFailed', (e) => seen.push(e));
    const lines: Record<string, unknown>[] = [];
    const sink = new Writable({
      write(chunk: Buffer, _encoding, done) {
        lines.push(JSON.parse(chunk.toString()) as Record<string, unknown>);
        done();
      },
    });
    logEvents(events, createLogger(sink, 'warn'));
    const checks = new DevConnectionChecks({
      events,
      now: () => 0,
      changed: () => undefined,
      connectionsByIssuer: () => new Map(),
      policy: LOCAL,
    });
    const declared = {
      kind: 'Connection',
      metadata: { namespace: 'ci', name: 'local', generation: 1 },
      spec: { type: 'oidc', issuer: base } as ConnectionSpec,
    } as DeclaredConnection;
    await checks.sync([declared]);
    await checks.close();
    expect(seen).toEqual(
      ['/.well-known/openid-configuration', '/.well-known/oauth-authorization-server'].map((path) => ({
        connection: 'Connection/ci/local',
        url: `${base}${path}`,
        status: 404,
        message: `GET ${base}${path}: answered 404`,
      })),
    );
    expect(lines).toContainEqual(
      expect.objectContaining({ level: 40, event: 'connection.fetchFailed', status: 404 }),
    );
    // The tenant's status keeps the generic message.
    const result = checks.results.get('ci/local');
    expect(result?.ok === false ? result.message : '').not.toMatch(/404/);
  });
});
