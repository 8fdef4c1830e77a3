import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { SECRETS, basic, form, ledger, payments, post, startHarness, type Harness } from './harness.ts';

let h: Harness;
beforeAll(async () => {
  h = await startHarness();
});
afterAll(() => h.close());

const b64 = (s: string | Buffer) => Buffer.from(s).toString('base64');
const CC = 'grant_type=client_credentials';
const as = (id: keyof typeof SECRETS) => ({ authorization: basic(id, SECRETS[id]) });
const inBody = (id: keyof typeof SECRETS, extra = '') =>
  `${CC}&${form({ client_id: id, client_secret: SECRETS[id] })}${extra}`;

const AUTH_FAILED = { error: 'invalid_client', error_description: 'client authentication failed' };
const AUTH_REQUIRED = {
  error: 'invalid_client',
  error_description:
    'client authentication is required: send client_id and client_secret with HTTP Basic or in the body',
};
const WRONG_TYPE = {
  error: 'invalid_request',
  error_description: 'the request body must be application/x-www-form-urlencoded',
};
const BAD_BASIC = {
  error: 'invalid_request',
  error_description: 'malformed HTTP Basic credentials: expected base64 of client_id:client_secret',
};
const invalidRequest = (d: string) => ({ error: 'invalid_request', error_description: d });
const invalidTarget = (d: string) => ({ error: 'invalid_target', error_description: d });

interface Case {
  name: string;
  body?: string;
  headers?: Record<string, string>;
  method?: string;
  path?: string;
  status: number;
  expected: Record<string, string>;
  /** Extra response headers the answer must carry. */
  has?: Record<string, string>;
}

const BASIC_CHALLENGE = { 'www-authenticate': 'Basic realm="latchkey", error="invalid_client"' };

const cases: Case[] = [
  // Client authentication (RFC 6749 section 2.3.1)
  {
    name: 'an unknown client',
    body: form({ grant_type: 'client_credentials', client_id: 'nobody.nowhere', client_secret: 'x' }),
    status: 401,
    expected: AUTH_FAILED,
  },
  {
    name: 'an unknown client over HTTP Basic',
    body: CC,
    headers: { authorization: basic('nobody.nowhere', 'x') },
    status: 401,
    expected: AUTH_FAILED,
    has: BASIC_CHALLENGE,
  },
  {
    name: 'a wrong secret',
    body: CC,
    headers: { authorization: basic('billing-worker.billing', 'wrong') },
    status: 401,
    expected: AUTH_FAILED,
    has: BASIC_CHALLENGE,
  },
  {
    name: 'the secret of another client',
    body: CC,
    headers: { authorization: basic('billing-worker.billing', SECRETS['auditor.security']) },
    status: 401,
    expected: AUTH_FAILED,
    has: BASIC_CHALLENGE,
  },
  {
    name: 'the secret of another client in the body',
    body: `${CC}&${form({ client_id: 'ledger-sync.billing', client_secret: SECRETS['billing-worker.billing'] })}`,
    status: 401,
    expected: AUTH_FAILED,
  },
  {
    name: 'an empty secret over HTTP Basic',
    body: CC,
    headers: { authorization: `Basic ${b64('billing-worker.billing:')}` },
    status: 401,
    expected: AUTH_FAILED,
    has: BASIC_CHALLENGE,
  },
  { name: 'no client authentication at all', body: CC, status: 401, expected: AUTH_REQUIRED },
  {
    name: 'client_id without client_secret',
    body: `${CC}&client_id=billing-worker.billing`,
    status: 401,
    expected: { error: 'invalid_client', error_description: 'client_secret is required' },
  },
  {
    name: 'client_id of an unknown client without client_secret',
    body: `${CC}&client_id=nobody`,
    status: 401,
    expected: { error: 'invalid_client', error_description: 'client_secret is required' },
  },
  {
    name: 'client_secret without client_id',
    body: `${CC}&client_secret=abc`,
    status: 400,
    expected: invalidRequest('client_secret in the body needs client_id'),
  },
  {
    name: 'the secret both in HTTP Basic and in the body',
    body: inBody('billing-worker.billing'),
    headers: as('billing-worker.billing'),
    status: 400,
    expected: invalidRequest(
      'client_secret is sent both in the Authorization header and in the body: use one of them',
    ),
  },
  {
    name: 'a body client_id that differs from the Basic one',
    body: `${CC}&client_id=auditor.security`,
    headers: as('billing-worker.billing'),
    status: 400,
    expected: invalidRequest('client_id in the body differs from the one in the Authorization header'),
  },
  {
    name: 'Basic without credentials',
    body: CC,
    headers: { authorization: 'Basic' },
    status: 400,
    expected: BAD_BASIC,
  },
  {
    name: 'Basic with a blank token',
    body: CC,
    headers: { authorization: 'Basic    ' },
    status: 400,
    expected: BAD_BASIC,
  },
  {
    name: 'Basic that is not base64',
    body: CC,
    headers: { authorization: 'Basic !!!not-base64!!!' },
    status: 400,
    expected: BAD_BASIC,
  },
  {
    name: 'Basic base64 without padding',
    body: CC,
    headers: { authorization: 'Basic YTpi' + 'Yw' },
    status: 400,
    expected: BAD_BASIC,
  },
  {
    name: 'Basic without a colon',
    body: CC,
    headers: { authorization: `Basic ${b64('billing-worker.billing')}` },
    status: 400,
    expected: BAD_BASIC,
  },
  {
    name: 'Basic with an empty client_id',
    body: CC,
    headers: { authorization: `Basic ${b64(':secret')}` },
    status: 400,
    expected: invalidRequest('HTTP Basic credentials have an empty client_id'),
  },
  {
    name: 'Basic with malformed percent-encoding',
    body: CC,
    headers: { authorization: `Basic ${b64('billing%zz:secret')}` },
    status: 400,
    expected: invalidRequest('malformed HTTP Basic credentials: bad percent-encoding'),
  },
  {
    name: 'Basic that is not UTF-8',
    body: CC,
    headers: { authorization: `Basic ${b64(Buffer.from([0xff, 0xfe, 0x3a, 0x61]))}` },
    status: 400,
    expected: invalidRequest('malformed HTTP Basic credentials: not UTF-8'),
  },
  {
    name: 'a Bearer Authorization header',
    body: CC,
    headers: { authorization: 'Bearer eyJhbGciOiJub25lIn0.e30.' },
    status: 400,
    expected: invalidRequest('the token endpoint accepts only the Basic authorization scheme'),
  },
  {
    name: 'a client_assertion that is not a JWT',
    body: `${CC}&client_assertion_type=urn%3Aietf%3Aparams%3Aoauth%3Aclient-assertion-type%3Ajwt-bearer&client_assertion=eyJ.eyJ.sig&client_id=signer.platform`,
    status: 401,
    expected: {
      error: 'invalid_client',
      error_description: 'client_assertion is not a JWT: its header is not base64url-encoded JSON',
    },
  },
  {
    name: 'a private_key_jwt client with a secret',
    body: CC,
    headers: { authorization: basic('signer.platform', 'anything') },
    status: 401,
    expected: {
      error: 'invalid_client',
      // As an unknown client's: the body never tells how a client authenticates (issue 9, item 8).
      error_description: 'client authentication failed',
    },
    has: BASIC_CHALLENGE,
  },
  {
    name: 'a public client',
    body: `${CC}&client_id=public.spa`,
    status: 401,
    expected: {
      error: 'invalid_client',
      error_description: 'client_secret is required',
    },
  },

  // grant_type
  {
    name: 'no grant_type',
    body: form({ client_id: 'billing-worker.billing', client_secret: SECRETS['billing-worker.billing'] }),
    status: 400,
    expected: invalidRequest('grant_type is missing'),
  },
  {
    name: 'an empty grant_type',
    body: 'grant_type=',
    headers: as('billing-worker.billing'),
    status: 400,
    expected: invalidRequest('grant_type is missing'),
  },
  {
    name: 'an unknown grant_type',
    body: 'grant_type=password&username=a&password=b',
    headers: as('billing-worker.billing'),
    status: 400,
    expected: {
      error: 'unsupported_grant_type',
      error_description: "grant_type 'password' is not supported",
    },
  },
  {
    name: 'a grant_type not implemented yet',
    body: 'grant_type=authorization_code&code=abc',
    headers: as('interactive.web'),
    status: 400,
    expected: {
      error: 'unsupported_grant_type',
      error_description: "grant_type 'authorization_code' is not supported",
    },
  },
  {
    name: 'grant_type=__proto__',
    body: 'grant_type=__proto__',
    headers: as('billing-worker.billing'),
    status: 400,
    expected: {
      error: 'unsupported_grant_type',
      error_description: "grant_type '__proto__' is not supported",
    },
  },
  {
    name: 'grant_type=constructor',
    body: 'grant_type=constructor',
    headers: as('billing-worker.billing'),
    status: 400,
    expected: {
      error: 'unsupported_grant_type',
      error_description: "grant_type 'constructor' is not supported",
    },
  },
  {
    name: 'a grant_type with quotes and a newline',
    body: form({ grant_type: 'a"b\\c\nd' }),
    headers: as('billing-worker.billing'),
    status: 400,
    expected: { error: 'unsupported_grant_type', error_description: "grant_type 'a?b?c?d' is not supported" },
  },
  {
    name: 'a client that may not use client_credentials',
    body: CC,
    headers: as('interactive.web'),
    status: 400,
    expected: {
      error: 'unauthorized_client',
      error_description: "this client may not use grant_type 'client_credentials'",
    },
  },

  // Target API (audience, RFC 8707 resource)
  {
    name: 'an audience not granted',
    body: form({ grant_type: 'client_credentials', audience: ledger.identifier }),
    headers: as('billing-worker.billing'),
    status: 400,
    expected: invalidTarget("audience 'https://ledger.internal' is unknown or not granted to this client"),
  },
  {
    name: 'an unknown audience',
    body: form({ grant_type: 'client_credentials', audience: 'https://nope.internal' }),
    headers: as('billing-worker.billing'),
    status: 400,
    expected: invalidTarget("audience 'https://nope.internal' is unknown or not granted to this client"),
  },
  {
    name: 'an API that exists but nobody is granted',
    body: form({ grant_type: 'client_credentials', resource: 'https://hr.internal' }),
    headers: as('multi.platform'),
    status: 400,
    expected: invalidTarget("resource 'https://hr.internal' is unknown or not granted to this client"),
  },
  {
    name: 'audience=__proto__',
    body: 'grant_type=client_credentials&audience=__proto__',
    headers: as('billing-worker.billing'),
    status: 400,
    expected: invalidTarget("audience '__proto__' is unknown or not granted to this client"),
  },
  {
    name: 'audience and resource naming different APIs',
    body: form({
      grant_type: 'client_credentials',
      audience: payments.identifier,
      resource: ledger.identifier,
    }),
    headers: as('multi.platform'),
    status: 400,
    expected: invalidTarget('audience and resource name different APIs: send one of them'),
  },
  {
    name: 'two different resources',
    body: `${CC}&resource=${encodeURIComponent(payments.identifier)}&resource=${encodeURIComponent(ledger.identifier)}`,
    headers: as('multi.platform'),
    status: 400,
    expected: invalidTarget('only one resource may be requested per token'),
  },
  {
    name: 'no audience for a client with several APIs',
    body: CC,
    headers: as('multi.platform'),
    status: 400,
    expected: invalidRequest('audience is required (or resource): this client is granted several APIs'),
  },
  {
    name: 'no audience for a client with no API',
    body: CC,
    headers: as('lonely.platform'),
    status: 400,
    expected: invalidRequest('audience is required (or resource), but this client is not granted any API'),
  },

  // scope
  {
    name: 'scopes not granted',
    body: form({ grant_type: 'client_credentials', scope: 'payments:read payments:refund admin' }),
    headers: as('billing-worker.billing'),
    status: 400,
    expected: {
      error: 'invalid_scope',
      error_description: "scope not granted for this API: 'payments:refund', 'admin'",
    },
  },
  {
    name: 'an empty scope',
    body: `${CC}&scope=`,
    headers: as('billing-worker.billing'),
    status: 400,
    expected: invalidRequest('scope is empty: omit scope to request every granted scope'),
  },
  {
    name: 'a scope of spaces',
    body: `${CC}&scope=+++`,
    headers: as('billing-worker.billing'),
    status: 400,
    expected: invalidRequest('scope is empty: omit scope to request every granted scope'),
  },

  // organization
  {
    name: 'an organization for a client that may not use one',
    body: `${CC}&organization=org_acme`,
    headers: as('billing-worker.billing'),
    status: 400,
    expected: invalidRequest('this client may not act for an organization: omit organization'),
  },
  {
    name: 'no organization for a client that requires one',
    body: CC,
    headers: as('tenant-only.saas'),
    status: 400,
    expected: invalidRequest('organization is required: this client gets tokens only for an organization'),
  },
  {
    name: 'an organization that does not list the client',
    body: `${CC}&organization=org_initech`,
    headers: as('tenant-app.saas'),
    status: 400,
    expected: invalidRequest("organization 'org_initech' does not exist or does not list this client"),
  },
  {
    name: 'an organization that does not exist',
    body: `${CC}&organization=org_nope`,
    headers: as('tenant-app.saas'),
    status: 400,
    expected: invalidRequest("organization 'org_nope' does not exist or does not list this client"),
  },
  {
    name: 'organization=constructor',
    body: `${CC}&organization=constructor`,
    headers: as('tenant-app.saas'),
    status: 400,
    expected: invalidRequest("organization 'constructor' does not exist or does not list this client"),
  },
  {
    name: 'an organization name shared by two organizations',
    body: `${CC}&organization=shared`,
    headers: as('twin.saas'),
    status: 400,
    expected: invalidRequest(
      "organization name 'shared' matches several organizations of this client: send its id",
    ),
  },
  {
    name: 'an organization whose permissions lack the audience',
    body: form({ grant_type: 'client_credentials', organization: 'acme', audience: ledger.identifier }),
    headers: as('tenant-app.saas'),
    status: 400,
    expected: invalidTarget("audience 'https://ledger.internal' is unknown or not granted to this client"),
  },

  // The body itself
  { name: 'an empty form body', body: '', status: 401, expected: AUTH_REQUIRED },
  {
    name: 'no body and no content type',
    body: undefined,
    headers: { 'content-type': '' },
    status: 400,
    expected: WRONG_TYPE,
  },
  {
    name: 'empty parameters',
    body: 'grant_type=&client_id=&client_secret=&scope',
    status: 401,
    expected: AUTH_REQUIRED,
  },
  {
    name: 'only separators',
    body: '&&&=&',
    headers: as('billing-worker.billing'),
    status: 400,
    expected: invalidRequest('grant_type is missing'),
  },
  {
    name: 'a huge body',
    body: `${CC}&pad=${'a'.repeat(20_000)}`,
    headers: as('billing-worker.billing'),
    status: 413,
    expected: invalidRequest('the request body is larger than 16384 bytes'),
  },
  {
    name: 'a duplicated grant_type',
    body: `${CC}&${CC}`,
    headers: as('billing-worker.billing'),
    status: 400,
    expected: invalidRequest("parameter 'grant_type' is included more than once"),
  },
  {
    name: 'a duplicated client_secret',
    body: `${inBody('ledger-sync.billing')}&client_secret=x`,
    status: 400,
    expected: invalidRequest("parameter 'client_secret' is included more than once"),
  },
  {
    name: 'a duplicated scope, even empty',
    body: `${CC}&scope=&scope=`,
    headers: as('billing-worker.billing'),
    status: 400,
    expected: invalidRequest("parameter 'scope' is included more than once"),
  },
  {
    name: 'a duplicated __proto__',
    body: `${CC}&__proto__=a&__proto__=b`,
    headers: as('billing-worker.billing'),
    status: 400,
    expected: invalidRequest("parameter '__proto__' is included more than once"),
  },
  {
    name: 'a duplicated constructor, percent-encoded once',
    body: `${CC}&constructor=a&%63onstructor=b`,
    headers: as('billing-worker.billing'),
    status: 400,
    expected: invalidRequest("parameter 'constructor' is included more than once"),
  },
  {
    name: 'malformed percent-encoding',
    body: 'grant_type=client%ZZcredentials',
    headers: as('billing-worker.billing'),
    status: 400,
    expected: invalidRequest('the request body has malformed percent-encoding'),
  },
  {
    name: 'percent-encoding that is not UTF-8',
    body: `${CC}&scope=%C3%28`,
    headers: as('billing-worker.billing'),
    status: 400,
    expected: invalidRequest('the request body has malformed percent-encoding'),
  },
  {
    name: 'a truncated percent-escape',
    body: `${CC}&scope=%`,
    headers: as('billing-worker.billing'),
    status: 400,
    expected: invalidRequest('the request body has malformed percent-encoding'),
  },
  {
    name: 'a JSON body',
    body: JSON.stringify({ grant_type: 'client_credentials' }),
    headers: { 'content-type': 'application/json', ...as('billing-worker.billing') },
    status: 400,
    expected: WRONG_TYPE,
  },
  {
    name: 'invalid JSON',
    body: '{"grant_type":',
    headers: { 'content-type': 'application/json' },
    status: 400,
    expected: WRONG_TYPE,
  },
  {
    name: 'a text/plain body',
    body: CC,
    headers: { 'content-type': 'text/plain', ...as('billing-worker.billing') },
    status: 400,
    expected: WRONG_TYPE,
  },
  {
    name: 'a multipart body',
    body: '--x\r\nContent-Disposition: form-data; name="grant_type"\r\n\r\nclient_credentials\r\n--x--\r\n',
    headers: { 'content-type': 'multipart/form-data; boundary=x' },
    status: 400,
    expected: WRONG_TYPE,
  },
  {
    name: 'a garbage content type',
    body: CC,
    headers: { 'content-type': ';;;=' },
    status: 400,
    expected: WRONG_TYPE,
  },
  {
    name: 'a form in a charset other than UTF-8',
    body: CC,
    headers: {
      'content-type': 'application/x-www-form-urlencoded; charset=iso-8859-1',
      ...as('billing-worker.billing'),
    },
    status: 400,
    expected: invalidRequest('the request body must be UTF-8: send charset=utf-8 or no charset'),
  },

  // Methods and paths
  {
    name: 'GET on the token endpoint',
    method: 'GET',
    body: undefined,
    status: 405,
    expected: invalidRequest('GET is not allowed here: use POST'),
    has: { allow: 'POST' },
  },
  {
    name: 'PUT on the token endpoint',
    method: 'PUT',
    body: CC,
    status: 405,
    expected: invalidRequest('PUT is not allowed here: use POST'),
    has: { allow: 'POST' },
  },
  {
    name: 'DELETE on the token endpoint',
    method: 'DELETE',
    body: undefined,
    status: 405,
    expected: invalidRequest('DELETE is not allowed here: use POST'),
    has: { allow: 'POST' },
  },
  {
    name: 'POST on the JWKS',
    method: 'POST',
    path: '/.well-known/jwks.json',
    body: CC,
    status: 405,
    expected: invalidRequest('POST is not allowed here: use GET'),
    has: { allow: 'GET, HEAD' },
  },
  {
    name: 'a path that does not exist',
    path: '/oauth2/tokens?x=1',
    body: CC,
    status: 404,
    expected: invalidRequest("there is no endpoint at '/oauth2/tokens'"),
  },
  {
    name: 'a path with malformed percent-encoding',
    method: 'GET',
    path: '/%zz',
    body: undefined,
    status: 400,
    expected: invalidRequest('the request URL has malformed percent-encoding'),
  },
];

describe('POST /oauth2/token with hostile input', () => {
  it.each(cases)('answers $name with $status and an exact RFC 6749 body', async (c) => {
    const url = c.path === undefined ? h.servers.tokenEndpoint : h.servers.issuer + c.path;
    const headers: Record<string, string> = {
      'content-type': 'application/x-www-form-urlencoded',
      ...c.headers,
    };
    if (headers['content-type'] === '') delete headers['content-type'];
    const res = await fetch(url, { method: c.method ?? 'POST', headers, body: c.body });
    const text = await res.text();

    expect(res.status).toBe(c.status);
    expect(JSON.parse(text)).toEqual(c.expected);
    expect(Object.keys(JSON.parse(text) as object)).toEqual(['error', 'error_description']);
    expect(res.headers.get('content-type')).toBe('application/json; charset=utf-8');
    expect(res.headers.get('cache-control')).toBe('no-store');
    expect(res.headers.get('pragma')).toBe('no-cache');
    if (c.status !== 401) expect(res.headers.get('www-authenticate')).toBeNull();
    for (const [name, value] of Object.entries(c.has ?? {})) expect(res.headers.get(name)).toBe(value);
    expect(c.expected.error_description).toMatch(/^[\x20\x21\x23-\x5B\x5D-\x7E]+$/);
  });

  it('never reveals a secret in a body or an event', async () => {
    const secret = 'a-secret-that-must-not-leak';
    const before = h.seen['token.failed'].length;
    const bodies = await Promise.all([
      post(h.servers.tokenEndpoint, `${CC}&client_secret=${secret}`),
      post(h.servers.tokenEndpoint, CC, { authorization: basic('billing-worker.billing', secret) }),
      post(
        h.servers.tokenEndpoint,
        form({ grant_type: 'client_credentials', client_id: 'nobody', client_secret: secret }),
      ),
    ]);
    expect(JSON.stringify(bodies.map((b) => b.body))).not.toContain(secret);
    expect(JSON.stringify(h.seen['token.failed'].slice(before))).not.toContain(secret);
  });

  it('answers an internal failure with server_error and no internals', async () => {
    const original = h.source.snapshot;
    h.source.snapshot = { ...original, keys: { active: new Map(), published: [] } };
    try {
      const res = await post(h.servers.tokenEndpoint, CC, {
        authorization: basic('billing-worker.billing', SECRETS['billing-worker.billing']),
      });
      expect(res.status).toBe(500);
      expect(res.body).toEqual({
        error: 'server_error',
        error_description: 'the server could not complete the request',
      });
      expect(h.seen['token.failed'].at(-1)).toMatchObject({
        error: 'server_error',
        detail: 'no active signing key for RS256',
      });
    } finally {
      h.source.snapshot = original;
    }
  });

  it('answers malformed HTTP with an RFC 6749 body, not a fastify one', async () => {
    const { connect } = await import('node:net');
    const raw = await new Promise<string>((resolve, reject) => {
      const socket = connect(h.servers.port, '127.0.0.1', () =>
        socket.write('POST /oauth2/token HTTP/1.1\r\nHost: x\r\nContent-Length: abc\r\n\r\n'),
      );
      let data = '';
      socket.on('data', (d) => (data += d.toString()));
      socket.on('end', () => resolve(data));
      socket.on('error', reject);
    });
    expect(raw).toMatch(/^HTTP\/1\.1 400 Bad Request\r\n/);
    expect(raw.split('\r\n\r\n')[1]).toBe(
      JSON.stringify({ error: 'invalid_request', error_description: 'the request is not valid HTTP/1.1' }),
    );
  });
});
