import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import { systemClock } from '../../../src/clock.ts';
import { STRICT_POLICY } from '../../../src/outbound/address-policy.ts';
import { GOOGLE_ISSUER, googleProvider, hostedDomainAllowed } from '../../../src/people/upstream/google.ts';
import type { UpstreamDeps } from '../../../src/people/upstream/upstream-http.ts';
import { UpstreamSignInError } from '../../../src/people/upstream/upstream.ts';
import type { CompiledConnection, ConnectionSignIn } from '../../../src/store/snapshot.ts';
import { LATCHKEY_AT_IDP, startCompanyIdp, type CompanyIdp } from '../../support/oidc-upstream.ts';
import { signIn } from '../harness.ts';

const CALLBACK = 'http://127.0.0.1:8080/login/callback';
const deps: UpstreamDeps = { now: systemClock, addressPolicy: { ...STRICT_POLICY, allowLoopback: true } };

function googleConnection(
  issuer: string | undefined,
  hostedDomains: string[],
): CompiledConnection & { signIn: ConnectionSignIn } {
  return {
    namespace: 'corp',
    name: 'google',
    type: 'google',
    ...(issuer === undefined ? {} : { issuer }),
    keys: [],
    signIn: signIn({ displayName: 'Google', ...LATCHKEY_AT_IDP, hostedDomains }),
  };
}

describe('type: google against node-oidc-provider posing with an hd claim', () => {
  let idp: CompanyIdp;
  beforeAll(async () => {
    idp = await startCompanyIdp({ redirectUris: [CALLBACK] });
  });
  afterAll(() => idp.close());

  async function signInAs(accountId: string, hostedDomains: string[]) {
    const connection = googleConnection(idp.issuer, hostedDomains);
    const provider = googleProvider(deps);
    const start = await provider.begin(connection, CALLBACK, 'st');
    const back = await idp.signIn(start.url, accountId);
    return provider.finish(connection, CALLBACK, back.searchParams, start);
  }

  it('signs in a person of an allowed hosted domain', async () => {
    await expect(signInAs('emp-1001', ['corp.example'])).resolves.toMatchObject({
      connection: 'corp/google',
      subject: 'emp-1001',
      email: 'carol@corp.example',
      emailVerified: true,
      amr: ['fed'],
    });
  });

  it.each([
    ['of another hosted domain', 'emp-1003'],
    ['without a hosted domain (a consumer account)', 'emp-1002'],
  ])('refuses a person %s', async (_, accountId) => {
    const error = await signInAs(accountId, ['corp.example']).then(
      () => undefined,
      (e: unknown) => e,
    );
    expect(error).toBeInstanceOf(UpstreamSignInError);
    expect((error as UpstreamSignInError).reason).toBe('domain_not_allowed');
  });

  it('signs in anyone when no hosted domain is listed', async () => {
    await expect(signInAs('emp-1003', [])).resolves.toMatchObject({ subject: 'emp-1003' });
  });

  it('goes to Google when the Connection names no issuer', async () => {
    // Under the strict policy nothing is fetched from a test; the refusal names where it would have gone.
    const error = await googleProvider({
      now: systemClock,
      addressPolicy: { ...STRICT_POLICY, denyNetworks: [] },
      resolve: (_h, _o, cb) => cb(null, [{ address: '127.0.0.1', family: 4 }]),
    })
      .begin(googleConnection(undefined, []), CALLBACK, 'st')
      .then(
        () => undefined,
        (e: unknown) => e,
      );
    expect((error as UpstreamSignInError).reason).toBe('upstream_not_allowed');
    expect((error as Error).message).toContain('accounts.google.com');
    expect(GOOGLE_ISSUER).toBe('https://accounts.google.com');
  });
});

describe('hosted domain restriction', () => {
  it.each([
    [{ hd: 'corp.example' }, ['corp.example'], true],
    [{ hd: 'Corp.Example' }, ['corp.example'], true],
    [{ hd: 'corp.example' }, ['other.example', 'corp.example'], true],
    [{ hd: 'sub.corp.example' }, ['corp.example'], false],
    [{ hd: 'corp.example.evil' }, ['corp.example'], false],
    [{}, ['corp.example'], false],
    [{ hd: '' }, ['corp.example'], false],
    [{ hd: ['corp.example'] }, ['corp.example'], false],
    [{}, [], true],
    [{ hd: 'anything.example' }, [], true],
  ])('ID token %j with hostedDomains %j: %s', (idToken, domains, allowed) => {
    expect(hostedDomainAllowed(idToken, domains)).toBe(allowed);
  });
});
