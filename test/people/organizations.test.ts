import { decodeJwt } from 'jose';
import * as oidc from 'openid-client';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { startPeopleHarness, type PeopleHarness } from './harness.ts';
import { Browser, formOf } from './login-browser.ts';
import { pollOnce, startDevice } from './device-support.ts';
import {
  ACME,
  ACME_MEMBERS,
  confirmDevice,
  DEVICE_CLI,
  GLOBEX,
  organizationRequest,
  PAYMENTS,
  PORTAL,
  PORTAL_SECRET,
  serveOrganizationsWorld,
  signInThrough,
  WEB_APP,
  WEB_SECRET,
  type Person,
} from './organizations-world.ts';

/**
 * Organizations and Roles for people (issue 13), end to end: the world is compiled from manifests, people sign in
 * through the test Connection's hosted form, and openid-client redeems the codes and refreshes as a relying party
 * does. Membership comes from the rules and the sign-in's facts, never from a user database.
 */

const SECRETS: Record<string, string> = { [WEB_APP]: WEB_SECRET, [PORTAL]: PORTAL_SECRET };

async function relyingParty(h: PeopleHarness, clientId: string): Promise<oidc.Configuration> {
  return oidc.discovery(
    new URL(h.issuer),
    clientId,
    undefined,
    oidc.ClientSecretBasic(SECRETS[clientId] as string),
    { execute: [oidc.allowInsecureRequests] },
  );
}

/** Signs `person` in through `clientId` and redeems the code: the tokens, and their decoded claims. */
async function tokensFor(
  h: PeopleHarness,
  clientId: string,
  person: Person,
  extra: Record<string, string> = {},
) {
  const { params, verifier } = organizationRequest(clientId, extra);
  const back = await signInThrough(h, new Browser(h), params, person);
  const callback = new URL(back.headers.get('location') ?? '');
  expect(callback.searchParams.get('error_description')).toBeNull();
  const config = await relyingParty(h, clientId);
  const tokens = await oidc.authorizationCodeGrant(
    config,
    callback,
    { pkceCodeVerifier: verifier, expectedState: 'state-1', expectedNonce: 'nonce-1', idTokenExpected: true },
    { resource: PAYMENTS },
  );
  return { tokens, access: decodeJwt(tokens.access_token), id: tokens.claims(), config };
}

/** Where a sign-in that is refused sends the browser back: the client's redirect URI with the error. */
async function refusal(
  h: PeopleHarness,
  clientId: string,
  person: Person,
  extra: Record<string, string> = {},
) {
  const { params } = organizationRequest(clientId, extra);
  const back = await signInThrough(h, new Browser(h), params, person);
  expect(back.status).toBe(303);
  return new URL(back.headers.get('location') ?? '').searchParams;
}

describe('organization sign-in (`organization` on the authorization request)', () => {
  let h: PeopleHarness;
  beforeAll(async () => {
    h = await startPeopleHarness({ now: 'real' });
  });
  beforeEach(() => {
    serveOrganizationsWorld(h);
  });
  afterAll(() => h.close());

  it('alice, a member by her verified email domain, gets org_id and org_name in the ID and access tokens', async () => {
    const { access, id } = await tokensFor(h, WEB_APP, 'alice', { organization: 'acme' });
    expect(id).toMatchObject({ org_id: ACME, org_name: 'acme' });
    expect(access).toMatchObject({ aud: PAYMENTS, org_id: ACME, org_name: 'acme' });
  });

  it('the organization may be named by its id as well as its name', async () => {
    const { access } = await tokensFor(h, WEB_APP, 'alice', { organization: ACME });
    expect(access.org_id).toBe(ACME);
  });

  it('bob, whom no member rule names, is sent back with access_denied', async () => {
    const q = await refusal(h, WEB_APP, 'bob', { organization: 'acme' });
    expect(q.get('error')).toBe('access_denied');
    expect(q.get('error_description')).toBe("the person is not a member of organization 'acme'");
    expect(q.get('state')).toBe('state-1');
  });

  it('dave matches the email domain only with a verified email: a member through his group alone', async () => {
    serveOrganizationsWorld(h, { acmeMembers: [ACME_MEMBERS[1]] });
    expect((await refusal(h, WEB_APP, 'dave', { organization: 'acme' })).get('error')).toBe('access_denied');
    serveOrganizationsWorld(h);
    const { access } = await tokensFor(h, WEB_APP, 'dave', { organization: 'acme' });
    expect(access.org_id).toBe(ACME);
  });

  it("offers only the organization's Connections on the login page of an organization sign-in", async () => {
    serveOrganizationsWorld(h, { otherConnection: true });
    const page = async (extra: Record<string, string>) => {
      const { params } = organizationRequest(WEB_APP, extra);
      const browser = new Browser(h);
      const url = `${h.issuer}/oauth2/authorize?${new URLSearchParams(params).toString()}`;
      return (await browser.follow(await browser.get(url))).text();
    };
    const anyone = await page({});
    expect(anyone).toContain('Other people');
    expect(anyone).toContain('value="people/test-people"');
    const acme = await page({ organization: 'acme' });
    expect(acme).not.toContain('Other people');
    // One Connection left: the page goes straight to its form.
    expect(acme).toContain('action="/login/password"');
  });

  it('an organization that does not list the client is refused before any page, at the client', async () => {
    const { params } = organizationRequest(WEB_APP, { organization: 'globex' });
    const browser = new Browser(h);
    const res = await browser.get(`${h.issuer}/oauth2/authorize?${new URLSearchParams(params).toString()}`);
    const q = new URL(res.headers.get('location') ?? '').searchParams;
    expect(q.get('error')).toBe('invalid_request');
    expect(q.get('error_description')).toBe(
      "organization 'globex' does not exist or does not list this client",
    );
  });

  it('without organization, a client that allows one issues tokens for no organization', async () => {
    const { access, id } = await tokensFor(h, WEB_APP, 'alice');
    expect(access).not.toHaveProperty('org_id');
    expect(id).not.toHaveProperty('org_id');
  });
});

describe('a client that requires an organization', () => {
  let h: PeopleHarness;
  beforeAll(async () => {
    h = await startPeopleHarness({ now: 'real' });
    serveOrganizationsWorld(h);
  });
  afterAll(() => h.close());

  it("uses a person's only organization without asking", async () => {
    const { access } = await tokensFor(h, PORTAL, 'alice');
    expect(access.org_id).toBe(ACME);
  });

  it('refuses a person in none of its organizations', async () => {
    const q = await refusal(h, PORTAL, 'bob');
    expect(q.get('error')).toBe('access_denied');
    expect(q.get('error_description')).toBe('the person is not a member of any organization of this client');
  });

  it('lets a person in several choose, and only among their own organizations', async () => {
    const { params, verifier } = organizationRequest(PORTAL);
    const browser = new Browser(h);
    const page = await signInThrough(h, browser, params, 'carol');
    expect(page.status).toBe(200);
    const html = await page.text();
    expect(html).toContain('Acme Corp');
    expect(html).toContain('Globex');
    const form = formOf(html, '/organization');
    const forged = await browser.post(form.action, { ...form.fields, organization: 'org_0000000000000000' });
    expect(forged.status).toBe(400);
    const chosen = await browser.follow(
      await browser.post(form.action, { ...form.fields, organization: GLOBEX }),
    );
    const callback = new URL(chosen.headers.get('location') ?? '');
    const config = await relyingParty(h, PORTAL);
    const tokens = await oidc.authorizationCodeGrant(
      config,
      callback,
      { pkceCodeVerifier: verifier, expectedState: 'state-1', expectedNonce: 'nonce-1' },
      { resource: PAYMENTS },
    );
    expect(tokens.claims()).toMatchObject({ org_id: GLOBEX, org_name: 'globex' });
  });

  it('with prompt=none and a choice to make, answers interaction_required', async () => {
    const { params } = organizationRequest(PORTAL);
    const browser = new Browser(h);
    await signInThrough(h, browser, params, 'carol');
    const again = organizationRequest(PORTAL, { prompt: 'none' });
    const res = await browser.get(
      `${h.issuer}/oauth2/authorize?${new URLSearchParams(again.params).toString()}`,
    );
    expect(new URL(res.headers.get('location') ?? '').searchParams.get('error')).toBe('interaction_required');
  });
});

describe('Roles for people and the ResourceServer people settings', () => {
  let h: PeopleHarness;
  beforeAll(async () => {
    h = await startPeopleHarness({ now: 'real' });
  });
  beforeEach(() => {
    serveOrganizationsWorld(h);
  });
  afterAll(() => h.close());

  it("alice's group gets her the admin Role: permissions and groups claims, the scopes she asked for", async () => {
    const { access, tokens } = await tokensFor(h, WEB_APP, 'alice');
    expect(access.permissions).toEqual(['payments:read', 'payments:write', 'payments:refund']);
    expect(access.groups).toEqual(['admins']);
    expect(tokens.scope).toBe('openid profile payments:read payments:write');
  });

  it('introspection answers the same permissions, groups and organization as the JWT (RFC 7662)', async () => {
    const { tokens } = await tokensFor(h, WEB_APP, 'carol', { organization: 'acme' });
    const res = await fetch(`${h.issuer}/oauth2/introspect`, {
      method: 'POST',
      headers: {
        'content-type': 'application/x-www-form-urlencoded',
        authorization: `Basic ${Buffer.from(`${WEB_APP}:${WEB_SECRET}`).toString('base64')}`,
      },
      body: new URLSearchParams({ token: tokens.access_token }).toString(),
    });
    expect(await res.json()).toMatchObject({
      active: true,
      org_id: ACME,
      org_name: 'acme',
      permissions: ['payments:read'],
      groups: ['acme-staff', 'globex-staff'],
      auth_time: expect.any(Number),
    });
  });

  it('with enforceRoles, bob, who has no Role, gets none of the API scopes the client would give him', async () => {
    const { access, tokens } = await tokensFor(h, WEB_APP, 'bob');
    expect(access.permissions).toEqual([]);
    expect(access.groups).toEqual([]);
    expect(tokens.scope).toBe('openid profile');
  });

  it("an organization's member roles count in that organization only", async () => {
    const inAcme = await tokensFor(h, WEB_APP, 'carol', { organization: 'acme' });
    expect(inAcme.access.permissions).toEqual(['payments:read']);
    expect(inAcme.tokens.scope).toBe('openid profile payments:read');
    const alone = await tokensFor(h, WEB_APP, 'carol');
    expect(alone.access.permissions).toEqual([]);
  });

  it('a change of rules applies at the next refresh; a person no longer a member loses the grant', async () => {
    const { tokens, config } = await tokensFor(h, WEB_APP, 'carol', {
      organization: 'acme',
      scope: 'openid profile offline_access payments:read',
    });
    const refreshed = await oidc.refreshTokenGrant(config, tokens.refresh_token as string, {
      resource: PAYMENTS,
    });
    expect(decodeJwt(refreshed.access_token).permissions).toEqual(['payments:read']);
    serveOrganizationsWorld(h, { acmeMembers: [ACME_MEMBERS[1]] });
    await expect(
      oidc.refreshTokenGrant(config, refreshed.refresh_token as string, { resource: PAYMENTS }),
    ).rejects.toMatchObject({
      error: 'invalid_grant',
      error_description: "the grant no longer holds: the person is not a member of organization 'acme'",
    });
  });

  it('a Role whose Connection does not let the Role namespace reference it names no one', async () => {
    const c = serveOrganizationsWorld(h, { connectionAllowsOthers: false });
    const role = c.resolutions.get('Role/payments/payments-admin' as never);
    expect(role?.conditions[0]).toMatchObject({ status: 'False' });
    const { access } = await tokensFor(h, WEB_APP, 'alice');
    expect(access.permissions).toEqual([]);
  });
});

describe('a device sign-in for an organization (RFC 8628 with `organization`)', () => {
  let h: PeopleHarness;
  beforeAll(async () => {
    h = await startPeopleHarness({ now: 'real' });
    serveOrganizationsWorld(h);
  });
  afterAll(() => h.close());

  /** Starts a device sign-in for acme, answers it as `person`, and polls once. */
  async function deviceAnswer(person: Person): Promise<{ status: number; body: Record<string, unknown> }> {
    const params = { client_id: DEVICE_CLI, scope: 'openid payments:read', organization: 'acme' };
    const started = await startDevice(h, params);
    expect(started.status).toBe(200);
    await confirmDevice(h, started.body.user_code as string, person);
    return pollOnce(h, started.body.device_code as string, DEVICE_CLI);
  }

  it("issues the device's tokens for the organization to a member", async () => {
    const issued = await deviceAnswer('alice');
    expect(issued.body.error_description).toBeUndefined();
    expect(issued.status).toBe(200);
    expect(decodeJwt(issued.body.access_token as string)).toMatchObject({ org_id: ACME, org_name: 'acme' });
    expect(decodeJwt(issued.body.id_token as string)).toMatchObject({ org_id: ACME });
  });

  it('refuses the device of a person who is not a member', async () => {
    expect((await deviceAnswer('bob')).body.error).toBe('access_denied');
  });

  it('refuses an organization that does not list the device client, at the device authorization endpoint', async () => {
    const started = await startDevice(h, { client_id: DEVICE_CLI, organization: 'globex' });
    expect(started).toMatchObject({
      status: 400,
      body: {
        error: 'invalid_request',
        error_description: "organization 'globex' does not exist or does not list this client",
      },
    });
  });
});
