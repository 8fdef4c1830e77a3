import { describe, expect, it } from 'vitest';
import { NoRedirect } from '../../src/people/authorize/errors.ts';
import { decideNextStep, type NextStepInput } from '../../src/people/authorize/next-step.ts';
import { paramsFromBody, paramsFromUrl, type Params } from '../../src/people/authorize/parameters.ts';
import { conflictingParameter, pushedRequestId } from '../../src/people/authorize/pushed.ts';
import {
  redirectUriMatches,
  resolveRedirectUri,
  type PeopleClient,
} from '../../src/people/authorize/redirect-uri.ts';
import { responseUrl } from '../../src/people/authorize/response.ts';
import { parsePrompt, validateAuthorizationRequest } from '../../src/people/authorize/validate.ts';
import type { AuthorizationRequestRecord, SessionRecord } from '../../src/people/records.ts';
import { peopleClient, peopleSettings } from './harness.ts';

const CHALLENGE = 'E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM';

describe('redirectUriMatches (RFC 6749 §3.1.2.3, RFC 8252 §7.3)', () => {
  const cases: [string, string, 'web' | 'spa' | 'native', boolean][] = [
    ['https://app.example.com/cb', 'https://app.example.com/cb', 'web', true],
    ['https://app.example.com/cb', 'https://app.example.com/cb/', 'web', false],
    ['https://app.example.com/cb', 'https://APP.example.com/cb', 'web', false],
    ['https://app.example.com/cb', 'https://app.example.com/cb?x=1', 'web', false],
    ['https://app.example.com/cb', 'https://app.example.com:443/cb', 'web', false],
    ['https://app.example.com/cb', 'https://app.example.com/cb#x', 'web', false],
    ['http://127.0.0.1/callback', 'http://127.0.0.1:51234/callback', 'native', true],
    ['http://127.0.0.1:8000/callback', 'http://127.0.0.1:51234/callback', 'native', true],
    ['http://[::1]/callback', 'http://[::1]:51234/callback', 'native', true],
    ['http://127.0.0.1/callback', 'http://127.0.0.1:51234/callback', 'web', false],
    ['http://127.0.0.1/callback', 'http://127.0.0.1:51234/callback', 'spa', false],
    ['http://127.0.0.1/callback', 'http://127.0.0.1:51234/other', 'native', false],
    ['http://127.0.0.1/callback', 'http://127.0.0.2:51234/callback', 'native', false],
    ['http://127.0.0.1/callback', 'http://[::1]:51234/callback', 'native', false],
    ['http://localhost/callback', 'http://localhost:51234/callback', 'native', false],
    ['http://127.0.0.1/callback', 'https://127.0.0.1:51234/callback', 'native', false],
    ['http://127.0.0.1/callback', 'http://127.0.0.1:51234/callback?x=1', 'native', false],
    ['http://127.0.0.1/callback', 'http://user@127.0.0.1:51234/callback', 'native', false],
    ['http://127.0.0.1/callback', 'http://127.0.0.1:51234/./callback', 'native', false],
    ['http://127.0.0.1/callback', 'http://127.0.0.1:51234/callback#f', 'native', false],
  ];
  it.each(cases)('registered %s, sent %s, %s client: %s', (registered, sent, appType, expected) => {
    expect(redirectUriMatches(registered, sent, appType)).toBe(expected);
  });
});

describe('resolveRedirectUri', () => {
  const one = peopleClient({ clientId: 'one' }) as PeopleClient;
  const two = peopleClient(
    { clientId: 'two' },
    { redirectUris: ['https://a.example.com/cb', 'https://b.example.com/cb'] },
  ) as PeopleClient;

  it('uses the only registered redirect URI when none is sent', () => {
    expect(resolveRedirectUri(one, paramsFromUrl('/?client_id=one'))).toBe(
      'https://app.example.com/callback',
    );
  });
  it.each([
    ['omitted while several are registered', two, '/?client_id=two'],
    ['not registered', one, '/?redirect_uri=https%3A%2F%2Fevil.example%2Fcb'],
    ['repeated', one, '/?redirect_uri=https%3A%2F%2Fapp.example.com%2Fcallback&redirect_uri=x'],
  ])('refuses without a redirect when %s', (_, client, url) => {
    expect(() => resolveRedirectUri(client, paramsFromUrl(url))).toThrow(NoRedirect);
  });
});

describe('validateAuthorizationRequest', () => {
  const client = peopleClient({ clientId: 'web' }) as PeopleClient;
  const base = `response_type=code&code_challenge=${CHALLENGE}&code_challenge_method=S256`;
  const validate = (body: string): AuthorizationRequestRecord =>
    validateAuthorizationRequest(paramsFromBody(body), client, 'https://app.example.com/cb', {
      nowMs: 1000,
      pushed: false,
    });

  it('keeps what the request asked for, scopes deduplicated in order', () => {
    const record = validate(
      `${base}&scope=openid+email+openid&state=s1&nonce=n1&prompt=login+consent+login&max_age=60` +
        '&resource=https%3A%2F%2Fpayments.internal&login_hint=alice',
    );
    expect(record).toEqual({
      clientId: 'web',
      redirectUri: 'https://app.example.com/cb',
      scopes: ['openid', 'email'],
      state: 's1',
      nonce: 'n1',
      codeChallenge: CHALLENGE,
      prompt: ['login', 'consent'],
      maxAgeSeconds: 60,
      resources: ['https://payments.internal'],
      loginHint: 'alice',
      pushed: false,
      createdAtMs: 1000,
    });
  });

  const refusals: [string, string, string][] = [
    ['response_type is missing', `code_challenge=${CHALLENGE}&code_challenge_method=S256`, 'invalid_request'],
    ['response_type=token (implicit)', base.replace('code&', 'token&'), 'unsupported_response_type'],
    [
      'response_type=code id_token (hybrid)',
      base.replace('code&', 'code+id_token&'),
      'unsupported_response_type',
    ],
    ['code_challenge is missing', 'response_type=code&code_challenge_method=S256', 'invalid_request'],
    ['code_challenge_method=plain', base.replace('S256', 'plain'), 'invalid_request'],
    [
      'code_challenge_method is missing (plain)',
      `response_type=code&code_challenge=${CHALLENGE}`,
      'invalid_request',
    ],
    ['code_challenge is not an S256 hash', base.replace(CHALLENGE, 'short'), 'invalid_request'],
    ['a parameter is repeated', `${base}&state=a&state=b`, 'invalid_request'],
    ['prompt is unknown', `${base}&prompt=always`, 'invalid_request'],
    ['prompt=none comes with login', `${base}&prompt=none+login`, 'invalid_request'],
    ['max_age is negative', `${base}&max_age=-1`, 'invalid_request'],
    ['max_age is not a number', `${base}&max_age=NaN`, 'invalid_request'],
    ['max_age has a fraction', `${base}&max_age=1.5`, 'invalid_request'],
    ['a request object is sent', `${base}&request=eyJhbGciOiJub25lIn0.e30.`, 'request_not_supported'],
    ['response_mode=fragment', `${base}&response_mode=fragment`, 'invalid_request'],
    ['a scope has a quote', `${base}&scope=open%22id`, 'invalid_scope'],
    ['a resource is relative', `${base}&resource=payments`, 'invalid_target'],
    ['a value is huge', `${base}&state=${'x'.repeat(5000)}`, 'invalid_request'],
  ];
  it.each(refusals)('refuses when %s', (_, body, error) => {
    expect(() => validate(body)).toThrow(expect.objectContaining({ error }));
  });
});

describe('parsePrompt (OpenID Connect Core §3.1.2.1)', () => {
  it.each([
    [undefined, []],
    ['none', ['none']],
    ['login consent', ['login', 'consent']],
    ['select_account  login', ['select_account', 'login']],
  ])('%s → %j', (prompt, expected) => {
    expect(parsePrompt(prompt)).toEqual(expected);
  });
  it.each(['none login', 'none none consent', '__proto__', 'LOGIN'])('refuses %s', (prompt) => {
    expect(() => parsePrompt(prompt)).toThrow(expect.objectContaining({ error: 'invalid_request' }));
  });
});

describe('decideNextStep', () => {
  const NOW = 1_900_000_000_000;
  const request: AuthorizationRequestRecord = {
    clientId: 'web',
    redirectUri: 'https://app.example.com/cb',
    scopes: ['openid'],
    codeChallenge: CHALLENGE,
    prompt: [],
    resources: [],
    pushed: false,
    createdAtMs: NOW,
  };
  const session: SessionRecord = {
    userId: 'usr_a',
    sid: 'sid',
    connection: 'people/test-people',
    authTime: NOW / 1000 - 600,
    amr: ['pwd'],
    consents: {},
  };
  const firstParty = peopleSettings();
  const thirdParty = peopleSettings({ firstParty: false });
  const consented = { ...session, consents: { web: ['openid', 'email'] } };
  type Case = [string, Partial<NextStepInput>, string];
  const cases: Case[] = [
    ['no session: sign in', { session: undefined }, 'sign_in'],
    [
      'no session, prompt=none: login_required',
      { session: undefined, request: { ...request, prompt: ['none'] } },
      'login_required',
    ],
    ['a session, first party: a code', {}, 'issue_code'],
    [
      'a session through a Connection the client does not offer: sign in',
      { connections: ['people/other'] },
      'sign_in',
    ],
    [
      "an organization sign-in that does not offer the session's Connection: sign in",
      { connections: [], request: { ...request, organization: 'org_acme' } },
      'sign_in',
    ],
    ['prompt=login: sign in', { request: { ...request, prompt: ['login'] } }, 'sign_in'],
    [
      'prompt=login, signed in for this request: a code',
      { request: { ...request, prompt: ['login'], signedInAtMs: NOW } },
      'issue_code',
    ],
    ['prompt=select_account: sign in', { request: { ...request, prompt: ['select_account'] } }, 'sign_in'],
    ['max_age shorter than the session: sign in', { request: { ...request, maxAgeSeconds: 599 } }, 'sign_in'],
    ['max_age as long as the session: a code', { request: { ...request, maxAgeSeconds: 600 } }, 'issue_code'],
    ['max_age=0: sign in', { request: { ...request, maxAgeSeconds: 0 } }, 'sign_in'],
    [
      'max_age exceeded, prompt=none: login_required',
      { request: { ...request, maxAgeSeconds: 1, prompt: ['none'] } },
      'login_required',
    ],
    [
      'max_age exceeded, signed in for this request: a code',
      { request: { ...request, maxAgeSeconds: 1, signedInAtMs: NOW } },
      'issue_code',
    ],
    ['third party without consent: consent', { client: thirdParty }, 'consent'],
    [
      'third party without consent, prompt=none: consent_required',
      { client: thirdParty, request: { ...request, prompt: ['none'] } },
      'consent_required',
    ],
    [
      'third party with consent for these scopes: a code',
      { client: thirdParty, session: consented },
      'issue_code',
    ],
    [
      'third party with consent for fewer scopes: consent',
      {
        client: thirdParty,
        session: consented,
        request: { ...request, scopes: ['openid', 'offline_access'] },
      },
      'consent',
    ],
    [
      'third party, consented on this request: a code',
      { client: thirdParty, request: { ...request, consented: true } },
      'issue_code',
    ],
    ['prompt=consent, first party: consent', { request: { ...request, prompt: ['consent'] } }, 'consent'],
    [
      'prompt=consent with earlier consent: consent',
      { client: thirdParty, session: consented, request: { ...request, prompt: ['consent'] } },
      'consent',
    ],
    [
      'prompt=consent, consented on this request: a code',
      { request: { ...request, prompt: ['consent'], consented: true } },
      'issue_code',
    ],
  ];
  it.each(cases)('%s', (_, overrides, expected) => {
    const next = decideNextStep({
      request,
      session,
      client: firstParty,
      connections: firstParty.connections,
      nowMs: NOW,
      ...overrides,
    });
    expect(next.step === 'refuse' ? next.error : next.step).toBe(expected);
  });
});

describe('pushed requests (RFC 9126)', () => {
  const pushed: AuthorizationRequestRecord = {
    clientId: 'web',
    redirectUri: 'https://app.example.com/cb',
    scopes: ['openid', 'email'],
    state: 's1',
    codeChallenge: CHALLENGE,
    prompt: [],
    resources: [],
    pushed: true,
    createdAtMs: 0,
  };
  const p = (query: string): Params => paramsFromUrl(`/?${query}`);
  it.each([
    ['client_id=web&request_uri=x', undefined],
    ['response_type=code&scope=openid+email&state=s1', undefined],
    ['redirect_uri=https%3A%2F%2Fapp.example.com%2Fcb', undefined],
    ['redirect_uri=https%3A%2F%2Fevil.example%2Fcb', 'redirect_uri'],
    ['state=other', 'state'],
    ['state=s1&state=s1', 'state'],
    ['scope=openid+offline_access', 'scope'],
    ['code_challenge=x', 'code_challenge'],
    ['code_challenge_method=plain', 'code_challenge_method'],
    ['response_type=token', 'response_type'],
    ['prompt=none', 'prompt'],
    ['nonce=n', 'nonce'],
    ['resource=https%3A%2F%2Fother', 'resource'],
    ['request=e30', 'request'],
  ])('%s conflicts on %s', (query, expected) => {
    expect(conflictingParameter(p(query), pushed)).toBe(expected);
  });
  it.each([
    ['urn:ietf:params:oauth:request_uri:' + 'a'.repeat(43), 'a'.repeat(43)],
    ['urn:ietf:params:oauth:request_uri:short', undefined],
    ['https://client.example/request.jwt', undefined],
    ['urn:ietf:params:oauth:request_uri:' + 'a'.repeat(42) + '/', undefined],
  ])('request_uri %s names %s', (uri, id) => {
    expect(pushedRequestId(uri)).toBe(id);
  });
});

describe('responseUrl (RFC 6749 §3.1.2)', () => {
  it.each([
    ['https://app/cb', 'https://app/cb?code=c&state=a+b&iss=https%3A%2F%2Fi'],
    ['https://app/cb?x=%20y', 'https://app/cb?x=%20y&code=c&state=a+b&iss=https%3A%2F%2Fi'],
    ['https://app/cb?', 'https://app/cb?code=c&state=a+b&iss=https%3A%2F%2Fi'],
  ])('adds to %s keeping its query as registered', (uri, expected) => {
    expect(responseUrl(uri, { code: 'c', state: 'a b', nonce: undefined, iss: 'https://i' })).toBe(expected);
  });
});
