import { execFile } from 'node:child_process';
import { createServer as createHttpServer, type IncomingMessage, type ServerResponse } from 'node:http';
import { createServer as createHttpsServer } from 'node:https';
import type { AddressInfo, Server } from 'node:net';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { exportJWK, generateKeyPair, type JWK } from 'jose';
import { Agent } from 'undici';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { KubeApiError, type KubeApi } from '../../src/kube/types.ts';
import { checkConnection, checkOidcIssuer, discoveryUrls } from '../../src/connections/issuer-check.ts';
import { checkKubernetesIssuer } from '../../src/connections/kubernetes-issuer.ts';
import { STRICT_POLICY } from '../../src/outbound/address-policy.ts';

/** The upstreams of these tests listen on 127.0.0.1, over plain http: allowed as in dev mode. */
const LOCAL = { policy: { ...STRICT_POLICY, allowLoopback: true } };

type Handler = (req: IncomingMessage, res: ServerResponse, base: string) => void;

interface Running {
  base: string;
  port: number;
  /** Paths requested, in order. */
  hits: string[];
}

const servers: Server[] = [];

function listen(server: Server, handler: Handler, scheme: 'http' | 'https'): Promise<Running> {
  const hits: string[] = [];
  servers.push(server);
  return new Promise((done) => {
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address() as AddressInfo;
      const base = `${scheme}://127.0.0.1:${port}`;
      server.on('request', (req: IncomingMessage, res: ServerResponse) => {
        hits.push(req.url ?? '');
        handler(req, res, base);
      });
      done({ base, port, hits });
    });
  });
}

const startServer = (handler: Handler) => listen(createHttpServer(), handler, 'http');

afterEach(async () => {
  for (const server of servers.splice(0)) {
    await new Promise<void>((done) => {
      server.close(() => done());
      if ('closeAllConnections' in server && typeof server.closeAllConnections === 'function') {
        server.closeAllConnections();
      }
    });
  }
});

function json(res: ServerResponse, body: unknown, status = 200): void {
  res.writeHead(status, { 'content-type': 'application/json' }).end(JSON.stringify(body));
}

/** An OpenID provider at `base`: discovery (with `overrides`) and `/jwks` serving `keys`. */
function provider(
  keys: unknown[],
  overrides: (base: string) => Record<string, unknown> = () => ({}),
): Handler {
  return (req, res, base) => {
    if (req.url === '/.well-known/openid-configuration') {
      json(res, {
        issuer: base,
        jwks_uri: `${base}/jwks`,
        token_endpoint: `${base}/token`,
        ...overrides(base),
      });
    } else if (req.url === '/jwks') {
      json(res, { keys });
    } else {
      json(res, { error: 'not_found' }, 404);
    }
  };
}

async function publicJwk(alg: string, extra: Partial<JWK> = {}): Promise<JWK> {
  const { publicKey } = await generateKeyPair(alg, { extractable: true });
  return { ...(await exportJWK(publicKey)), alg, kid: `${alg}-1`, ...extra };
}

let signingKeys: JWK[] = [];
let encryptionKey: JWK;

beforeAll(async () => {
  signingKeys = [
    await publicJwk('RS256', { use: 'sig' }),
    await publicJwk('ES256'),
    await publicJwk('EdDSA', { key_ops: ['verify'] }),
  ];
  encryptionKey = await publicJwk('RSA-OAEP', { use: 'enc' });
});

const discoveryOf = (base: string) => `${base}/.well-known/openid-configuration`;
const mismatch = (base: string, issuer: string) =>
  `the discovery document at ${discoveryOf(base)} names another issuer than "${issuer}" (OpenID Connect Discovery §4.3: they must be equal)`;
/** Every way a fetch can fail reads the same to the tenant (issue 9, item 5): no port-scanning oracle. */
const couldNotFetch = (url: string, what = 'the discovery document') =>
  `could not fetch ${what} at ${url}: no 200 answer with a JSON object (redirects are not followed)`;

describe('checkOidcIssuer: GET <issuer>/.well-known/openid-configuration, then jwks_uri', () => {
  it('reports the issuer, its jwks_uri and the number of signing keys', async () => {
    const upstream = await startServer(provider([...signingKeys, encryptionKey]));
    expect(await checkOidcIssuer(upstream.base, LOCAL)).toEqual({
      ok: true,
      issuer: upstream.base,
      jwksUri: `${upstream.base}/jwks`,
      keys: 3,
      jwks: signingKeys,
    });
    expect(upstream.hits).toEqual(['/.well-known/openid-configuration', '/jwks']);
  });

  it('appends the well-known path after the issuer path (Discovery §4.1)', async () => {
    const upstream = await startServer((req, res, base) => {
      if (req.url === '/tenants/acme/.well-known/openid-configuration') {
        json(res, { issuer: `${base}/tenants/acme`, jwks_uri: `${base}/tenants/acme/keys` });
      } else if (req.url === '/tenants/acme/keys') {
        json(res, { keys: signingKeys });
      } else {
        json(res, {}, 404);
      }
    });
    const check = await checkOidcIssuer(`${upstream.base}/tenants/acme`, LOCAL);
    expect(check).toEqual({
      ok: true,
      issuer: `${upstream.base}/tenants/acme`,
      jwksUri: `${upstream.base}/tenants/acme/keys`,
      keys: 3,
      jwks: signingKeys,
    });
  });

  it('falls back to RFC 8414 metadata for an issuer that is not an OpenID provider, such as another Latchkey', async () => {
    const upstream = await startServer((req, res, base) => {
      if (req.url === '/.well-known/oauth-authorization-server/tenants/acme') {
        json(res, { issuer: `${base}/tenants/acme`, jwks_uri: `${base}/keys` });
      } else if (req.url === '/keys') {
        json(res, { keys: signingKeys });
      } else {
        json(res, {}, 404);
      }
    });
    const check = await checkOidcIssuer(`${upstream.base}/tenants/acme`, LOCAL);
    expect(check).toMatchObject({ ok: true, issuer: `${upstream.base}/tenants/acme`, keys: 3 });
    expect(upstream.hits).toEqual([
      '/tenants/acme/.well-known/openid-configuration',
      '/.well-known/oauth-authorization-server/tenants/acme',
      '/keys',
    ]);
  });

  it('tells the tenant about the OpenID location when neither answers, and the operator about both', async () => {
    const upstream = await startServer((_req, res) => json(res, {}, 404));
    const failures: string[] = [];
    const check = await checkOidcIssuer(upstream.base, {
      ...LOCAL,
      onFetchFailure: (f) => failures.push(f.url),
    });
    expect(check).toEqual({ ok: false, message: couldNotFetch(discoveryOf(upstream.base)) });
    expect(failures).toEqual([
      discoveryOf(upstream.base),
      `${upstream.base}/.well-known/oauth-authorization-server`,
    ]);
  });

  it('refuses a discovery document that names another issuer, without repeating it (Discovery §4.3)', async () => {
    const upstream = await startServer(provider(signingKeys, () => ({ issuer: 'https://sso.example.com' })));
    expect(await checkOidcIssuer(upstream.base, LOCAL)).toEqual({
      ok: false,
      message: mismatch(upstream.base, upstream.base),
    });
  });

  it('cuts a hostile issuer value short in the message', async () => {
    const huge = `https://${'a'.repeat(100_000)}.example`;
    const upstream = await startServer(provider(signingKeys, () => ({ issuer: huge })));
    expect(await checkOidcIssuer(upstream.base, LOCAL)).toEqual({
      ok: false,
      message: mismatch(upstream.base, upstream.base),
    });
  });

  it('compares the issuer exactly: a configured trailing slash is a mismatch', async () => {
    const upstream = await startServer(provider(signingKeys));
    expect(await checkOidcIssuer(`${upstream.base}/`, LOCAL)).toEqual({
      ok: false,
      message: mismatch(upstream.base, `${upstream.base}/`),
    });
    expect(upstream.hits).toEqual(['/.well-known/openid-configuration']);
  });

  it('accepts keys on another host than the issuer, as large providers publish them', async () => {
    const keyHost = await startServer(provider(signingKeys));
    const upstream = await startServer(
      provider(signingKeys, () => ({ jwks_uri: `http://localhost:${keyHost.port}/jwks` })),
    );
    expect(await checkOidcIssuer(upstream.base, LOCAL)).toMatchObject({
      ok: true,
      jwksUri: `http://localhost:${keyHost.port}/jwks`,
    });
    expect(keyHost.hits).toEqual(['/jwks']);
  });

  it('refuses a discovery document without jwks_uri', async () => {
    const upstream = await startServer(provider(signingKeys, () => ({ jwks_uri: undefined })));
    expect(await checkOidcIssuer(upstream.base, LOCAL)).toEqual({
      ok: false,
      message: `discovery at ${discoveryOf(upstream.base)} has no jwks_uri`,
    });
  });

  it('does not repeat the status of a discovery request that is not answered with 200', async () => {
    const upstream = await startServer((_req, res) => json(res, { error: 'not_found' }, 404));
    expect(await checkOidcIssuer(upstream.base, LOCAL)).toEqual({
      ok: false,
      message: couldNotFetch(discoveryOf(upstream.base)),
    });
  });

  it('does not follow a redirect to another host', async () => {
    const elsewhere = await startServer(provider(signingKeys));
    const upstream = await startServer((req, res) => {
      res.writeHead(302, { location: `http://localhost:${elsewhere.port}${req.url}` }).end();
    });
    expect(await checkOidcIssuer(upstream.base, LOCAL)).toEqual({
      ok: false,
      message: couldNotFetch(discoveryOf(upstream.base)),
    });
    expect(elsewhere.hits).toEqual([]);
  });

  it('does not follow a redirect of the JWKS either', async () => {
    const upstream = await startServer((req, res, base) => {
      if (req.url === '/jwks') res.writeHead(301, { location: '/v2/jwks' }).end();
      else provider(signingKeys)(req, res, base);
    });
    expect(await checkOidcIssuer(upstream.base, LOCAL)).toEqual({
      ok: false,
      message: couldNotFetch(`${upstream.base}/jwks`, 'the JWK Set'),
    });
  });

  it('gives up on a server that never answers within the budget', async () => {
    const upstream = await startServer(() => {
      // accepts the request and never responds
    });
    const started = performance.now();
    expect(await checkOidcIssuer(upstream.base, { ...LOCAL, timeoutMs: 200 })).toEqual({
      ok: false,
      message: couldNotFetch(discoveryOf(upstream.base)),
    });
    // Well past the budget, so only a check that ignores it (and waits for the socket) can fail this.
    expect(performance.now() - started).toBeLessThan(20_000);
  });

  it('gives up on a body that stops arriving within the budget', async () => {
    const upstream = await startServer((_req, res) => {
      res.writeHead(200, { 'content-type': 'application/json' });
      res.write('{"issuer":');
    });
    expect(await checkOidcIssuer(upstream.base, { ...LOCAL, timeoutMs: 200 })).toEqual({
      ok: false,
      message: couldNotFetch(discoveryOf(upstream.base)),
    });
  });

  it('refuses a response that is not JSON', async () => {
    const upstream = await startServer((_req, res) => {
      res.writeHead(200, { 'content-type': 'text/html; charset=utf-8' }).end('<html>Sign in</html>');
    });
    expect(await checkOidcIssuer(upstream.base, LOCAL)).toEqual({
      ok: false,
      message: couldNotFetch(discoveryOf(upstream.base)),
    });
  });

  it.each([['null'], ['[]'], ['"https://sso.example.com"']])(
    'refuses JSON that is not an object: %s',
    async (body) => {
      const upstream = await startServer((_req, res) => {
        res.writeHead(200, { 'content-type': 'application/json' }).end(body);
      });
      expect(await checkOidcIssuer(upstream.base, LOCAL)).toEqual({
        ok: false,
        message: couldNotFetch(discoveryOf(upstream.base)),
      });
    },
  );

  it('refuses a response declared larger than 1 MiB', async () => {
    const upstream = await startServer((_req, res) => {
      const body = JSON.stringify({ issuer: 'x', padding: 'x'.repeat(1024 * 1024) });
      res.writeHead(200, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(body) });
      res.end(body);
    });
    expect(await checkOidcIssuer(upstream.base, LOCAL)).toEqual({
      ok: false,
      message: couldNotFetch(discoveryOf(upstream.base)),
    });
  });

  it('stops reading an endless body after 1 MiB', async () => {
    let written = 0;
    const upstream = await startServer((_req, res) => {
      res.writeHead(200, { 'content-type': 'application/json' });
      res.write('{"padding":"');
      const chunk = 'x'.repeat(64 * 1024);
      const more = (): void => {
        if (res.destroyed || written > 64 * 1024 * 1024) return;
        written += chunk.length;
        if (res.write(chunk)) setImmediate(more);
        else res.once('drain', more);
      };
      more();
    });
    expect(await checkOidcIssuer(upstream.base, LOCAL)).toEqual({
      ok: false,
      message: couldNotFetch(discoveryOf(upstream.base)),
    });
    expect(written).toBeLessThan(64 * 1024 * 1024);
  });

  it('refuses a JWKS without keys usable to verify signatures, counting what it holds', async () => {
    const hmac: JWK = { kty: 'oct', k: 'c2VjcmV0LXNlY3JldC1zZWNyZXQtc2VjcmV0', alg: 'HS256' };
    const verifyless = { ...signingKeys[0], key_ops: ['encrypt'] };
    const broken: JWK = { kty: 'RSA', n: 'AQAB', alg: 'RS256' };
    const upstream = await startServer(provider([encryptionKey, hmac, verifyless, broken, 'RS256', null]));
    expect(await checkOidcIssuer(upstream.base, LOCAL)).toEqual({
      ok: false,
      message: `JWKS at ${upstream.base}/jwks holds no signing keys (6 keys, none usable to verify signatures)`,
    });
  });

  it('refuses an empty JWKS', async () => {
    const upstream = await startServer(provider([]));
    expect(await checkOidcIssuer(upstream.base, LOCAL)).toEqual({
      ok: false,
      message: `JWKS at ${upstream.base}/jwks holds no signing keys`,
    });
  });

  it('refuses a JWKS without a keys array', async () => {
    const upstream = await startServer((req, res, base) => {
      if (req.url === '/jwks') json(res, { key: signingKeys[0] });
      else provider(signingKeys)(req, res, base);
    });
    expect(await checkOidcIssuer(upstream.base, LOCAL)).toEqual({
      ok: false,
      message: `JWKS at ${upstream.base}/jwks has no "keys" array`,
    });
  });

  it('reports a refused connection as any other failure, not as refused', async () => {
    const closed = await startServer(() => undefined);
    const port = closed.port;
    await new Promise<void>((done) => servers.pop()?.close(() => done()));
    expect(await checkOidcIssuer(`http://127.0.0.1:${port}`, LOCAL)).toEqual({
      ok: false,
      message: couldNotFetch(discoveryOf(`http://127.0.0.1:${port}`)),
    });
  });

  it.each([
    ['not a url', 'issuer "not a url" is not a URL'],
    ['ftp://sso.example.com', 'issuer "ftp://sso.example.com" is not an https URL'],
    [
      'https://sso.example.com?tenant=1',
      'issuer "https://sso.example.com?tenant=1" must not have a query or fragment',
    ],
    ['https://sso.example.com#x', 'issuer "https://sso.example.com#x" must not have a query or fragment'],
  ])('refuses the issuer %s without any request', async (issuer, message) => {
    expect(await checkOidcIssuer(issuer, LOCAL)).toEqual({ ok: false, message });
  });

  it('throws on a timeout that is not a positive number (a programming error)', async () => {
    await expect(checkOidcIssuer('https://sso.example.com', { timeoutMs: Number.NaN })).rejects.toThrow(
      RangeError,
    );
  });
});

describe('discoveryUrls: OpenID Connect Discovery §4.1, then RFC 8414 §3.1', () => {
  it.each([
    [
      'https://sso.example.com',
      [
        'https://sso.example.com/.well-known/openid-configuration',
        'https://sso.example.com/.well-known/oauth-authorization-server',
      ],
    ],
    [
      'https://sso.example.com/',
      [
        'https://sso.example.com/.well-known/openid-configuration',
        'https://sso.example.com/.well-known/oauth-authorization-server',
      ],
    ],
    [
      'https://h.example/t/acme',
      [
        'https://h.example/t/acme/.well-known/openid-configuration',
        'https://h.example/.well-known/oauth-authorization-server/t/acme',
      ],
    ],
    [
      'https://h.example:8443/t/',
      [
        'https://h.example:8443/t/.well-known/openid-configuration',
        'https://h.example:8443/.well-known/oauth-authorization-server/t',
      ],
    ],
  ])('%s', (issuer, expected) => {
    expect(discoveryUrls(issuer).map((u) => u.href)).toEqual(expected);
  });
});

describe('checkOidcIssuer over https with the dispatcher given', () => {
  let dir = '';
  let tls: { key: string; cert: string };

  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'latchkey-issuer-check-'));
    await promisify(execFile)(
      'openssl',
      [
        ...['req', '-x509', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes'],
        ...['-days', '1', '-subj', '/CN=127.0.0.1', '-addext', 'subjectAltName=IP:127.0.0.1'],
        ...['-keyout', 'key.pem', '-out', 'cert.pem'],
      ],
      { cwd: dir },
    );
    tls = {
      key: await readFile(join(dir, 'key.pem'), 'utf8'),
      cert: await readFile(join(dir, 'cert.pem'), 'utf8'),
    };
  });

  afterAll(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  const startTls = (handler: Handler) => listen(createHttpsServer(tls), handler, 'https');

  it('checks an https issuer trusted through the dispatcher', async () => {
    const upstream = await startTls(provider(signingKeys));
    const dispatcher = new Agent({ connect: { ca: tls.cert } });
    try {
      expect(await checkOidcIssuer(upstream.base, { ...LOCAL, dispatcher })).toEqual({
        ok: true,
        issuer: upstream.base,
        jwksUri: `${upstream.base}/jwks`,
        keys: 3,
        jwks: signingKeys,
      });
    } finally {
      await dispatcher.close();
    }
  });

  it('refuses a certificate it does not trust, as any other failure', async () => {
    const upstream = await startTls(provider(signingKeys));
    expect(await checkOidcIssuer(upstream.base, LOCAL)).toEqual({
      ok: false,
      message: couldNotFetch(discoveryOf(upstream.base)),
    });
  });

  it('refuses an http jwks_uri of an https issuer', async () => {
    const upstream = await startTls(
      provider(signingKeys, (base) => ({ jwks_uri: `${base.replace('https:', 'http:')}/jwks` })),
    );
    const dispatcher = new Agent({ connect: { ca: tls.cert } });
    try {
      expect(await checkOidcIssuer(upstream.base, { ...LOCAL, dispatcher })).toEqual({
        ok: false,
        message: `discovery's jwks_uri "http://127.0.0.1:${upstream.port}/jwks" is not an https URL`,
      });
    } finally {
      await dispatcher.close();
    }
  });
});

/** A fake of our own KubeApi interface: answers by path, or throws what the real client would throw. */
function fakeKube(answers: Record<string, unknown>): Pick<KubeApi, 'getRaw'> & { paths: string[] } {
  const paths: string[] = [];
  return {
    paths,
    getRaw(path: string) {
      paths.push(path);
      const answer = answers[path];
      if (answer instanceof Error) return Promise.reject(answer);
      if (answer === undefined)
        return Promise.reject(
          new KubeApiError(404, 'NotFound', 'the server could not find the requested resource'),
        );
      return Promise.resolve(answer);
    },
  };
}

const clusterIssuer = 'https://kubernetes.default.svc.cluster.local';
const clusterDiscovery = {
  issuer: clusterIssuer,
  jwks_uri: 'https://10.0.0.1:6443/openid/v1/jwks',
  response_types_supported: ['id_token'],
  subject_types_supported: ['public'],
  id_token_signing_alg_values_supported: ['RS256'],
};

describe('checkKubernetesIssuer: the ServiceAccount issuer through the API server', () => {
  it('reads discovery and the keys from the API server, whatever host jwks_uri names', async () => {
    const kube = fakeKube({
      '/.well-known/openid-configuration': clusterDiscovery,
      '/openid/v1/jwks': { keys: [signingKeys[0]] },
    });
    expect(await checkKubernetesIssuer(kube)).toEqual({
      ok: true,
      issuer: clusterIssuer,
      jwksUri: 'https://10.0.0.1:6443/openid/v1/jwks',
      keys: 1,
      jwks: [signingKeys[0]],
    });
    expect(kube.paths).toEqual(['/.well-known/openid-configuration', '/openid/v1/jwks']);
  });

  it('names the ClusterRole to bind when RBAC refuses (403)', async () => {
    const kube = fakeKube({
      '/.well-known/openid-configuration': new KubeApiError(
        403,
        'Forbidden',
        'GET /.well-known/openid-configuration: forbidden: User "system:serviceaccount:latchkey:latchkey" ' +
          'cannot get path "/.well-known/openid-configuration"',
      ),
    });
    expect(await checkKubernetesIssuer(kube)).toEqual({
      ok: false,
      message:
        'GET /.well-known/openid-configuration on the API server answered 403 (forbidden: User ' +
        '"system:serviceaccount:latchkey:latchkey" cannot get path "/.well-known/openid-configuration"); ' +
        "bind Latchkey's ServiceAccount to the ClusterRole system:service-account-issuer-discovery",
    });
  });

  it('says when the API server does not serve issuer discovery (404)', async () => {
    expect(await checkKubernetesIssuer(fakeKube({}))).toEqual({
      ok: false,
      message:
        'GET /.well-known/openid-configuration on the API server answered 404 (the server could not find the ' +
        'requested resource); this API server does not serve ServiceAccount issuer discovery ' +
        "(see kube-apiserver's --service-account-issuer)",
    });
  });

  it('reports an API server it cannot reach', async () => {
    const kube = fakeKube({
      '/.well-known/openid-configuration': new Error('connect ECONNREFUSED 127.0.0.1:6443'),
    });
    expect(await checkKubernetesIssuer(kube)).toEqual({
      ok: false,
      message:
        'GET /.well-known/openid-configuration on the API server failed: connect ECONNREFUSED 127.0.0.1:6443',
    });
  });

  it('refuses a key set without signing keys', async () => {
    const kube = fakeKube({
      '/.well-known/openid-configuration': clusterDiscovery,
      '/openid/v1/jwks': { keys: [] },
    });
    expect(await checkKubernetesIssuer(kube)).toEqual({
      ok: false,
      message: "the API server's JWKS at /openid/v1/jwks holds no signing keys",
    });
  });

  it('refuses a discovery document without issuer', async () => {
    const kube = fakeKube({
      '/.well-known/openid-configuration': { ...clusterDiscovery, issuer: undefined },
    });
    expect(await checkKubernetesIssuer(kube)).toEqual({
      ok: false,
      message: "the API server's /.well-known/openid-configuration has no issuer",
    });
  });
});

describe('checkConnection dispatches on spec.type', () => {
  it('type: oidc checks spec.issuer', async () => {
    const upstream = await startServer(provider(signingKeys));
    expect(await checkConnection({ type: 'oidc', issuer: upstream.base }, LOCAL)).toMatchObject({
      ok: true,
      keys: 3,
    });
  });

  it.each(['github', 'test'] as const)(
    'type: %s has no issuer to check, and contacts nothing',
    async (type) => {
      expect(await checkConnection({ type }, { policy: { ...STRICT_POLICY, allowHosts: [] } })).toEqual({
        ok: false,
        message: `a Connection of type ${type} has no issuer to check`,
      });
    },
  );

  it('type: kubernetes without an API server (dev mode) cannot be checked', async () => {
    expect(await checkConnection({ type: 'kubernetes' }, {})).toEqual({
      ok: false,
      message: 'a Connection of type kubernetes needs a Kubernetes API server, and there is none (dev mode)',
    });
  });

  it('type: kubernetes refuses a spec.issuer that is not the cluster issuer', async () => {
    const kube = fakeKube({
      '/.well-known/openid-configuration': clusterDiscovery,
      '/openid/v1/jwks': { keys: signingKeys },
    });
    expect(
      await checkConnection({ type: 'kubernetes', issuer: 'https://oidc.eks.example.com' }, { kube }),
    ).toEqual({
      ok: false,
      message: `the cluster's ServiceAccount issuer is "${clusterIssuer}", spec.issuer says "https://oidc.eks.example.com"`,
    });
    expect(await checkConnection({ type: 'kubernetes' }, { kube })).toMatchObject({ ok: true, keys: 3 });
  });
});
