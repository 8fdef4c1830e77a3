import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startPeopleHarness, WEB_SECRET, type PeopleHarness } from './harness.ts';
import { alice, ALICE_ID, basic, post, writeCode, writeUser } from './token-fixtures.ts';

const WEB = basic('web-app.people', WEB_SECRET);

describe('/oauth2/userinfo (OpenID Connect Core §5.3)', () => {
  let h: PeopleHarness;
  beforeAll(async () => {
    h = await startPeopleHarness();
    await writeUser(h.state, alice(h.clock.now), h.clock.now);
  });
  afterAll(() => h.close());

  const userinfo = () => `${h.issuer}/oauth2/userinfo`;
  async function accessToken(scopes: string[], clientId = 'web-app.people'): Promise<string> {
    const spa = clientId === 'spa.people';
    const redirect = spa ? 'https://spa.example.com/cb' : 'https://app.example.com/callback';
    const { code, verifier } = await writeCode(h.state, h.clock.now, {
      clientId,
      redirectUri: redirect,
      scopes,
    });
    const res = await post(
      `${h.issuer}/oauth2/token`,
      {
        grant_type: 'authorization_code',
        code,
        code_verifier: verifier,
        redirect_uri: redirect,
        ...(spa ? { client_id: clientId } : {}),
      },
      spa ? {} : { authorization: WEB },
    );
    expect(res.status).toBe(200);
    return res.body.access_token as string;
  }
  const get = (headers: Record<string, string>) => fetch(userinfo(), { headers });

  it.each([
    [['openid'], { sub: ALICE_ID }],
    [['openid', 'email'], { sub: ALICE_ID, email: 'alice@example.com', email_verified: true }],
    [
      ['openid', 'profile'],
      { sub: ALICE_ID, name: 'Alice Example', preferred_username: 'alice', groups: ['admins'] },
    ],
  ])('answers GET for scopes %j with the claims they release', async (scopes, claims) => {
    const res = await get({ authorization: `Bearer ${await accessToken(scopes)}` });
    expect(res.status).toBe(200);
    expect(res.headers.get('cache-control')).toBe('no-store');
    expect(res.headers.get('content-type')).toBe('application/json; charset=utf-8');
    expect(await res.json()).toEqual(claims);
  });

  it('answers POST with the token in the header or in the form body (RFC 6750 §2.2)', async () => {
    const token = await accessToken(['openid', 'email']);
    const inHeader = await fetch(userinfo(), {
      method: 'POST',
      headers: { authorization: `Bearer ${token}` },
    });
    expect(await inHeader.json()).toMatchObject({ sub: ALICE_ID, email: 'alice@example.com' });
    const inBody = await post(userinfo(), { access_token: token });
    expect(inBody.body).toMatchObject({ sub: ALICE_ID, email: 'alice@example.com' });
    const both = await post(userinfo(), { access_token: token }, { authorization: `Bearer ${token}` });
    expect(both.status).toBe(400);
  });

  const challenge = (description: string) =>
    `Bearer realm="latchkey", error="invalid_token", error_description="${description}"`;

  it('answers 401 with a bare Bearer challenge when no token is sent (RFC 6750 §3.1)', async () => {
    const res = await get({});
    expect(res.status).toBe(401);
    expect(res.headers.get('www-authenticate')).toBe('Bearer realm="latchkey"');
    expect(await res.json()).toEqual({
      error: 'invalid_token',
      error_description: 'an access token is required',
    });
  });

  it.each([
    ['a token that is not a JWT', async () => 'not-a-token'],
    [
      'a token signed by no key of ours',
      async () => 'eyJhbGciOiJSUzI1NiIsInR5cCI6ImF0K2p3dCIsImtpZCI6Im5vIn0.e30.c2ln',
    ],
  ])('refuses %s with invalid_token', async (_, make) => {
    const res = await get({ authorization: `Bearer ${await make()}` });
    expect(res.status).toBe(401);
    expect(res.headers.get('www-authenticate')).toBe(challenge('the access token is invalid or has expired'));
    expect(await res.json()).toEqual({
      error: 'invalid_token',
      error_description: 'the access token is invalid or has expired',
    });
  });

  it('refuses an expired token, a revoked token and the token of a person who is gone', async () => {
    const expiring = await accessToken(['openid']);
    h.clock.now += 300_000;
    try {
      expect((await get({ authorization: `Bearer ${expiring}` })).status).toBe(401);
    } finally {
      h.clock.now -= 300_000;
    }
    const revoked = await accessToken(['openid']);
    expect((await post(`${h.issuer}/oauth2/revoke`, { token: revoked }, { authorization: WEB })).status).toBe(
      200,
    );
    expect((await get({ authorization: `Bearer ${revoked}` })).status).toBe(401);

    const { code, verifier } = await writeCode(h.state, h.clock.now, { scopes: ['openid'] });
    const issued = await post(
      `${h.issuer}/oauth2/token`,
      {
        grant_type: 'authorization_code',
        code,
        code_verifier: verifier,
        redirect_uri: 'https://app.example.com/callback',
      },
      { authorization: WEB },
    );
    const token = issued.body.access_token as string;
    const failed = h.seen('request.failed');
    await h.state.consume('user', ALICE_ID, h.clock.now);
    try {
      expect((await get({ authorization: `Bearer ${token}` })).status).toBe(401);
      expect(failed.at(-1)).toEqual({
        endpoint: 'userinfo',
        error: 'invalid_token',
        detail: 'user gone',
      });
    } finally {
      await writeUser(h.state, alice(h.clock.now), h.clock.now);
    }
  });

  it('refuses a token without openid with insufficient_scope (403)', async () => {
    const res = await get({ authorization: `Bearer ${await accessToken(['payments:read'])}` });
    expect(res.status).toBe(403);
    expect(res.headers.get('www-authenticate')).toBe(
      'Bearer realm="latchkey", error="insufficient_scope", scope="openid"',
    );
  });

  it("refuses a client's own token (client_credentials): it names no person", async () => {
    const cc = await post(
      `${h.issuer}/oauth2/token`,
      { grant_type: 'client_credentials' },
      { authorization: basic('machine.people', 'machine-secret-1') },
    );
    const res = await get({ authorization: `Bearer ${cc.body.access_token as string}` });
    expect(res.status).toBe(401);
  });

  it('answers other methods with 405', async () => {
    const res = await fetch(userinfo(), { method: 'DELETE' });
    expect(res.status).toBe(405);
    expect(res.headers.get('allow')).toBe('GET, HEAD, POST');
  });
});

describe('CORS for single-page apps (allowedOrigins)', () => {
  let h: PeopleHarness;
  beforeAll(async () => {
    h = await startPeopleHarness();
    await writeUser(h.state, alice(h.clock.now), h.clock.now);
  });
  afterAll(() => h.close());

  const SPA = 'https://spa.example.com';
  const preflight = (path: string, origin: string, method = 'POST') =>
    fetch(`${h.issuer}${path}`, {
      method: 'OPTIONS',
      headers: {
        origin,
        'access-control-request-method': method,
        'access-control-request-headers': 'authorization',
      },
    });

  it('answers the preflight of the token endpoint and userinfo for an origin a client lists', async () => {
    for (const [path, methods] of [
      ['/oauth2/token', 'POST'],
      ['/oauth2/userinfo', 'GET, POST'],
    ] as const) {
      const res = await preflight(path, SPA);
      expect(res.status).toBe(204);
      expect(res.headers.get('access-control-allow-origin')).toBe(SPA);
      expect(res.headers.get('access-control-allow-methods')).toBe(methods);
      expect(res.headers.get('access-control-allow-headers')).toBe('authorization, content-type');
      expect(res.headers.get('access-control-allow-credentials')).toBeNull();
    }
  });

  it('lets the SPA revoke its tokens at sign-out from its origin (RFC 7009)', async () => {
    const preflighted = await preflight('/oauth2/revoke', SPA);
    expect(preflighted.status).toBe(204);
    expect(preflighted.headers.get('access-control-allow-origin')).toBe(SPA);
    const res = await post(
      `${h.issuer}/oauth2/revoke`,
      { token: 'unknown', client_id: 'spa.people' },
      { origin: SPA },
    );
    expect(res.status).toBe(200);
    expect(res.headers.get('access-control-allow-origin')).toBe(SPA);
    const web = await post(
      `${h.issuer}/oauth2/revoke`,
      { token: 'unknown' },
      { origin: SPA, authorization: WEB },
    );
    expect(web.headers.get('access-control-allow-origin')).toBeNull();
  });

  it('refuses the preflight of an origin no client lists', async () => {
    const res = await preflight('/oauth2/token', 'https://evil.example');
    expect(res.status).toBe(405);
    expect(res.headers.get('access-control-allow-origin')).toBeNull();
  });

  it("echoes the origin on the SPA's token response and errors, and not for another client or origin", async () => {
    const { code, verifier } = await writeCode(h.state, h.clock.now, {
      clientId: 'spa.people',
      redirectUri: 'https://spa.example.com/cb',
      scopes: ['openid'],
    });
    const params = {
      grant_type: 'authorization_code',
      client_id: 'spa.people',
      code,
      code_verifier: verifier,
      redirect_uri: 'https://spa.example.com/cb',
    };
    const ok = await post(`${h.issuer}/oauth2/token`, params, { origin: SPA });
    expect(ok.status).toBe(200);
    expect(ok.headers.get('access-control-allow-origin')).toBe(SPA);
    expect(ok.headers.get('vary')).toContain('Origin');
    const info = await fetch(`${h.issuer}/oauth2/userinfo`, {
      headers: { authorization: `Bearer ${ok.body.access_token as string}`, origin: SPA },
    });
    expect(info.status).toBe(200);
    expect(info.headers.get('access-control-allow-origin')).toBe(SPA);
    const reused = await post(`${h.issuer}/oauth2/token`, params, { origin: SPA });
    expect(reused.status).toBe(400);
    expect(reused.headers.get('access-control-allow-origin')).toBe(SPA);
    const foreign = await post(`${h.issuer}/oauth2/token`, params, { origin: 'https://evil.example' });
    expect(foreign.headers.get('access-control-allow-origin')).toBeNull();
    const web = await post(
      `${h.issuer}/oauth2/token`,
      { grant_type: 'refresh_token', refresh_token: 'x' },
      {
        origin: SPA,
        authorization: WEB,
      },
    );
    expect(web.headers.get('access-control-allow-origin')).toBeNull();
  });
});
