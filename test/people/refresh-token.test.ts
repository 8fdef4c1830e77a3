import { decodeJwt } from 'jose';
import * as oidc from 'openid-client';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { payments } from '../http/harness.ts';
import { peopleClient, peopleWorld, startPeopleHarness, WEB_SECRET, type PeopleHarness } from './harness.ts';
import { alice, ALICE_ID, basic, post, writeCode, writeUser } from './token-fixtures.ts';

const WEB = basic('web-app.people', WEB_SECRET);
const INVALID = { error: 'invalid_grant', error_description: 'refresh_token is invalid, expired or revoked' };

describe('grant_type=refresh_token', () => {
  let h: PeopleHarness;
  beforeAll(async () => {
    h = await startPeopleHarness();
    await writeUser(h.state, alice(h.clock.now), h.clock.now);
  });
  afterAll(() => h.close());

  const token = () => `${h.issuer}/oauth2/token`;
  /** Signs alice in to the web app and redeems the code: a new refresh-token family. */
  async function family(scopes = ['openid', 'profile', 'offline_access', 'payments:read']): Promise<string> {
    const { code, verifier } = await writeCode(h.state, h.clock.now, { scopes });
    const res = await post(
      token(),
      {
        grant_type: 'authorization_code',
        code,
        code_verifier: verifier,
        redirect_uri: 'https://app.example.com/callback',
      },
      { authorization: WEB },
    );
    expect(res.status).toBe(200);
    return res.body.refresh_token as string;
  }
  const refresh = (refreshToken: string, extra: Record<string, string> = {}, auth = WEB) =>
    post(
      token(),
      { grant_type: 'refresh_token', refresh_token: refreshToken, ...extra },
      { authorization: auth },
    );
  const later = (seconds: number) => {
    h.clock.now += seconds * 1000;
  };

  it('rotates on every use: a new refresh token, a new access token and an ID token without nonce', async () => {
    const first = await family();
    later(60);
    const res = await refresh(first);
    expect(res.status).toBe(200);
    expect(res.body).toEqual({
      access_token: expect.any(String),
      token_type: 'Bearer',
      expires_in: 300,
      scope: 'openid profile offline_access payments:read',
      refresh_token: expect.stringMatching(/^[A-Za-z0-9_-]{43}$/),
      id_token: expect.any(String),
    });
    expect(res.body.refresh_token).not.toBe(first);
    expect(decodeJwt(res.body.access_token as string)).toMatchObject({
      sub: ALICE_ID,
      aud: payments.identifier,
    });
    const id = decodeJwt(res.body.id_token as string);
    expect(id).toMatchObject({ sub: ALICE_ID, aud: 'web-app.people', sid: 'sid-1', amr: ['pwd'] });
    expect(id).not.toHaveProperty('nonce');
    expect((await refresh(res.body.refresh_token as string)).status).toBe(200);
  });

  it('narrows the scope of the access token on request and keeps the family scope for the successor (RFC 6749 §6)', async () => {
    const narrowed = await refresh(await family(), { scope: 'openid payments:read' });
    expect(narrowed.body.scope).toBe('openid payments:read');
    const next = await refresh(narrowed.body.refresh_token as string);
    expect(next.body.scope).toBe('openid profile offline_access payments:read');
  });

  it('refuses a wider scope with invalid_scope and an empty one with invalid_request', async () => {
    const rt = await family();
    expect((await refresh(rt, { scope: 'openid payments:write email' })).body).toEqual({
      error: 'invalid_scope',
      error_description: "scope was not granted to this refresh token: 'payments:write', 'email'",
    });
    expect((await refresh(rt, { scope: ' ' })).body.error).toBe('invalid_request');
    expect((await refresh(rt)).status).toBe(200);
  });

  it('tolerates two tabs refreshing at once: a use of the rotated token within the grace gets another successor', async () => {
    const rt = await family();
    const tabA = await refresh(rt);
    later(5);
    const tabB = await refresh(rt);
    expect(tabB.status).toBe(200);
    expect(tabB.body.refresh_token).not.toBe(tabA.body.refresh_token);
    // Both successors belong to the family and work.
    expect((await refresh(tabA.body.refresh_token as string)).status).toBe(200);
    expect((await refresh(tabB.body.refresh_token as string)).status).toBe(200);
  });

  it('does not extend the grace by using the rotated token within it', async () => {
    const rt = await family();
    await refresh(rt);
    later(8);
    expect((await refresh(rt)).status).toBe(200);
    later(3);
    expect((await refresh(rt)).body).toEqual(INVALID);
  });

  it('ends the whole family when a rotated token is used after the grace (RFC 9700 §4.14.2)', async () => {
    const rt = await family();
    const next = await refresh(rt);
    const successor = next.body.refresh_token as string;
    later(11);
    const failed = h.seen('token.failed');
    expect((await refresh(rt)).body).toEqual(INVALID);
    expect(failed.at(-1)?.detail).toMatch(
      /^refresh token reused 11000 ms after its rotation by 'web-app.people': family ended \(2 tokens\)$/,
    );
    expect((await refresh(successor)).body).toEqual(INVALID);
    // No refresh token reaches an event, hence no log line.
    for (const t of [rt, successor]) expect(JSON.stringify(failed)).not.toContain(t);
  });

  it('keeps other families of the same person and client (several sessions, unlike Dex)', async () => {
    const laptop = await family();
    const phone = await family();
    await refresh(laptop);
    later(11);
    await refresh(laptop);
    expect((await refresh(phone)).status).toBe(200);
  });

  it('expires a token left unused for the idle lifetime', async () => {
    const rt = await family();
    later(14 * 86_400);
    expect((await refresh(rt)).body).toEqual(INVALID);
  });

  it('ends a family at its absolute lifetime however often it was used', async () => {
    let rt = await family();
    for (let day = 0; day < 29; day += 1) {
      later(86_400);
      const res = await refresh(rt);
      expect(res.status).toBe(200);
      rt = res.body.refresh_token as string;
    }
    later(86_400);
    expect((await refresh(rt)).body).toEqual(INVALID);
  });

  it.each(['__proto__', 'constructor', 'x'.repeat(8000), 'eyJhbGciOiJub25lIn0.e30.'])(
    'refuses the hostile refresh_token %s with invalid_grant, not a 5xx',
    async (hostile) => {
      expect((await refresh(hostile)).body).toEqual(INVALID);
    },
  );

  it('binds the token to its client', async () => {
    const rt = await family();
    const other = await refresh(rt, {}, basic('third-party.people', 'secret-third-party-5Rt9'));
    expect(other.body).toEqual(INVALID);
    expect((await refresh(rt)).status).toBe(200);
  });

  it('refuses the family of a person who no longer exists', async () => {
    const { code, verifier } = await writeCode(h.state, h.clock.now, {
      userId: 'usr_gone',
      scopes: ['offline_access'],
    });
    const res = await post(
      token(),
      {
        grant_type: 'authorization_code',
        code,
        code_verifier: verifier,
        redirect_uri: 'https://app.example.com/callback',
      },
      { authorization: WEB },
    );
    expect(res.body).toEqual({
      error: 'invalid_grant',
      error_description: 'the person this grant was issued for no longer exists',
    });
  });

  it('refuses a client that lost the refresh_token grant with unauthorized_client', async () => {
    const rt = await family();
    const original = h.source.snapshot;
    const webOnly = peopleClient({
      clientId: 'web-app.people',
      secrets: [WEB_SECRET],
      grantTypes: ['authorization_code'],
    });
    h.source.snapshot = peopleWorld(h.keys, { clients: [webOnly] });
    try {
      expect((await refresh(rt)).body).toEqual({
        error: 'unauthorized_client',
        error_description: "this client may not use grant_type 'refresh_token'",
      });
    } finally {
      h.source.snapshot = original;
    }
  });
});

describe('revocation of a refresh token (RFC 7009)', () => {
  let h: PeopleHarness;
  beforeAll(async () => {
    h = await startPeopleHarness();
    await writeUser(h.state, alice(h.clock.now), h.clock.now);
  });
  afterAll(() => h.close());

  async function family(clientId = 'web-app.people', auth: Record<string, string> = { authorization: WEB }) {
    const redirect =
      clientId === 'spa.people' ? 'https://spa.example.com/cb' : 'https://app.example.com/callback';
    const { code, verifier } = await writeCode(h.state, h.clock.now, {
      clientId,
      redirectUri: redirect,
      scopes: ['openid', 'offline_access'],
    });
    const extra: Record<string, string> = clientId === 'spa.people' ? { client_id: clientId } : {};
    const res = await post(
      `${h.issuer}/oauth2/token`,
      { grant_type: 'authorization_code', code, code_verifier: verifier, redirect_uri: redirect, ...extra },
      auth,
    );
    return res.body.refresh_token as string;
  }

  it.each(['refresh_token', 'access_token', undefined])(
    'ends the family of a refresh token with token_type_hint %s, and answers 200 for an unknown one',
    async (hint) => {
      const rt = await family();
      const hinted: Record<string, string> = hint === undefined ? {} : { token_type_hint: hint };
      const revoke = (t: string) =>
        post(`${h.issuer}/oauth2/revoke`, { token: t, ...hinted }, { authorization: WEB });
      const res = await revoke(rt);
      expect(res.status).toBe(200);
      const refreshed = await post(
        `${h.issuer}/oauth2/token`,
        { grant_type: 'refresh_token', refresh_token: rt },
        { authorization: WEB },
      );
      expect(refreshed.body).toEqual(INVALID);
      expect((await revoke('no-such-token')).status).toBe(200);
    },
  );

  it('lets a public client revoke its own refresh token by client_id', async () => {
    const rt = await family('spa.people', {});
    const res = await post(`${h.issuer}/oauth2/revoke`, { token: rt, client_id: 'spa.people' });
    expect(res.status).toBe(200);
    const refreshed = await post(`${h.issuer}/oauth2/token`, {
      grant_type: 'refresh_token',
      refresh_token: rt,
      client_id: 'spa.people',
    });
    expect(refreshed.body).toEqual(INVALID);
  });

  it("refuses to revoke another client's refresh token", async () => {
    const rt = await family();
    const res = await post(
      `${h.issuer}/oauth2/revoke`,
      { token: rt },
      { authorization: basic('third-party.people', 'secret-third-party-5Rt9') },
    );
    expect(res.body).toEqual({
      error: 'unauthorized_client',
      error_description: 'this client may not revoke the token: it was issued to another client',
    });
  });
});

describe("openid-client refreshes a public client's tokens", () => {
  let h: PeopleHarness;
  beforeAll(async () => {
    h = await startPeopleHarness({ now: 'real' });
    await writeUser(h.state, alice(Date.now()), Date.now());
  });
  afterAll(() => h.close());

  it('refreshTokenGrant validates the refreshed ID token against the first', async () => {
    const config = await oidc.discovery(new URL(h.issuer), 'cli.people', undefined, oidc.None(), {
      execute: [oidc.allowInsecureRequests],
    });
    const { code, verifier, record } = await writeCode(h.state, Date.now(), {
      clientId: 'cli.people',
      redirectUri: 'http://127.0.0.1/callback',
      scopes: ['openid', 'email', 'offline_access'],
    });
    const first = await oidc.authorizationCodeGrant(
      config,
      new URL(`${record.redirectUri}?${new URLSearchParams({ code, iss: h.issuer })}`),
      { pkceCodeVerifier: verifier, expectedNonce: 'nonce-1' },
    );
    const second = await oidc.refreshTokenGrant(config, first.refresh_token as string);
    expect(second.claims()).toMatchObject({ sub: ALICE_ID, email: 'alice@example.com' });
    expect(second.refresh_token).not.toBe(first.refresh_token);
    const info = await oidc.fetchUserInfo(config, second.access_token, ALICE_ID);
    expect(info).toEqual({ sub: ALICE_ID, email: 'alice@example.com', email_verified: true });
  });
});
