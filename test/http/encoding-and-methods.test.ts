import { request } from 'node:http';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startHarness, type Harness } from './harness.ts';

let h: Harness;
beforeAll(async () => {
  h = await startHarness();
});
afterAll(() => h.close());

/** Raw, so no client library adds, drops or rewrites a header or refuses a method. */
function send(
  method: string,
  path: string,
  headers: Record<string, string> = {},
  body?: Buffer,
): Promise<{ status: number; headers: Record<string, unknown>; body: unknown }> {
  return new Promise((resolve, reject) => {
    const req = request(`${h.servers.issuer}${path}`, { method, headers }, (res) => {
      let text = '';
      res.setEncoding('utf8');
      res.on('data', (c: string) => (text += c));
      res.on('end', () =>
        resolve({
          status: res.statusCode ?? 0,
          headers: res.headers,
          body: text === '' ? {} : JSON.parse(text),
        }),
      );
    });
    req.on('error', reject);
    req.end(body);
  });
}

const FORM = { 'content-type': 'application/x-www-form-urlencoded' };

describe('Content-Encoding on a request body', () => {
  it.each(['gzip', 'deflate', 'br', 'identity, gzip'])(
    '%s is refused with 415, not read as if it were plain',
    async (encoding) => {
      const body = Buffer.from('grant_type=client_credentials');
      const res = await send('POST', '/oauth2/token', { ...FORM, 'content-encoding': encoding }, body);
      expect(res.status).toBe(415);
      expect(res.body).toEqual({
        error: 'invalid_request',
        error_description: 'the request body must not be encoded: send it without Content-Encoding',
      });
    },
  );

  it('identity is the same as none', async () => {
    const res = await send(
      'POST',
      '/oauth2/token',
      { ...FORM, 'content-encoding': 'identity' },
      Buffer.from('grant_type=client_credentials'),
    );
    expect(res.status).toBe(401);
  });
});

describe('TRACE', () => {
  it.each(['/oauth2/token', '/oauth2/introspect', '/oauth2/revoke', '/.well-known/jwks.json'])(
    'on %s answers 405',
    async (path) => {
      const res = await send('TRACE', path);
      expect(res.status).toBe(405);
      expect(res.body).toMatchObject({ error: 'invalid_request' });
      expect(res.headers['allow']).toMatch(/^(POST|GET, HEAD)$/);
    },
  );
});
