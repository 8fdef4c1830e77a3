import { createHash } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { newPkcePair, signInHint } from '../../src/dev/try-sign-in.ts';
import { declare, secret } from '../store/world.ts';
import {
  compiled,
  corpSso,
  testPeople,
  upstreamSecret,
  WEB_SECRET,
  webApp,
  webSecret,
} from '../store/people-world.ts';

const AUTHORIZE = 'http://127.0.0.1:8080/oauth2/authorize';
const PKCE = {
  verifier: 'dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXk',
  challenge: 'E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM',
};
const api = declare.api('people', 'notes-api', {
  identifier: 'https://notes.internal',
  scopes: [{ name: 'notes:read' }, { name: 'notes:write' }],
});
const withTest = { allowTestConnections: true };

/** The hint's URL, parsed, and the verifier it names. */
function parse(hint: string | undefined) {
  const m = /^(\S+) \(PKCE code_verifier (\S+)\)$/.exec(hint ?? '');
  if (m === null) throw new Error(`not a sign-in hint: ${hint}`);
  return { url: new URL(m[1] as string), verifier: m[2] as string };
}

describe('signInHint', () => {
  it('gives the authorization URL of a client that signs people in, with a PKCE S256 challenge and its verifier', () => {
    const c = compiled(
      [
        testPeople,
        api,
        webApp({
          connections: [{ name: 'test-people' }],
          grants: [{ resourceServer: { name: 'notes-api' }, scopes: ['notes:read'] }],
        }),
      ],
      withTest,
    );
    const { url, verifier } = parse(signInHint(c.snapshot, AUTHORIZE, PKCE));
    expect(url.origin + url.pathname).toBe(AUTHORIZE);
    expect(Object.fromEntries(url.searchParams)).toEqual({
      response_type: 'code',
      client_id: 'web-app.people',
      redirect_uri: 'https://app.example.com/callback',
      scope: 'openid profile email offline_access notes:read',
      code_challenge: PKCE.challenge,
      code_challenge_method: 'S256',
    });
    expect(verifier).toBe(PKCE.verifier);
  });

  it('asks for no API scope when the client has several APIs, and no offline_access without refresh_token', () => {
    const other = declare.api('people', 'other-api', {
      identifier: 'https://other.internal',
      scopes: [{ name: 'other:read' }],
    });
    const c = compiled([
      corpSso(),
      api,
      other,
      webApp({
        grantTypes: ['authorization_code'],
        grants: [
          { resourceServer: { name: 'notes-api' }, scopes: ['notes:read'] },
          { resourceServer: { name: 'other-api' }, scopes: ['other:read'] },
        ],
      }),
    ]);
    expect(parse(signInHint(c.snapshot, AUTHORIZE, PKCE)).url.searchParams.get('scope')).toBe(
      'openid profile email',
    );
  });

  it('prefers a client offering a test Connection, which needs no identity provider', () => {
    const c = compiled(
      [
        corpSso(),
        testPeople,
        webApp(),
        declare.client('people', 'zz-app', {
          appType: 'web',
          grantTypes: ['authorization_code'],
          redirectUris: ['https://zz.example.com/callback'],
          connections: [{ name: 'test-people' }],
        }),
      ],
      withTest,
      [upstreamSecret, webSecret, secret('people', 'zz-app-oauth', { client_secret: WEB_SECRET })],
    );
    // By client id alone, web-app would come first.
    expect(parse(signInHint(c.snapshot, AUTHORIZE, PKCE)).url.searchParams.get('client_id')).toBe(
      'zz-app.people',
    );
  });

  it('is undefined without a client that can start a sign-in from a URL', () => {
    const machine = declare.client('people', 'worker', {
      grants: [{ resourceServer: { name: 'notes-api' }, scopes: ['notes:read'] }],
    });
    expect(signInHint(compiled([api, machine]).snapshot, AUTHORIZE, PKCE)).toBeUndefined();
    // The operator's mode refuses the test Connection: the client offers nothing to sign in through.
    const refused = compiled([testPeople, webApp({ connections: [{ name: 'test-people' }] })]);
    expect(signInHint(refused.snapshot, AUTHORIZE, PKCE)).toBeUndefined();
    const par = compiled([corpSso(), webApp({ requirePushedAuthorizationRequests: true })]);
    expect(signInHint(par.snapshot, AUTHORIZE, PKCE)).toBeUndefined();
  });
});

describe('newPkcePair', () => {
  it('makes a 43-character verifier whose S256 is the challenge, new every time', () => {
    const a = newPkcePair();
    expect(a.verifier).toMatch(/^[A-Za-z0-9_-]{43}$/);
    expect(createHash('sha256').update(a.verifier).digest('base64url')).toBe(a.challenge);
    expect(newPkcePair().verifier).not.toBe(a.verifier);
  });
});
