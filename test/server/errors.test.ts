import { describe, expect, it } from 'vitest';
import {
  InvalidClient,
  InvalidGrant,
  InvalidRequest,
  InvalidScope,
  InvalidTarget,
  ServerError,
  UnauthorizedClient,
  UnsupportedGrantType,
  errorResponse,
  quote,
} from '../../src/server/errors.ts';

const NO_STORE = {
  'cache-control': 'no-store',
  pragma: 'no-cache',
  'content-type': 'application/json; charset=utf-8',
};

describe('errorResponse', () => {
  it.each([
    [new InvalidRequest('d'), 400, 'invalid_request'],
    [new InvalidClient('d'), 401, 'invalid_client'],
    [new InvalidGrant('d'), 400, 'invalid_grant'],
    [new UnauthorizedClient('d'), 400, 'unauthorized_client'],
    [new UnsupportedGrantType('d'), 400, 'unsupported_grant_type'],
    [new InvalidScope('d'), 400, 'invalid_scope'],
    [new InvalidTarget('d'), 400, 'invalid_target'],
  ])('serializes %s as its code and status', (err, status, error) => {
    expect(errorResponse(err)).toEqual({
      status,
      headers: NO_STORE,
      body: JSON.stringify({ error, error_description: 'd' }),
    });
  });

  it('adds WWW-Authenticate to invalid_client only when the client tried HTTP Basic', () => {
    expect(errorResponse(new InvalidClient('d', { triedBasic: true })).headers).toEqual({
      ...NO_STORE,
      'www-authenticate': 'Basic realm="latchkey", error="invalid_client"',
    });
  });

  it('keeps the detail private', () => {
    const err = new InvalidClient('client authentication failed', { detail: "unknown client 'x'" });
    expect(err.detail).toBe("unknown client 'x'");
    expect(errorResponse(err).body).not.toContain('unknown');
  });

  it.each([
    new Error('ECONNREFUSED 10.0.0.1 /etc/secret'),
    'a string',
    null,
    new ServerError('disk on fire'),
  ])('turns %s into server_error without internals', (thrown) => {
    expect(errorResponse(thrown)).toEqual({
      status: 500,
      headers: NO_STORE,
      body: '{"error":"server_error","error_description":"the server could not complete the request"}',
    });
  });

  it('keeps error_description within the RFC 6749 section 5.2 character set', () => {
    const body = JSON.parse(errorResponse(new InvalidRequest('quote " backslash \\ tab \t é')).body);
    expect(body.error_description).toBe('quote ? backslash ? tab ? ?');
  });
});

describe('quote', () => {
  it('cuts long client values and replaces characters a description may not carry', () => {
    expect(quote('a"b')).toBe("'a?b'");
    expect(quote('x'.repeat(500))).toBe(`'${'x'.repeat(97)}...'`);
  });
});
